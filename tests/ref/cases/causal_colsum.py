import torch

SET = {"N": 3}


def causal_softmax(z):
    # softmax over the last axis of z with the entries above the diagonal masked out (zero)
    T = z.shape[-1]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    return torch.softmax(z.masked_fill(mask, float("-inf")), dim=-1)


def reference(t):
    w, x = t["w"], t["x"]
    h = causal_softmax(w).sum(0)
    c = causal_softmax(x * 0.5).sum(1)
    return {"loss": (h * h).sum() + (c * c).sum()}
