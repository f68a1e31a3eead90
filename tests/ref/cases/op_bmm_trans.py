import torch

SET = {"B": 2, "S": 3}


def reference(t):
    h = torch.matmul(t["x"], t["W"].T)
    g = torch.matmul(t["M"].T, h)
    return {"loss": (g * g).sum() + h.sum()}
