import torch


def reference(t):
    x, r, c, k, s, z, w = (t[n] for n in ("x", "r", "c", "k", "s", "z", "w"))
    a = x + r + c + k + s + 2 + (r + x) + (c + x) + (s + x) + (3 + x) + (k + c)
    b = x - r - c - k - s - 2 + (r - x) + (c - x) + (s - x) + (3 - x) + (k - c)
    m = x * r * c * k * s * 2 + (r * x) + (c * x) + (s * x) + (3 * x) + (k * c)
    d = (x / (r * r + 1) / (c * c + 1) / (k * k + 1) / (s * s + 1) / 2 + (r / (x * x + 1)) + (c / (x * x + 1))
         + (s / (x * x + 1)) + (3 / (x * x + 1)) + (k / (c * c + 1)))
    e = z * a - b / (z * z + 1) + m * z
    loss = (a * w).sum() + (b * w * w).sum() + (m * w).sum() + (d * w).sum() + e.sum() / 3
    return {"a": a, "b": b, "m": m, "d": d, "e": e, "loss": loss}
