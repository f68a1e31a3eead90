def reference(t):
    x, w = t["x"], t["w"]
    return {"y": (x * w).sum() * x + w * w}
