SET = {"INT64_MAX": 2}
REJECT_OK = True


def reference(t):
    s = t["x"] * t["NULL"]
    return {"INFINITY": s.sum(dim=0), "FP_NAN": (s * s).sum() + (t["HUGE_VAL"] ** 2).sum() + t["unix"].sum()}
