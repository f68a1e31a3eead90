def reference(t):
    s = t["w"].sum(dim=0)
    h = (s * s + 1) ** -1.5
    return {"h": h, "loss": h.sum()}
