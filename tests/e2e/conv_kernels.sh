#!/usr/bin/env bash
# The convnet's generated code calls the kernels it should and no more:
# bench/convnet.bp's first conv reads the input x, which needs no gradient,
# so its backward has one conv2d_dx (the second conv's) and two conv2d_dw;
# the conv biases' gradients (sums over N, H, W) are sum_mid calls. With x a
# param, both convs get their conv2d_dx.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
calls() {   # calls FILE NAME: the count of calls of the runtime kernel NAME in FILE
    grep -c "bp_s_$2(" "$1"
}
check "convnet to C" "$BPC" "$SRC/bench/convnet.bp" -o convnet.c --name bm --gemm=runtime
check "no conv2d_dx for the input x" test "$(calls convnet.c conv2d_dx)" = 1
check "a conv2d_dw per conv" test "$(calls convnet.c conv2d_dw)" = 2
check "the bias gradients as sum_mid" test "$(calls convnet.c sum_mid)" = 2
sed 's/^input  x\[N, 1, 28, 28\]/param  x[N, 1, 28, 28]/' "$SRC/bench/convnet.bp" >xparam.bp
check "x a param: to C" "$BPC" xparam.bp -o xparam.c --name bm --gemm=runtime --set N=4
check "x a param: a conv2d_dx per conv" test "$(calls xparam.c conv2d_dx)" = 2
finish
