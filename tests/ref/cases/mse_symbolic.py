SET = {"N": 4}


def reference(t):
    d = t["a"] @ t["W"] - t["b"]
    return {"loss": (d * d).sum() / d.numel()}
