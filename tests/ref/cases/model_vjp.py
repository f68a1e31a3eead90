import torch

SET = {"N": 2}


def reference(t):
    x, W = t["x"], t["W"]
    return {"y": torch.tanh(x @ W) * (x @ W) + x.T.T @ W}
