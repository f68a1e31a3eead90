import torch


def reference(t):
    a, c, x, B, w3, w11 = (t[n] for n in ("a", "c", "x", "B", "w3", "w11"))
    p = a @ B
    q = p + c
    h2 = torch.abs(w3)
    h8 = (w11 + h2) @ x.T
    loss = (q * q).sum() + h2.sum() - (h8 * h8).sum()
    return {"p": p, "q": q, "loss": loss}


def data(t, rng):
    # abs is kinked at 0: keep w3 away from it
    w = t["w3"]
    w[abs(w) < 0.1] = 0.5
