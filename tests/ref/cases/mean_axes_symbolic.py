SET = {"N": 5}


def reference(t):
    p = t["x"] * t["w"]
    return {"loss": p.sum() / p.numel()}
