def reference(t):
    mse = lambda a, b: ((a - b) ** 2).mean()
    a, b, c = mse(t["x"], t["p"]), mse(t["o"], t["q"]), mse(t["v"], t["u"])
    d, e = mse(t["p"], t["v"]), mse(t["s"], t["r"])  # p - v broadcasts to [7, 9]: the mean is over 63 elements
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "loss": a + 2 * b + 3 * c + 4 * d + 5 * e}
