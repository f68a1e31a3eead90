import torch
import torch.nn.functional as F


def reference(t):
    rm, rv = t["h_running_mean"].clone(), t["h_running_var"].clone()
    F.batch_norm(t["x"], rm, rv, t["g"], t["b"], training=True, momentum=0.5, eps=1e-5)
    return {"loss": (t["w"] * t["w"]).sum(), "h_running_mean": rm, "h_running_var": rv}
