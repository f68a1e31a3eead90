import torch


def reference(t):
    x, W, w = t["x"], t["W"], t["w"]
    z = x @ W
    s = torch.maximum(z, z) + torch.minimum(z, z) * 2
    q = torch.maximum(W, W) * 3
    return {"s": s, "q": q, "loss": (s * w).sum() + (q * W).sum()}
