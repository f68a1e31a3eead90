#!/usr/bin/python3
"""Export scikit-learn's digits as .npy for bpc: x_train/x_test (float32,
[N, 64], pixels scaled to [0, 1]) and y_train/y_test (int32 labels 0..9),
a fixed 80/20 split (stratified, random_state=0).

usage: /usr/bin/python3 export_digits.py OUTDIR
Exit 77 (skip) when scikit-learn or NumPy is missing."""
import os
import sys

try:
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
except ImportError as e:
    print(f"export_digits.py: needs scikit-learn and NumPy ({e}); "
          "on Debian: apt-get install python3-sklearn python3-numpy", file=sys.stderr)
    sys.exit(77)

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
d = load_digits()
x = (d.data / 16.0).astype(np.float32)
y = d.target.astype(np.int32)
xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
for name, a in [("x_train", xtr), ("y_train", ytr), ("x_test", xte), ("y_test", yte)]:
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(a))
print(f"{len(xtr)} training and {len(xte)} test examples in {out}/")
