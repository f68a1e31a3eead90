#!/usr/bin/env bash
# Every example and test model passes bpc gradcheck (double precision, max
# relative error 1e-6), fused and unfused, with the libtcc and the cc JIT.
. "$(dirname "$0")/lib.sh"
for m in "$SRC"/examples/*.bp "$SRC"/tests/models/*.bp; do
    name=$(basename "$m" .bp)
    check "$name" "$BPC" gradcheck "$m"
    check "$name -O0" "$BPC" gradcheck "$m" -O0
    check "$name --seed 5" "$BPC" gradcheck "$m" --seed 5
done
check "mlp with cc" "$BPC" gradcheck "$SRC/examples/mlp.bp" --jit cc
finish
