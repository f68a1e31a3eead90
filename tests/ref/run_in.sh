#!/usr/bin/env bash
# bpc run --in sets params and upstream gradients as well as inputs (what the
# reference harness's JIT paths rely on); an unknown name is a usage error.
. "$(dirname "$0")/../e2e/lib.sh"
cd "$WORK"
PY=/usr/bin/python3
cat > m.bp <<'BP'
dim N, D = 2
input x[N, D]
param W[D, D] ~ normal(1)
y = x @ W
output y
grad y wrt W
BP
"$PY" -c "
import numpy as np
np.save('x.npy', np.array([[1., 2.], [3., 4.]]))
np.save('W.npy', np.array([[1., 0.], [0., -1.]]))
np.save('g.npy', np.array([[1., 0.], [0., 2.]]))"
check "run with --in for an input, a param and y_grad_in" \
    "$BPC" run m.bp --dtype f64 --in x=x.npy --in W=W.npy --in y_grad_in=g.npy --out res
check "the param was used: y = x @ W" "$PY" -c "
import numpy as np
assert np.array_equal(np.load('res/y.npy'), [[1., -2.], [3., -4.]])"
check "the upstream gradient was used: W_grad = x.T @ g" "$PY" -c "
import numpy as np
assert np.array_equal(np.load('res/W_grad.npy'), [[1., 6.], [2., 8.]])"
check "an unknown --in name is a usage error" expect_exit 2 "$BPC" run m.bp --in nope=x.npy
check "the gradient itself cannot be given" expect_exit 2 "$BPC" run m.bp --in W_grad=W.npy
finish
