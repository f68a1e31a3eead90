import torch

SET = {"N": 3}


def svm(s, y, margin=1.0):
    # multiclass hinge: sum over j != y of max(0, s_j - s_y + margin), mean over rows
    h = torch.relu(s - s.gather(1, y[:, None]) + margin)
    return (h * (torch.arange(s.shape[1])[None, :] != y[:, None])).sum(1).mean()


def reference(t):
    x, y, W, b = t["x"], t["y"], t["W"], t["b"]
    scores = x @ W + b
    return {"scores": scores, "loss": svm(scores, y) + 2.5e-5 * (W * W).sum()}
