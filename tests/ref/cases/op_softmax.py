import torch


def softmax(v):
    e = torch.exp(v - v.amax(-1, keepdim=True).detach())
    return e / e.sum(-1, keepdim=True)


def log_softmax(v):
    m = v.amax(-1, keepdim=True).detach()
    return v - m - torch.log(torch.exp(v - m).sum(-1, keepdim=True))


def reference(t):
    x, w, p, o, v = (t[n] for n in ("x", "w", "p", "o", "v"))
    r = {"sx": softmax(x), "lx": log_softmax(x), "sp": softmax(p), "lp": log_softmax(p),
         "so": softmax(o), "lo": log_softmax(o), "sv": softmax(v), "lv": log_softmax(v)}
    r["loss"] = ((r["sx"] * w).sum() + (r["lx"] * w * w).sum() + (r["sp"] * p).sum() + (r["lp"] * r["sp"]).sum()
                 + r["so"].sum() + r["lo"].sum() + (r["sv"] * v).sum() + (r["lv"] * w).sum())
    return r
