import torch
from attention import causal

F = torch.nn.functional
SET = {"N": 2}


def reference(t):
    h = F.layer_norm(t["x"] @ t["W"], (37,), t["g"], t["b"], eps=1e-5)
    p = F.softmax(h * 3, dim=-1) + F.log_softmax(h, dim=1) * 0.1 + F.softmax(h, dim=1)
    s = F.softmax(causal(h @ h.transpose(1, 2) * 0.5), dim=-1)
    return {"h": h, "p": p, "s": s, "loss": (p * t["c"]).sum() + (s @ t["c"]).sum()}
