# concat = torch.cat; N = 4, M = 3
import torch

SET = {"N": 4, "M": 3}


def reference(t):
    a, b, c, W = t["a"], t["b"], t["c"], t["W"]
    u = torch.cat([a, b], 0)
    v = torch.cat([a, c, a], 0)
    w = torch.cat([a.T, b.T.tanh()], 1)
    p = u @ W
    q = u[1:] * u[:-1]
    r = u.T @ u
    sm = torch.softmax(w, 1)
    loss = p.tanh().sum() + (v ** 3).sum() / 10 + (w * u.T * w).sum() + q.sum() + (r * r).sum() / 100 + (sm * sm).sum() \
        + v.mean()
    return {"loss": loss}
