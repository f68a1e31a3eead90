"""values: forward values and gradients of small models against PyTorch in
float64, computed independently from the same input data, on every path
(`bpc run` with the tcc JIT and with --jit cc, f32 and f64, -O0).

usage: /usr/bin/python3 values.py BPC SRC
Each case is a model whose inputs come from --in .npy files; its outputs and
gradients come back through --out. Prints "N passed, N failed"."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

BPC = sys.argv[1]
MODES = [[], ["--dtype", "f64"], ["-O0"], ["--jit", "cc"], ["--dtype", "f64", "--jit", "cc"]]
rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape)


# name: (model source, inputs, reference(inputs as float64 tensors) -> dict of results)
CASES = {}


def case(name, src, inputs, ref):
    CASES[name] = (src, inputs, ref)


def with_grads(inputs, fn, wrt):
    """fn(t) -> {name: tensor}; adds NAME_grad of the scalar 'loss' for each of wrt."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in wrt) for k, v in inputs.items()}
    out = fn(t)
    gs = torch.autograd.grad(out["loss"], [t[k] for k in wrt])
    res = {k: v.detach().numpy() for k, v in out.items()}
    res.update({k + "_grad": g.numpy() for k, g in zip(wrt, gs)})
    return res


# 1. counts over a symbolic dim times a constant: mse, mean over every axis
case("mse_ones", "dim B\ninput x[B, 3]\nloss = mse(x, 0*x)\ngrad loss wrt x\n",
     {"x": np.ones((2, 3))},
     lambda i: with_grads(i, lambda t: {"loss": torch.nn.functional.mse_loss(t["x"], 0 * t["x"])}, ["x"]))
case("mse", "dim B\ninput a[B, 3], b[B, 3]\nloss = mse(a, b)\ngrad loss wrt a, b\n",
     {"a": rand(4, 3), "b": rand(4, 3)},
     lambda i: with_grads(i, lambda t: {"loss": torch.nn.functional.mse_loss(t["a"], t["b"])}, ["a", "b"]))
case("mean_all", "dim B\ninput x[B, 3, 2]\nloss = mean(x * x) + mean(x)\ngrad loss wrt x\n",
     {"x": rand(3, 3, 2)},
     lambda i: with_grads(i, lambda t: {"loss": (t["x"] * t["x"]).mean() + t["x"].mean()}, ["x"]))
case("mean_axis", "dim B\ninput x[B, 3, 4]\nm = mean(x, axis=1)\nloss = sum(m * m)\noutput m\ngrad loss wrt x\n",
     {"x": rand(2, 3, 4)},
     lambda i: with_grads(i, lambda t: {"m": t["x"].mean(1), "loss": (t["x"].mean(1) ** 2).sum()}, ["x"]))

# 2. max at ties: a reduction shares g equally among tied maxima (torch.amax);
#    elementwise max/min give half to each operand at a tie (torch.maximum/minimum)
def ints(*shape):
    return rng.integers(0, 3, size=shape).astype(np.float64)   # many ties


case("max_rows_tied", "dim N\ninput x[N, 2]\ninput b[2]\nloss = sum(max(b + x * 0, axis=0))\ngrad loss wrt b, x\n",
     {"x": rand(3, 2), "b": rand(2)},
     lambda i: with_grads(i, lambda t: {"loss": (t["b"] + t["x"] * 0).amax(0).sum()}, ["b", "x"]))
case("max_all", "dim N\ninput x[N, 3]\ninput w[N, 3]\nloss = max(x) * 2 + sum(w * x)\ngrad loss wrt x\n",
     {"x": ints(4, 3), "w": rand(4, 3)},
     lambda i: with_grads(i, lambda t: {"loss": t["x"].amax() * 2 + (t["w"] * t["x"]).sum()}, ["x"]))
case("max_axis", "dim N\ninput x[N, 4]\ninput w[N]\nm = max(x, axis=-1)\n"
     "loss = sum(m * w)\noutput m\ngrad loss wrt x\n",
     {"x": ints(5, 4), "w": rand(5)},
     lambda i: with_grads(i, lambda t: {"m": t["x"].amax(1), "loss": (t["x"].amax(1) * t["w"]).sum()}, ["x"]))
case("max_min_ewise", "dim N\ninput a[N, 3]\ninput b[N, 3]\ninput w[N, 3]\n"
     "loss = sum(w * max(a, b)) + sum(w * w * min(a, b)) + sum(max(a, 1))\ngrad loss wrt a, b\n",
     {"a": ints(4, 3), "b": ints(4, 3), "w": rand(4, 3)},
     lambda i: with_grads(i, lambda t: {"loss": (t["w"] * torch.maximum(t["a"], t["b"])).sum()
                                        + (t["w"] ** 2 * torch.minimum(t["a"], t["b"])).sum()
                                        + torch.maximum(t["a"], torch.ones_like(t["a"])).sum()}, ["a", "b"]))


def run_case(work, name, mode):
    src, inputs, ref = CASES[name]
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m.bp"), "w") as f:
        f.write(src)
    args = [BPC, "run", os.path.join(d, "m.bp"), "--out", os.path.join(d, "out")] + mode
    for k, v in inputs.items():
        np.save(os.path.join(d, k + ".npy"), v)
        args += ["--in", "%s=%s" % (k, os.path.join(d, k + ".npy"))]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        return "bpc run exited %d: %s" % (p.returncode, p.stderr.strip())
    f32 = "f64" not in mode
    # the reference sees the inputs as bpc saw them (rounded to float32 in f32 mode)
    seen = {k: (v.astype(np.float32).astype(np.float64) if f32 else v) for k, v in inputs.items()}
    want = ref(seen)
    tol = 2e-5 if f32 else 1e-11
    for k, w in want.items():
        path = os.path.join(d, "out", k + ".npy")
        if not os.path.exists(path):
            return "no %s.npy" % k
        got = np.load(path).astype(np.float64).reshape(np.shape(w))
        scale = max(1.0, float(np.max(np.abs(w))) if np.size(w) else 1.0)
        err = float(np.max(np.abs(got - w))) / scale if np.size(w) else 0.0
        if not err <= tol:
            return "%s: error %.3g > %.1g\n  got  %s\n  want %s" % (k, err, tol, got.ravel()[:8], np.ravel(w)[:8])
    return None


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name in CASES:
            for mode in MODES:
                msg = run_case(work, name, mode)
                if msg:
                    failed += 1
                    print("FAIL: %s %s: %s" % (name, " ".join(mode) or "default", msg))
                else:
                    passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
