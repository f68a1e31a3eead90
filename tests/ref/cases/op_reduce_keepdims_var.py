import torch

SET = {"N": 4}


def reference(t):
    p = t["x"] * t["w"]
    s = p.sum(dim=0, keepdim=True)
    m = p.mean(dim=-1, keepdim=True)
    mx = torch.amax(p, dim=1, keepdim=True)
    v = torch.var(p, dim=1, unbiased=False)
    vk = torch.var(p, dim=-1, unbiased=False, keepdim=True)
    va = torch.var(p, unbiased=False)
    loss = (s * t["w"]).sum() + (m * p).sum() + (mx * t["x"]).sum() + (v * v).sum() + (vk * p).sum() + va * 3 \
        + (torch.var(p, dim=0, unbiased=False) * t["w"]).sum()
    return {"s": s, "m": m, "mx": mx, "v": v, "vk": vk, "va": va, "loss": loss}
