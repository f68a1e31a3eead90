import torch


def reference(t):
    h = torch.nn.functional.gelu(t["x"] @ t["W"])
    return {"loss": (h * h).sum() + torch.nn.functional.gelu(t["x"]).mean()}
