#!/usr/bin/env bash
# The convnet's generated code calls the kernels it should and no more:
# bench/convnet.bp's first conv reads the input x, which needs no gradient,
# so its backward has one conv2d_dx (the second conv's) and two conv2d_dw;
# the conv biases' gradients (sums over N, H, W) are sum_mid calls. With x a
# param, both convs get their conv2d_dx. The counts hold in each backward pass:
# bm_backward_run and the step's own bm_backward_step_run (its fused update of
# W, the dense layer's product, needs a backward of its own); the second conv's
# conv2d_dx is in a row function (bm_backward_rows_dh1) that both call.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
body() {    # body FILE FN: FN's lines in FILE (from its definition to the next function)
    awk -v fn="$2" '/^[a-z].*\(/ { in_fn = index($0, fn "(") > 0 } in_fn' "$1"
}
calls() {   # calls FILE NAME [FN]: the count of calls of the runtime kernel NAME in FILE,
            # or in its function FN only
    if [ -z "${3:-}" ]; then
        grep -c "bp_s_$2(" "$1"
    else
        body "$1" "$3" | grep -c "bp_s_$2("
    fi
}
check "convnet to C" "$BPC" "$SRC/bench/convnet.bp" -o convnet.c --name bm --gemm=runtime
check "no conv2d_dx for the input x" test "$(calls convnet.c conv2d_dx)" = 1
check "the second conv's conv2d_dx in its row function" test "$(calls convnet.c conv2d_dx bm_backward_rows_dh1)" = 1
for fn in bm_backward_run bm_backward_step_run; do
    check "$fn: dh1 by rows" test "$(body convnet.c $fn | grep -c 'bm_backward_rows_dh1)')" = 1
    check "$fn: a conv2d_dw per conv" test "$(calls convnet.c conv2d_dw $fn)" = 2
    check "$fn: the bias gradients as sum_mid" test "$(calls convnet.c sum_mid $fn)" = 2
done
check "two backward passes in all" test "$(calls convnet.c conv2d_dw)" = 4
sed 's/^input  x\[N, 1, 28, 28\]/param  x[N, 1, 28, 28]/' "$SRC/bench/convnet.bp" >xparam.bp
check "x a param: to C" "$BPC" xparam.bp -o xparam.c --name bm --gemm=runtime --set N=4
check "x a param: a conv2d_dx per conv" test "$(calls xparam.c conv2d_dx)" = 2
finish
