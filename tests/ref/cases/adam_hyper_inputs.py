import torch



def reference(t):
    z = t["x"] @ t["W"] * t["s"]
    p = torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True)
    loss = (torch.sigmoid(z) * torch.exp(z / 4)).mean() - (torch.log(p) * p).sum() / z.shape[0] \
        + torch.sqrt(z * z + 1).sum()
    return {"loss": loss}
