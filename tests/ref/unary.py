"""The reference of the elementwise-op cases (cases/op_abs.bp and its kin):
y = f(v) on a symbolic [N, M] input x, a constant [7, 9] param p, an extent-1
[1, 1] param o and a rank-0 param s, weighted into one loss so that every
upstream gradient differs. `domain` maps a raw operand into f's domain (log
and sqrt read x² + 0.5), as the case's .bp does."""


def elementwise_case(f, domain=lambda v: v):
    def reference(t):
        y = {k: f(domain(t[v])) for k, v in (("yx", "x"), ("yp", "p"), ("yo", "o"), ("ys", "s"))}
        y["loss"] = (y["yx"] * t["wx"]).sum() + (y["yp"] * t["wp"]).sum() + y["yo"].sum() * 3 + y["ys"] / 2
        return y
    return reference
