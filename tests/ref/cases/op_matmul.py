def reference(t):
    A, B, Bt, At, v, u, c, R, S = (t[n] for n in ("A", "B", "Bt", "At", "v", "u", "c", "R", "S"))
    mm = A @ B + At.T @ B + A @ Bt.T + At.T @ Bt.T
    vm = v @ B + u @ Bt.T + c @ A @ B + c @ At.T @ Bt.T
    mv = A @ v + At.T @ u + (A @ Bt.T) @ (Bt @ v) + (B.T @ A.T).T @ (B.T @ v)
    vv = v @ u + c @ (A @ v) + u @ v
    ro = R @ S + S @ R @ S + (R.T @ S.T) @ S
    ms = (mm.T @ mm) @ vm + mv @ A @ B
    loss = (mm * mm).sum() / 10 + vm.sum() + (mv * mv.tanh()).sum() + vv * vv + ro.sum() + ms.sum()
    return {"mm": mm, "vm": vm, "mv": mv, "vv": vv, "ro": ro, "ms": ms, "loss": loss}
