import torch.nn.functional as F

SET = {"N": 2}


def reference(t):
    x, w, b = t["x"], t["w"], t["b"]
    y = F.conv2d(x, w, stride=2, padding=1) + b
    z = F.conv2d(x, w)
    return {"y": y, "z": z, "loss": (y * y).sum() + (z * z).sum() / 4}
