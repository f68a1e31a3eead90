import torch.nn.functional as F

SET = {"N": 1}


def reference(t):
    y = F.conv2d(t["x"], t["w"], stride=3, padding=2)
    z = F.conv2d(y, t["v"])
    return {"y": y, "z": z, "loss": (z * z).sum()}
