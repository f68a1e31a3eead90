import torch


def reference(t):
    r = t["x"] * 2
    s = torch.relu(r) + (r * r).sum()
    return {"loss": (s * s).sum()}
