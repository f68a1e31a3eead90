import torch

SET = {"N": 2}


def reference(t):
    z = t["x"] @ t["W"]
    return {"y": torch.tanh(z) * z + t["x"] @ t["W"]}
