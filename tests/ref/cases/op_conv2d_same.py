import torch
import torch.nn.functional as F

SET = {"N": 2}


def reference(t):
    y = torch.relu(F.conv2d(t["x"], t["w"], padding=1) + t["b"])
    z = F.conv2d(y, t["v"], padding=2)
    m = F.max_pool2d(torch.relu(z), 2)
    return {"y": y, "z": z, "m": m, "loss": (m ** 3).sum()}
