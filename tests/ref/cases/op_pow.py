import torch


def reference(t):
    def powers(v):
        a = torch.tanh(v) - 2
        return v ** 0 + v ** 1 * 0.5 + v ** 2 + v ** 3 / 3 + a ** 3 + a ** -1 + a ** -2

    def roots(v):
        b = v * v + 0.5
        return b ** 0.5 + b ** 1.5 + b ** (1 / 3) + b ** -0.5 + b ** -1.5

    x, p, w = t["x"], t["p"], t["w"]
    yx = powers(x) + roots(x)
    yp = powers(p) - roots(p) + p ** 4  # 2 ** 2 = 4: ** is right-associative
    neg = -(x ** 2)  # unary minus binds looser than **
    loss = (yx * w).sum() + yp.sum() / 7 + (neg * w).sum()
    return {"yx": yx, "yp": yp, "neg": neg, "loss": loss}
