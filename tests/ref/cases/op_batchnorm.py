import torch
import torch.nn.functional as F

SET = {"N": 6}


def reference(t):
    z = t["x"] @ t["W"]
    rm, rv = t["h_running_mean"].clone(), t["h_running_var"].clone()
    h = F.batch_norm(z, rm, rv, t["g"], t["b"], training=True, momentum=0.1, eps=1e-5)
    hp = F.batch_norm(z, t["h_running_mean"], t["h_running_var"], t["g"], t["b"], training=False, eps=1e-5)
    return {"h": h, "loss": (h * t["c"]).sum() + (h * h * h).sum(),
            "h_running_mean": rm, "h_running_var": rv, "predict/h": hp}
