import torch


def reference(t):
    x, z, wr, wc, wz, p = (t[n] for n in ("x", "z", "wr", "wc", "wz", "p"))
    a = x.sum() + x.amax() * 3
    r0 = x.sum(0) + x.mean(0) * 2 + x.amax(0) * 3 + x.sum(-2) - x.mean(-2) + x.amax(-2)
    r1 = x.sum(1) + x.mean(1) * 2 + x.amax(1) * 3 - x.sum(-1) + x.mean(-1) * 5 + x.amax(-1)
    z0 = z.sum(0) + z.mean(0) + z.amax(0)
    z1 = z.sum(1) * 2 + z.mean(1) - z.amax(1)
    z2 = z.sum(2) + z.mean(-1) * 3 + z.amax(2) * 2
    pz = p.sum(0) * (p.mean(1) @ p) + p.amax(1).amax() + p.mean(0).mean() + p.sum()
    loss = (a + z0.mean() * 2 + (r0 * wr).sum() + (r1 * wc).sum() + (z0 * wz).sum() + ((wc @ z1) * wz).sum()
            + z2.sum() + (pz * wr).sum() + z.sum() + z.amax())
    return {"a": a, "r0": r0, "r1": r1, "z0": z0, "z1": z1, "z2": z2, "pz": pz, "loss": loss}
