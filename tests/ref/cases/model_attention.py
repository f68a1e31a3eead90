import torch

F = torch.nn.functional
SET = {"N": 2}


def data(t, rng):
    # xt is x with its last two axes swapped, as the model's comment says
    t["xt"][...] = t["x"].transpose(0, 2, 1)


def reference(t):
    x = t["x"]
    q = x @ t["Wq"]
    kt = torch.matmul(t["Wk"].T, t["xt"])   # the keys from xt: x's gradient has no key path
    v = x @ t["Wv"]
    s = torch.matmul(q, kt) * 0.5
    T = s.shape[-1]
    s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1), float("-inf"))
    att = F.softmax(s, dim=-1)
    h = x + torch.matmul(att, v) @ t["Wo"]
    n = (h - h.mean(dim=-1, keepdim=True)) / torch.sqrt(torch.var(h, dim=-1, unbiased=False, keepdim=True) + 1e-5) * t["g"]
    p = F.log_softmax(n, dim=1)
    loss = -p.mean() + 0.1 * (torch.amax(n, dim=-2, keepdim=True) ** 2).sum()
    return {"att": att, "n": n, "loss": loss}
