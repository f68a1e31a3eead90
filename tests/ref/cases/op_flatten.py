def reference(t):
    h = t["x"].flatten(1) @ t["W"]
    return {"h": h, "loss": (h * h).sum()}
