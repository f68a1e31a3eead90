import torch

SET = {"N": 4}


def reference(t):
    x, tt, W1, b1, W2, b2 = (t[n] for n in ("x", "t", "W1", "b1", "W2", "b2"))
    h = torch.tanh(x @ W1 + b1)
    pred = torch.sigmoid(h @ W2 + b2)
    return {"pred": pred, "loss": ((pred - tt) ** 2).mean()}
