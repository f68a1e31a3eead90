#!/usr/bin/env python3
"""ckpt_compare.py A B TOL: two bpc checkpoints hold the same files, tensors
of the same shapes and dtypes, the same epoch and step, and every tensor of B
within TOL of A's relative to A's largest magnitude. Prints the worst
difference; exit 0 when within TOL, 1 otherwise."""
import json, os, sys
import numpy as np

a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
files = sorted(os.listdir(a))
if files != sorted(os.listdir(b)):
    sys.exit("different files: %s vs %s" % (files, sorted(os.listdir(b))))
ma, mb = (json.load(open(os.path.join(d, "manifest.json"))) for d in (a, b))
for k in ("tensors", "epoch", "step", "model"):
    if ma[k] != mb[k]:
        sys.exit("manifest %s differs: %s vs %s" % (k, ma[k], mb[k]))
worst, where = 0.0, ""
for f in files:
    if not f.endswith(".npy"):
        continue
    x, y = np.load(os.path.join(a, f)), np.load(os.path.join(b, f))
    if x.shape != y.shape or x.dtype != y.dtype:
        sys.exit("%s: %s %s vs %s %s" % (f, x.shape, x.dtype, y.shape, y.dtype))
    d = float(np.max(np.abs(x.astype(np.float64) - y)) / (np.max(np.abs(x)) + 1e-300))
    if d > worst or not where:
        worst, where = d, f
print("max relative difference %.3g (%s)" % (worst, where))
sys.exit(0 if worst <= tol else 1)
