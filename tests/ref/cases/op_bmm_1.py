import torch

SET = {"B": 1}


def reference(t):
    h = torch.matmul(t["x"], t["W"])
    a = torch.matmul(t["P"], h)
    s = torch.matmul(a, t["K"])
    r = torch.matmul(t["q"], t["k1"])
    r3 = torch.matmul(t["k3"], t["k1"])
    tt = torch.matmul(t["x"], t["v"])
    w = torch.matmul(t["u"], t["x"])
    loss = (s * s).sum() + (r * r).sum() + (r3 * r3).sum() + (tt * tt).sum() + (w * w).sum()
    return {"s": s, "r": r, "loss": loss}
