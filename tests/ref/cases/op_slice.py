# slicing = Python/NumPy basic indexing (torch tensors), N = 3
SET = {"N": 3}


def reference(t):
    x, z = t["x"], t["z"]
    a = x[:, 2:5]
    b = x[1]
    c = x[-1, :, 4]
    d = z[:, :, 0:1, :]
    e = z[:, -2:, :3, -1]
    f = x[3:, :-7] * x[:4, 7:]
    g = z[-2:, 1] * z[0:2, 2] + z[-1, 0] - z[2, 1:3, :, -2:-1]
    loss = (a * t["P"]).sum() + (b * b).sum() + c.tanh().sum() + (d ** 3).sum() + (e * e).sum() + f.sum() \
        + x[0, 0, 0] * x[6, 8, 4] + (g * g).sum()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "loss": loss}
