import torch

SET = {"N": 3, "T": 5}


def reference(t):
    Ws = t["W"] + t["W"].T
    a = t["x"]
    c = t["x"] * 0.5
    for k in range(1, t["U"].shape[0]):
        z = torch.tanh(a @ Ws + t["U"][k])
        a = c * torch.sigmoid(z) + a * 0.25
        c = z * t["s"]
    e = c
    loss = (a * a).sum() + e.sum() / t["x"].shape[0]
    return {"a": a, "c": c, "loss": loss}
