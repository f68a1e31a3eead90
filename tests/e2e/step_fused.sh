#!/usr/bin/env bash
# P_step with the optimizer update fused into the GEMM that finishes a
# param's gradient (emit_stepfuse.c): it computes bit for bit what P_grad
# then P_update compute (every param, state, output and *_grad field), for
# sgd, momentum and adam, with L2 terms in the loss, at batch 1, 7 and 150,
# serially and on 2 and 3 threads, float and double, portable and runtime
# GEMM; and the fusion really happens where it may (W1) and not where the
# param is read after its gradient (W2) or multiplies into its own gradient.
# usage: step_fused.sh BPC SRC LIBBPRT
. "$(dirname "$0")/lib.sh"
RT=$3
cd "$WORK"
san_flags "$RT"
CFLAGS="-std=c99 -Wall -Wextra -pedantic -Werror -O2"
cp "$SRC/examples/mlp.bp" mlp_sgd.bp
sed 's/sgd(lr = 0.1)/momentum(lr = 0.05, mu = 0.9)/' "$SRC/examples/mlp.bp" >mlp_momentum.bp
sed 's/sgd(lr = 0.1)/adam(lr = 0.01)/' "$SRC/examples/mlp.bp" >mlp_adam.bp
sed 's/sgd(lr = 0.1)/adam(lr = 0.001)/' "$SRC/bench/mlp_deep.bp" >deep_adam.bp
cat >tied.bp <<'BP'
dim N
dim D = 70
input x[N, D]
input y[N] : int
param W[D, D] ~ he
param V[D, 5] ~ he
h = relu(x @ W)
s = (h @ W) @ V
loss = cross_entropy(s, y) + 1e-3 * sum(W * W) + 2e-3 * sum(V * V)
grad loss
optimize loss with momentum(lr = 0.01, mu = 0.5)
BP

same_as_grad_update() {   # MODEL.bp BATCH MODE...: step = grad + update, 1, 2 and 3 threads
    local m=$1 b=$2; shift 2
    "$BPC" "$m" --name tm -o tm.c "$@" || return 1
    local extra=()
    case " $* " in *" runtime "*) extra=("$RT" -lpthread) ;; esac
    for v in step split; do
        local flags=()
        [ $v = split ] && flags=(-DGRAD_UPDATE)
        gcc $CFLAGS "${SAN[@]}" "${flags[@]}" -DMODEL_H='"tm.h"' -DP=tm -I. -o $v "$SRC/tests/e2e/threads_host.c" tm.c \
            "${extra[@]}" -lm -lpthread || return 1
    done
    for t in 1 2 3; do
        ./step "$b" 3 $t | grep -v '^runs' >a$t && ./split "$b" 3 $t | grep -v '^runs' >b$t || return 1
        [ -s a$t ] && cmp a$t b$t || return 1
    done
}
# Under ASan+UBSan (SAN) every code path runs once, not every combination: the
# release build runs them all, and the sanitized matrix would take CI past 30 minutes.
full() { [ ${#SAN[@]} = 0 ] || [ "$1" = adam ]; }
for opt in sgd momentum adam; do
    for b in 1 7 150; do
        check "mlp $opt batch $b: step = grad + update" same_as_grad_update mlp_$opt.bp $b
    done
    full $opt || continue
    check "mlp $opt --gemm runtime batch 150: step = grad + update" same_as_grad_update mlp_$opt.bp 150 --gemm runtime
    check "mlp $opt f64 batch 7: step = grad + update" same_as_grad_update mlp_$opt.bp 7 --dtype f64
done
# batch 1 (depth-1 products, gemm_vec's k == 1 path in both GEMM modes): float and
# double, with and without the L2 term (the gradient's scale pass), and under gcc's
# default (GNU C: multiply-adds contracted, fast fmaf) as well as -std=c99
sed 's/ + 1e-4 \* (sum(W1 \* W1) + sum(W2 \* W2))//' mlp_adam.bp >mlp_nol2.bp
gnu_same() { CFLAGS="-O3 -march=native -Wall -Wextra -Werror" same_as_grad_update "$@"; }
for opt in sgd momentum adam nol2; do
    full $opt || [ $opt = nol2 ] || continue
    check "mlp $opt --gemm runtime batch 1: step = grad + update" same_as_grad_update mlp_$opt.bp 1 --gemm runtime
    check "mlp $opt f64 batch 1: step = grad + update" same_as_grad_update mlp_$opt.bp 1 --dtype f64
    check "mlp $opt gcc -O3 -march=native batch 1: step = grad + update" gnu_same mlp_$opt.bp 1
done
check "mlp nol2 batch 1: step = grad + update" same_as_grad_update mlp_nol2.bp 1
if [ ${#SAN[@]} = 0 ]; then   # sanitized, the wide model's 64-row blocks are the mlp's at batch 150
    check "784-1024-1024-10 adam batch 70: step = grad + update" same_as_grad_update deep_adam.bp 70
    check "784-1024-1024-10 adam --gemm runtime batch 1: step = grad + update" same_as_grad_update deep_adam.bp 1 --gemm runtime
fi
check "tied weights batch 9: step = grad + update" same_as_grad_update tied.bp 9
fused() {   # MODEL.bp: the params whose update the step's backward pass makes, in order
    "$BPC" "$1" --name tm -o f.c && sed -n '/backward_step_run(const/,/^}/p' f.c |
        sed -n 's|.*/\* and the update of \([A-Za-z0-9_]*\),.*|\1|p' | tr '\n' ' '
}
mlp_fuses_w1() { [ "$(fused mlp_sgd.bp)" = "W1 " ]; }
tied_not_w() { case " $(fused tied.bp)" in *" W "*) return 1 ;; esac; }
check "mlp: W1's update is fused, W2's (read by dh after its gradient) is not" mlp_fuses_w1
# without an L2 term W1's gradient is a product of its own (em_matmul's, no fusion of the plan)
nol2_fuses_w1() { [ "$(fused mlp_nol2.bp)" = "W1 " ] && grep -q 'tm_mmu_pre(io->bp_par, 784, 256, N, (N \* 256), 1)' f.c; }
check "mlp without an L2 term: W1's update is fused too, its tasks recomputing dh_pre" nol2_fuses_w1
# sum(W1 ** 2): its gradient 1e-4 * (2 * W1) is folded to 2e-4 * W1, the c X step fusion takes
sed 's/sum(W1 \* W1)/sum(W1 ** 2)/' mlp_sgd.bp >mlp_pow.bp
pow_fuses_w1() { [ "$(fused mlp_pow.bp)" = "W1 " ]; }
check "mlp with sum(W1 ** 2): W1's update is fused as with sum(W1 * W1)" pow_fuses_w1
check "mlp with sum(W1 ** 2) batch 7: step = grad + update" same_as_grad_update mlp_pow.bp 7
check "tied weights: W (read after / inside its own gradient's GEMM) is not fused" tied_not_w
finish
