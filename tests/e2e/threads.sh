#!/usr/bin/env bash
# The parallel hook (io->bp_par, bp_common.h): generated code driven by a host
# with its own threads (threads_host.c) computes bit for bit what it computes
# serially, for 2 and 3 threads, in every mode; the hook is really called;
# bpc train / run with --threads 1, 2, 3 give identical results.
# usage: threads.sh BPC SRC LIBBPRT
. "$(dirname "$0")/lib.sh"
RT=$3
cd "$WORK"
san_flags "$RT"
CFLAGS="-std=c99 -Wall -Wextra -pedantic -Werror -O2"
sed 's/sgd(lr = 0.1)/adam(lr = 0.001)/' "$SRC/examples/mlp.bp" >mlp_adam.bp
sed 's/sgd(lr = 0.1)/momentum(lr = 0.01, mu = 0.9)/' "$SRC/bench/mlp_deep.bp" >deep_momentum.bp

# Under ASan+UBSan (SAN) every code path runs once, not every combination: the
# release build runs them all, and the sanitized matrix would take CI past 30 minutes.
full() { [ ${#SAN[@]} = 0 ]; }
same_for_threads() {   # same_for_threads MODEL.bp BATCH MODE...: 1, 2 and 3 threads (or $THREADS) agree bit for bit
    local m=$1 b=$2 t; shift 2
    "$BPC" "$m" --name tm -o tm.c "$@" || return 1
    local extra=() flags=()
    case " $* " in *" runtime "*) extra=("$RT" -lpthread) ;; esac
    grep -q 'int    tm_step' tm.h || flags=(-DNO_STEP)
    gcc $CFLAGS ${XFLAGS:-} "${SAN[@]}" "${flags[@]}" -DMODEL_H='"tm.h"' -DP=tm -I. -o host "$SRC/tests/e2e/threads_host.c" tm.c "${extra[@]}" -lm -lpthread ||
        return 1
    ./host "$b" 3 1 >t1 || return 1
    grep -q '^runs 0$' t1 || return 1
    grep -v '^runs' t1 >a
    [ -s a ] || return 1
    for t in ${THREADS:-2 3}; do
        ./host "$b" 3 "$t" >t$t || return 1
        [ "$b" = 1 ] || ! grep -q '^runs 0$' t$t || { echo "the hook was never called"; return 1; }
        grep -v '^runs' t$t >b && cmp a b || return 1
    done
}
for mode in "" "--dtype f64" "--gemm runtime" "-O0"; do
    check "mlp ${mode:-default} batch 150: 2 and 3 threads = 1 thread" same_for_threads "$SRC/examples/mlp.bp" 150 $mode
done
# 4 and 5 threads: P_mmk's halves of x @ W1 each split by columns too (the -O0
# build and its 1-thread results the loop above left)
check "mlp -O0 batch 150: 4 and 5 threads = 1 thread" sh -c "./host 150 3 4 | grep -v '^runs' >d && ./host 150 3 5 | grep -v '^runs' >f && cmp a d && cmp a f"
# P_step's W1 gradient recomputes dh_pre = mask(dscores @ W2ᵀ, h) in each of its tasks
# (em_step_pre): 2 to 4 tasks (1 to 3 copies, P_copies), and with 5 tasks, more than its
# copies, dh_pre computed before the run as without threads
recomputes_dh() {
    "$BPC" "$SRC/examples/mlp.bp" --name rc -o rc.c || return 1
    grep -q 'else if (rc_mmu_pre(io->bp_par, 784, 256, N, (N \* 256), 1)) {   /\* dh_pre: computed by each task' rc.c || return 1
    # 784-1024-1024-10: W1's gradient reads dh1_pre = mask(dh2_pre @ W2ᵀ, h1), of depth 1024: not recomputed
    "$BPC" "$SRC/bench/mlp_deep.bp" --name rd -o rd.c || return 1
    grep -q 'rd_mmu(io->bp_par, 1, 0, 784, 1024, N, 1, x, 784, dh1_pre' rd.c && ! grep -q 'rd_mmu_pre' rd.c
}
check "mlp: P_step's W1 gradient recomputes dh_pre (depth 10) in each task, not a product of depth 1024" recomputes_dh
THREADS="2 3 4 5" check "mlp batch 150: 2, 3, 4 and 5 threads = 1 thread" same_for_threads "$SRC/examples/mlp.bp" 150
full && THREADS="2 3 4 5" check "mlp adam f64 --gemm runtime batch 150: 2, 3, 4 and 5 threads = 1 thread" same_for_threads mlp_adam.bp 150 --dtype f64 --gemm runtime
check "mlp batch 1: 2 and 3 threads = 1 thread" same_for_threads "$SRC/examples/mlp.bp" 1
# batch 1: x @ W1 over W1's row halves, a task each (P_mvk), and W1's gradient and update at
# depth 1 over the same rows (P_mmu): each core keeps its half of W1 and W1_grad in its L2
check "mlp batch 1 on 2 threads: x @ W1 and W1's update split by the same rows (2 hook runs a step)" sh -c \
    "./host 1 3 2 | grep -qx 'runs 6' && grep -q 'tm_mvk(io->bp_par, 256, 784, 392, x, 784, W1, 256, h, ' tm.c"
check "mlp adam batch 150: 2 and 3 threads = 1 thread" same_for_threads mlp_adam.bp 150
check "mlp adam --gemm runtime batch 1: 2 and 3 threads = 1 thread" same_for_threads mlp_adam.bp 1 --gemm runtime
# Which products split (P_pays): from 2^18 multiply-adds, so at batch 256 two of the three
# 256 x 10 x 256 products (655k) join x @ W1, W1's update and the L2 term sum(W1 * W1)
# (P_pdot, 800 KB: from 512 KiB) (5 runs a step; the third, dh_pre, is computed inside
# W1's run: em_step_pre), at batch 64 the three of 164k stay serial (3); x @ W1 goes
# over W1's row halves (P_mmk), whose sum of the halves splits by rows from 2^16 values:
# at batch 256 (65,536) a 6th run, at 64 not; runs in 2 steps of the adam --gemm runtime
# build above
check "mlp batch 256: its 655k products split, and the halves' sum (6 hook runs a step)" sh -c "./host 256 2 2 | grep -qx 'runs 12'"
check "mlp batch 64: its 164k products do not, its L2 term does (3 hook runs a step)" sh -c "./host 64 2 2 | grep -qx 'runs 6'"
for mode in "" "--gemm runtime" "--dtype f64"; do   # batched products: slices split across tasks (P_bmm)
    check "transformer block ${mode:-default} batch 5: 2 and 3 threads = 1 thread" same_for_threads "$SRC/bench/transformer_block.bp" 5 $mode
done
# the products whose batch folds into one GEMM (a_ @ Wq on [N, T, D], sum_batch(aᵀ @ g) for
# a weight's gradient) split too: 13 runs a step (11 before); and the row passes of 2^16
# elements or more (P_rows): at batch 5 the softmax, gelu and their gradients, 4 runs
# (28 a step; host: the f64 build)
check "transformer block batch 5: its folded products and big row passes split (28 hook runs a step)" sh -c "./host 5 1 2 | grep -qx 'runs 28'"
# batch 16: every layernorm, transpose, softmax and elementwise pass splits (P_rows)
check "transformer block batch 16: 2 and 3 threads = 1 thread" same_for_threads "$SRC/bench/transformer_block.bp" 16
check "transformer block batch 16: every row pass and the loss's sum(square(t48)) split (47 hook runs a step)" sh -c "./host 16 1 2 | grep -qx 'runs 47'"
# row passes in blocks of rows (layernorm, softmax: 67 rows for 2 and 3 tasks) and flat
# loops in blocks of 16 elements, the last task to the end (67067 elements)
cat >rows.bp <<'BP'
dim N
dim D = 1001
input  x[N, D]
input  y[N] : int
param  g[D] ~ ones, c[D]
param  W[D, 10] ~ xavier
h = tanh(layernorm(x, g, c)) * sigmoid(x) + 0.5 * x
loss = cross_entropy((h + softmax(h)) @ W, y)
optimize loss with sgd(lr = 0.1)
BP
for mode in "" "--dtype f64"; do
    check "row passes ${mode:-default} batch 67: 2 and 3 threads = 1 thread" same_for_threads rows.bp 67 $mode
done
# pooling and its gradient by ranges of planes; the convolutions' forward and input gradient
# by ranges of images, each task with its own slot of im2col columns (P_slots: 21 images in
# blocks of 3, 7 blocks for 8 slots); the filter gradient stays serial; avgpool too
sed 's/h2     = maxpool2d(/h2     = avgpool2d(/' "$SRC/bench/convnet.bp" >convnet_avg.bp
check "convnet batch 21: 2 and 3 threads = 1 thread" same_for_threads "$SRC/bench/convnet.bp" 21
check "convnet with avgpool batch 21: 2 and 3 threads = 1 thread" same_for_threads convnet_avg.bp 21
check "convnet with avgpool batch 21: 2 pools, 2 pool gradients, 2 convolutions and 1 input gradient split (13 hook runs a step)" sh -c \
    "./host 21 1 2 | grep -qx 'runs 13'"
sed 's/dim N, T, H = 2, E = 3/dim N, T = 64, H = 2, E = 64/; s/x\[N, T, 6\]/x[N, T, 128]/; s/\[6, 6\]/[128, 128]/g' \
    "$SRC/tests/ref/cases/op_bmm_qkt.bp" >qkt.bp
check "op_bmm_qkt T 64 batch 4 (broadcast batches): 2 and 3 threads = 1 thread" same_for_threads qkt.bp 4
# Row splits: the softmax cross-entropy gradient by rows and its bias-gradient column sums by
# columns (P_pxent, from 2^15 scores), the L2 terms' sum(W * W) and sum(E * E) in fixed blocks
# (P_pdot: from 2^16 values, split from 512 KiB; 282700: a last block longer than the others; at
# batch 1 the product x @ W sums W's squares itself, and only E's go to P_pdot); batches that 2
# and 3 threads do not divide.
cat >wide.bp <<'BP'
dim N
dim D = 257, C = 1100
input  x[N, D]
input  y[N] : int
param  W[D, C] ~ he
param  b[C]
param  E[600, 500] ~ normal(0.01)
scores = x @ W + b
loss   = cross_entropy(scores, y) + 1e-4 * sum(W * W) + 1e-4 * sum(E * E)
output scores
grad loss
optimize loss with momentum(lr = 0.01, mu = 0.9)
BP
for b in 1 7 150; do
    check "wide softmax (1100 classes) batch $b: 2 and 3 threads = 1 thread" same_for_threads wide.bp $b
done
check "wide softmax batch 1 (E's P_pdot and E_grad = 0.0002 E; x @ W and W's update by W's row halves): 4 hook runs a step" sh -c \
    "./host 1 2 2 | grep -q '^runs 8$'"   # host: the batch-150 run's build of wide.bp
check "wide softmax f64 --gemm runtime batch 150: 2 and 3 threads = 1 thread" same_for_threads wide.bp 150 --dtype f64 --gemm runtime
full && check "wide softmax -O0 batch 150: 2 and 3 threads = 1 thread" same_for_threads wide.bp 150 -O0
full && check "784-1024-1024-10 momentum batch 70: 2 and 3 threads = 1 thread" same_for_threads deep_momentum.bp 70
check "784-1024-1024-10 momentum f64 batch 1: 2 and 3 threads = 1 thread" same_for_threads deep_momentum.bp 1 --dtype f64
# built for this CPU (-march=native: on AVX-512, the portable GEMM's zmm tile): the same
native() { XFLAGS=-march=native same_for_threads "$@"; }
for mode in "" "--dtype f64"; do
    check "-march=native: mlp ${mode:-default} batch 150: 2 and 3 threads = 1 thread" native "$SRC/examples/mlp.bp" 150 $mode
    full || [ -z "$mode" ] || continue
    check "-march=native: transformer block ${mode:-default} batch 5: 2 and 3 threads = 1 thread" native "$SRC/bench/transformer_block.bp" 5 $mode
done
full && check "-march=native: 784-1024-1024-10 momentum batch 70: 2 and 3 threads = 1 thread" native deep_momentum.bp 70

# bpc train and bpc run: the same numbers with 1, 2 and 3 threads
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
np.save('x.npy', r.standard_normal((300, 784)).astype(np.float32))
np.save('y.npy', r.integers(0, 10, 300).astype(np.int32))"
    train_same() {
        for t in 1 2 3; do
            "$BPC" train "$SRC/examples/mlp.bp" --in x=x.npy,y=y.npy --epochs 2 --batch 150 --threads $t --save s$t >log$t 2>&1 ||
                return 1
        done
        for f in s1/*.npy; do cmp "$f" "s2/${f#s1/}" && cmp "$f" "s3/${f#s1/}" || return 1; done
    }
    check "bpc train --threads 1, 2, 3: identical checkpoints" train_same
    run_same() {
        for t in 1 2 3; do
            "$BPC" run deep_momentum.bp --set N=130 --threads $t --out r$t >/dev/null || return 1
        done
        for f in r1/*.npy; do cmp "$f" "r2/${f#r1/}" && cmp "$f" "r3/${f#r1/}" || return 1; done
    }
    check "bpc run --threads 1, 2, 3: identical outputs and gradients" run_same
fi
# The helpers behind the hook leave their element loops to the support kernels: the JIT's
# tcc compiles the helpers but not the kernels (bound to libbprt's), and a loop it compiled
# there made the JIT tcc's MLP step at batch 64 slower on 2 threads (0.99 ms) than on 1 (0.47).
helpers_call_kernels() {
    "$BPC" "$SRC/examples/mlp.bp" --gemm=runtime -o hk.c || return 1
    body() { awk -v f="static void $1(" 'index($0, f) == 1 {on = 1} on {print} on && /^}/ {exit}' hk.c; }
    body mlp_mm_part | grep -q 'bp_s_scale(n, ' || { echo "mlp_mm_part: no scale kernel"; return 1; }
    body mlp_mmk_sum | grep -q 'bp_s_add(' || { echo "mlp_mmk_sum: no add kernel"; return 1; }
    body mlp_pxent_colsum | grep -q 'bp_s_add(' || { echo "mlp_pxent_colsum: no add kernel"; return 1; }
    body mlp_mm | grep -q 'bp_s_add(n, colsum' || { echo "mlp_mm: no add kernel"; return 1; }
    for f in mlp_mm_part mlp_mmk_sum mlp_pxent_colsum mlp_mm; do
        body $f | grep -q '\] += \|j->beta \* j->E' && { echo "$f: a loop over elements"; return 1; }
    done
    return 0
}
check "the hook's helpers call the support kernels for their element loops (JIT tcc)" helpers_call_kernels
check "bpc bench --threads 2 says 2 threads" sh -c "'$BPC' bench '$SRC/examples/mlp.bp' --set N=4 --threads 2 | grep -q '2 threads'"
finish
