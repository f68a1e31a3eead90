import torch



def reference(t):
    x, W, b = t["x"], t["W"], t["b"]
    h = torch.maximum(x @ W + b, 0.1 * x) - torch.minimum(x, b) ** 2
    return {"loss": (h * h).mean() + torch.amax(h, dim=0).mean()}
