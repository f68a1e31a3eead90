import torch.nn.functional as F


def data(t, rng):
    # every element 0.5 in the top-left window, two tied maxima in the others
    t["x"][0, 0] = [[0.5, 0.5, 0.25, 0.75], [0.5, 0.5, 0.75, -0.5], [0.125, -0.25, 0.375, 0.375], [0.25, 0.125, 0.375, 0.375]]


def reference(t):
    a = F.max_pool2d(t["x"], 2)
    b = F.max_pool2d(t["x"], 2, stride=1)
    return {"loss": (a * a).sum() + (b ** 3).sum()}
