# transpose(x, a, b) = torch.transpose(x, a, b) (SPEC §1), at odd sizes N = 3, T = 7
SET = {"N": 3, "T": 7}


def reference(t):
    x, z = t["x"], t["z"]
    a = x.transpose(0, 2)
    b = z.transpose(-1, 1)
    c = x.transpose(1, 2).transpose(0, 1)
    d = x[:, 0].T @ x[:, 1]
    loss = (a * t["P"]).sum() + (b.tanh() * t["Q"]).sum() + (c * c * t["R"]).sum() + (d * d).sum()
    return {"a": a, "b": b, "c": c, "d": d, "loss": loss}
