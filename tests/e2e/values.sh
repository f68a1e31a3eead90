#!/usr/bin/env bash
# Forward values and gradients against PyTorch float64 on every JIT path
# (tcc and cc, f32 and f64, -O0); the cases live in values.py.
exec /usr/bin/python3 "$(dirname "$0")/values.py" "$@"
