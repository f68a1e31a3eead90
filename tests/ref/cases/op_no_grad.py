import torch


def reference(t):
    x, W = t["x"], t["W"]
    return {"y": torch.relu(x @ W) + torch.sigmoid(x)}
