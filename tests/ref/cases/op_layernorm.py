import torch
import torch.nn.functional as F

SET = {"N": 5}


def reference(t):
    h = F.layer_norm(t["x"] @ t["W"], (7,), t["g"], t["b"], eps=1e-5)
    return {"h": h, "loss": (h * t["c"]).sum() + (h * h).sum(), "predict/h": h}
