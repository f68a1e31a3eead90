#!/usr/bin/python3
"""Reshape the digits export (examples/digits/export_digits.py: x_*.npy of
[N, 64]) in place to NCHW images [N, 1, 8, 8] for convnet.bp.

usage: /usr/bin/python3 to_images.py DIR"""
import os
import sys

import numpy as np

d = sys.argv[1] if len(sys.argv) > 1 else "."
for name in ("x_train", "x_test"):
    path = os.path.join(d, name + ".npy")
    x = np.load(path)
    np.save(path, np.ascontiguousarray(x.reshape(-1, 1, 8, 8)))
print(f"images [N, 1, 8, 8] in {d}/")
