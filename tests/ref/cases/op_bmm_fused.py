import torch

SET = {"B": 3}


def reference(t):
    xw = torch.matmul(t["x"], t["W1"])
    h = torch.relu(xw + t["b1"])
    o = torch.matmul(h, t["W2"]) + t["b2"]
    loss = (o * o).sum() + (xw * h).sum() + torch.matmul(o, t["W2"].T).sum()
    return {"o": o, "loss": loss}
