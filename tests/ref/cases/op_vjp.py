import torch


def reference(t):
    x, W, b = t["x"], t["W"], t["b"]
    z = x @ W
    sm = torch.exp(z - z.amax(1, keepdim=True).detach())
    sm = sm / sm.sum(1, keepdim=True)
    y = torch.tanh(z + b) * sm + (x.T.T @ W) * (x.sum(1) @ z)
    return {"y": y}
