SET = {"N": 4}


def reference(t):
    x, tt, s, r, c, k = (t[n] for n in ("x", "t", "s", "r", "c", "k"))
    a = x * s + r - (x.T * c).T / 2 + k
    b = tt * a + a / (1 + tt * tt) - r
    return {"loss": (b * b).sum() / 10 + a.sum(0) @ r}
