# concat = torch.cat(tensors, dim=k), N = 3
import torch

SET = {"N": 3}


def reference(t):
    x, y, u, W, v = t["x"], t["y"], t["u"], t["W"], t["v"]
    a = torch.cat([x, y], dim=1)
    b = torch.cat([x * 2, y.tanh(), v], dim=-2)
    c = torch.cat([u, u * u, u, t["S"].transpose(0, 3)[:, :, :, 0:1] + 1, u, -u], dim=-1)
    d = torch.cat([x[0] @ W, y[1] @ W], dim=0)
    e = torch.cat([x, x], dim=1)
    loss = (a ** 3).sum() + (b[-1] @ W).sum() + (c * c).sum() + d.tanh().sum() + (e[:, 1:4] * e[:, 2:5]).sum()
    return {"a": a, "b": b, "c": c, "d": d, "loss": loss}
