import torch

SET = {"N": 4}


def reference(t):
    h = torch.relu(t["x"] @ t["W1"] + t["b1"])
    scores = h @ t["W2"] + t["b2"]
    # cross-entropy: mean over rows of -log softmax(scores)[y]
    logp = scores - torch.logsumexp(scores, dim=1, keepdim=True)
    xent = -logp[torch.arange(scores.shape[0]), t["y"]].mean()
    loss = xent + 1e-2 * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    return {"scores": scores, "loss": loss}
