import torch
import torch.nn.functional as F


def reference(t):
    x, g, b = t["x"], t["g"], t["b"]
    rm, rv = t["bn_running_mean"].clone(), t["bn_running_var"].clone()
    rm1, rv1 = t["batchnorm1_running_mean"].clone(), t["batchnorm1_running_var"].clone()
    bn = F.batch_norm(x * t["s"], rm, rv, g, b, training=True, momentum=0.2, eps=1e-3)
    out = torch.relu(F.batch_norm(bn * bn, rm1, rv1, g, b, training=True, momentum=0.1, eps=1e-5))
    bnp = F.batch_norm(x * t["s"], t["bn_running_mean"], t["bn_running_var"], g, b, training=False, eps=1e-3)
    outp = torch.relu(F.batch_norm(bnp * bnp, t["batchnorm1_running_mean"], t["batchnorm1_running_var"], g, b,
                                   training=False, eps=1e-5))
    return {"out": out, "loss": (out * x).mean() + (bn * x).sum() / 10,
            "bn_running_mean": rm, "bn_running_var": rv, "batchnorm1_running_mean": rm1,
            "batchnorm1_running_var": rv1, "predict/out": outp}
