import torch
import torch.nn.functional as F


def reference(t):
    g, b = t["g"], t["b"]
    a = F.layer_norm(t["v"], (5,), g, b, eps=1e-5)
    s = F.layer_norm(t["x"], (5,), g, b, eps=1e-3)
    u = F.layer_norm(t["y"], (5,), g, b, eps=0.01)
    loss = (a * a * t["v"]).sum() + (s * t["x"] * t["x"]).sum() + (u * torch.exp(t["y"])).sum() \
        + F.layer_norm(s, (5,), g, b, eps=1e-5).mean()
    return {"loss": loss}
