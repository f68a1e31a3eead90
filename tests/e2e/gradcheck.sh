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

# A bias right before a normalization has a gradient of exactly 0: rounding
# noise on both sides must not count as an error (an absolute floor relative
# to the scale of the objective and the gradients).
cd "$WORK"
printf 'dim N\ninput x[N, 4]\nparam W[4, 3] ~ he\nparam b[3]\nh = x @ W + b\nc = h - mean(h, axis=0)\nloss = sum(c * c * c) + sum(tanh(c))\ngrad loss\n' > zero.bp
for seed in 1 2 3 4 5 6; do
    check "exactly-zero gradient, seed $seed" "$BPC" gradcheck zero.bp --seed $seed --set N=50
done
# ...while a gradient that is wrong by a small amount is still caught: relu's
# derivative at exactly 0 is taken as 0, the central difference says 1/2, and
# the term is 1e-4 of the objective's other gradients.
printf 'dim N\ninput x[N, 4]\nparam W[4, 3] ~ he\nparam b[3]\nh = x @ W\nloss = sum(h * h) + 1e-4 * sum(relu(b))\ngrad loss\n' > wrong.bp
check "a wrong gradient fails" expect_exit 1 "$BPC" gradcheck wrong.bp
check "and is named" sh -c "'$BPC' gradcheck wrong.bp | grep -q '^b_grad .*FAIL'"
check "the right ones pass beside it" sh -c "'$BPC' gradcheck wrong.bp | grep '^W_grad' | grep -vq FAIL"
finish
