import torch
import torch.nn.functional as F

SET = {"N": 2}


def reference(t):
    m = F.max_pool2d(torch.relu(t["z"]), 2)
    return {"m": m, "loss": (t["z"] * t["z"]).sum() + (m * m * m).sum()}
