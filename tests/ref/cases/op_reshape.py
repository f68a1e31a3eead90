# reshape = torch.reshape (row-major, a copy where the operand is not contiguous), N = 7
SET = {"N": 7}


def reference(t):
    x, z = t["x"], t["z"]
    a = x.reshape(7, -1)
    b = (z * z).reshape(6, 35)
    c = x.transpose(1, 2).reshape(7, 5, 6)
    d = z.transpose(0, 3).reshape(-1, 2, 3, 5)
    e = x.reshape(7, 30).reshape(-1, 6, 5)
    loss = (a * t["P"]).sum() + (b * t["Q"]).sum() + (c * t["R"]).sum() + (d[1] * d[6]).sum() + (e ** 3).sum()
    return {"a": a, "b": b, "c": c, "d": d, "loss": loss}
