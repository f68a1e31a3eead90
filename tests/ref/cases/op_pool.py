import torch.nn.functional as F

SET = {"N": 3}


def reference(t):
    x = t["x"]
    a = F.max_pool2d(x, 2)
    b = F.max_pool2d(x, 3, stride=1)
    c = F.avg_pool2d(x, 2, stride=3)
    d = F.avg_pool2d(x, 3, stride=1)
    return {"a": a, "b": b, "c": c, "d": d, "loss": (a * a).sum() + (b ** 3).sum() + (c * c).sum() + (d ** 3).sum()}
