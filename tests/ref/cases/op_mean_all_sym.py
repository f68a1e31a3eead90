def reference(t):
    x, z, q = t["x"], t["z"], t["q"]
    a, b, c = x.mean(), z.mean(), q.mean()
    loss = a + 2 * b - 3 * c + (x * x).mean() + z.mean(2).mean()
    return {"a": a, "b": b, "c": c, "loss": loss}
