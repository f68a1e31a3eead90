import torch


def reference(t):
    f = lambda v: torch.log(v)
    yx = f(t['x'] ** 2 + 0.5)
    yp = f(t['p'] ** 2 + 0.5)
    yo = f(t['o'] ** 2 + 0.5)
    ys = f(t['s'] ** 2 + 0.5)
    loss = (yx * t["wx"]).sum() + (yp * t["wp"]).sum() + yo.sum() * 3 + ys / 2
    return {"yx": yx, "yp": yp, "yo": yo, "ys": ys, "loss": loss}
