import torch.nn.functional as F


def reference(t):
    y = F.conv2d(t["x"], t["w"], padding=2)
    z = F.conv2d(t["u"], t["v"], padding=1)
    q = F.conv2d(t["s"], t["k"], stride=2, padding=1)
    return {"y": y, "z": z, "q": q, "loss": (y * y).sum() + (z ** 3).sum() + (q * q).sum()}
