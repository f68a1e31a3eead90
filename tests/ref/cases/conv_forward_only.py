import torch.nn.functional as F


def reference(t):
    return {"h7": F.conv2d(t["x8"], t["x10"], stride=2), "loss11": t["z1_0"] + t["x5"].sum()}
