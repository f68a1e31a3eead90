import torch
SET = {"N": 2, "T": 4}
def reference(t):
    xs = t["xs"]
    h = xs.sum(dim=1) @ t["Wx"] * 0.1
    c = h * 0
    total = c.sum() * 0
    for s in range(xs.shape[1]):
        xt = xs[:, s, :] @ t["Wx"]
        f = torch.sigmoid(h @ t["Wf"] + xt)
        c = f * c + (1 - f) * torch.tanh(xt + h @ t["Wh"])
        h = torch.tanh(c)
        total = total + ((h @ t["Wy"] * h) @ t["Wy"]).sum()
    loss = total / xs.shape[1] + c.sum()
    return {"h": h, "c": c, "loss": loss}
