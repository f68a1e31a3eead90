def reference(t):
    a = ((t["x"] - t["t"]) ** 2).mean()
    b = ((t["v"] - t["u"]) ** 2).mean()
    return {"a": a, "b": b, "loss": a + 3 * b}
