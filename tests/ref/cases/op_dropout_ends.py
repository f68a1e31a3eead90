import torch
import torch.nn.functional as F


def reference(t):
    k = F.dropout(t["x"] * t["w"], 0.0, training=True)
    z = F.dropout(t["x"] * t["w"], 1.0, training=True)
    return {"k": k, "z": z, "loss": (k * t["x"]).sum() + z.sum(), "predict/k": t["x"] * t["w"],
            "predict/z": t["x"] * t["w"]}
