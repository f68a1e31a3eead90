import torch

SET = {"N": 3}


def softmax(v):
    e = torch.exp(v - v.amax(-1, keepdim=True).detach())
    return e / e.sum(-1, keepdim=True)


def log_softmax(v):
    m = v.amax(-1, keepdim=True).detach()
    return v - m - torch.log(torch.exp(v - m).sum(-1, keepdim=True))


def cross_entropy(s, y):
    return -log_softmax(s).gather(1, y[:, None]).mean()


def svm(s, y, margin=1.0):
    h = torch.relu(s - s.gather(1, y[:, None]) + margin)
    return (h * (torch.arange(s.shape[1])[None, :] != y[:, None])).sum(1).mean()


def reference(t):
    x, tt, y, W, b, s, v = (t[n] for n in ("x", "t", "y", "W", "b", "s", "v"))
    N = x.shape[0]
    z = x @ W + b
    a = (torch.sigmoid(z) + torch.tanh(z) * s + torch.exp(z / 4) + torch.log(z * z + 1) + torch.sqrt(z * z + 1)
         + torch.abs(z))
    c = (torch.where(z > 0, z, 0.1 * z) + z ** 3 / 10 + torch.maximum(z, a / 3) - torch.minimum(z, torch.full_like(z, 0.5))
         + torch.relu(z - 0.2))
    u = softmax(c) + log_softmax(a) * 0.1
    r = u.sum(1) + u.mean(-1) + c.amax(1)
    q = (x @ v) * r + (c * c).sum() / N + a.amax()
    k = x.T @ tt
    loss = q.mean() + svm(c, y) + cross_entropy(a, y) + ((u - tt) ** 2).mean() + (k.T @ W).sum() / 100
    e = (x / (1 + s * s)).mean(0) @ W - b
    loss2 = loss + (e * e).sum() + (tt @ W.T * x).sum() / 10
    return {"loss2": loss2}
