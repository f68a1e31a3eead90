import torch

SET = {"N": 7}


def reference(t):
    h = torch.relu(t["x"] @ t["Win"] + t["bin"])
    for l in range(t["W"].shape[0]):
        h = torch.relu(h @ t["W"][l] + t["b"][l])
    scores = h @ t["Wout"] + t["bout"]
    logp = scores - torch.logsumexp(scores, dim=1, keepdim=True)
    loss = -logp[torch.arange(scores.shape[0]), t["y"]].mean()
    return {"scores": scores, "loss": loss}
