import torch
import torch.nn.functional as F

SET = {"N": 3}


def reference(t):
    h = torch.relu(F.conv2d(t["x"], t["w1"], stride=2, padding=1) + t["b1"])
    p = F.max_pool2d(h, 2, stride=1)
    q = F.avg_pool2d(F.conv2d(p, t["w2"], padding=1), 2)
    scores = q.flatten(1) @ t["W"] + t["b"]
    return {"scores": scores, "loss": F.cross_entropy(scores, t["y"])}
