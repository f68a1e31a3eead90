import torch
def reference(t):
    x = t["x"]
    a = x; b = torch.tanh(x @ t["W"]); c = x
    for l in range(3):
        tt = a; a = b; b = tt * 0.5 + a; c = c
    return {"a": a, "b": b, "loss": (a * b).sum() + c.sum()}
