import torch

SET = {"N": 5}


def cross_entropy(s, y):
    m = s.amax(1, keepdim=True).detach()
    lse = torch.log(torch.exp(s - m).sum(1)) + m[:, 0]
    return (lse - s.gather(1, y[:, None])[:, 0]).mean()


def reference(t):
    x, y, W1, b1, W2, b2 = (t[n] for n in ("x", "y", "W1", "b1", "W2", "b2"))
    scores = torch.relu(x @ W1 + b1) @ W2 + b2
    loss = cross_entropy(scores, y) + 1e-3 * ((W1 * W1).sum() + (W2 * W2).sum())
    return {"scores": scores, "loss": loss}
