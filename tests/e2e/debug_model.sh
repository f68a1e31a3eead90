#!/usr/bin/env bash
# Debugging the model (issue 10 item 4): --check-finite names the first tensor
# that holds NaN or Inf by its .bp name and line (generated C, run, train);
# --line-directives maps the generated code back to the .bp lines (compilers
# accept it, hostile paths included; gdb stops at a .bp line; the C file's own
# lines stay right after each statement); explain --cost.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
CFLAGS="-std=c99 -Wall -Wextra -pedantic -Werror"
D="$SRC/tests/e2e/debug"

# every example and test model, with both options, in every mode: warning-free
for m in "$SRC"/examples/*.bp "$SRC"/tests/models/*.bp; do
    name=$(basename "$m" .bp)
    for mode in "" "--dtype f64" "-O0"; do
        tag="$name ${mode:-default}"
        check "$tag: bpc -o" "$BPC" "$m" -o "$name.c" --check-finite --line-directives $mode
        cc_check "$tag: gcc" gcc $CFLAGS -O2 -c "$name.c" -o "$name.o"
        # clang warns from its front end alone (-Wall -Wextra -pedantic need no optimiser),
        # so -fsyntax-only checks the same and skips a second of code generation per file;
        # clang-built code is compiled and run by the reference tests (aot-clang paths)
        if command -v clang >/dev/null; then cc_check "$tag: clang" clang $CFLAGS -fsyntax-only "$name.c"; fi
        if command -v tcc >/dev/null; then cc_check "$tag: tcc" tcc -Wall -Werror -c "$name.c" -o "$name.o"; fi
    done
done

# --check-finite in the generated C: 0 and NULL when finite; BP_ENONFINITE (4)
# and the tensor's name and line (scores, line 8) when the scores overflow
cp "$D/overflow.bp" d.bp
"$BPC" d.bp --check-finite -o d.c >/dev/null
check "check-finite: the driver builds" gcc $CFLAGS -O2 -I. "$D/driver.c" d.c -lm -o prog
check "check-finite: finite data passes" sh -c './prog 1 | grep -qx "rc=0 nonfinite=(null)"'
check "check-finite: the first non-finite tensor named" sh -c './prog 1000 | grep -qx "rc=4 nonfinite=scores (d.bp:8)"'
check "check-finite: tcc build agrees" sh -c "tcc -I. '$D/driver.c' d.c -lm -o tprog && ./tprog 1000 | grep -qx 'rc=4 nonfinite=scores (d.bp:8)'"
check "check-finite: the header documents it" grep -q "d_nonfinite(const void \*ws)" d.h
check "check-finite: without it, no record and no d_nonfinite" sh -c "'$BPC' d.bp -o plain.c && ! grep -q d_nonfinite plain.c plain.h"

# bpc run / train: the CLI names it
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
np.save('x.npy', (r.standard_normal((64, 4)) * 100).astype(np.float32))
np.save('y.npy', r.integers(0, 3, 64).astype(np.int32))"
check "run --check-finite names scores" sh -c "'$BPC' run d.bp --in x=x.npy,y=y.npy --check-finite 2>&1 >/dev/null | grep -q 'NaN or infinite: scores (d.bp:8)'"
check "train --check-finite names scores" sh -c "'$BPC' train d.bp --in x=x.npy,y=y.npy --epochs 2 --batch 16 --check-finite 2>&1 | grep -q 'scores (d.bp:8) became NaN or infinite at epoch 1, batch 1'"
check "train --check-finite exits 1" expect_exit 1 "$BPC" train d.bp --in x=x.npy,y=y.npy --epochs 2 --batch 16 --check-finite
check "train without it still stops on the loss" sh -c "'$BPC' train d.bp --in x=x.npy,y=y.npy --epochs 2 --batch 16 2>&1 | grep -q \"the loss 'loss' became\""

# --line-directives: gdb stops at the .bp line, and the C file's lines stay right
"$BPC" d.bp --check-finite --line-directives -o d.c >/dev/null
check "line-directives: #line to the .bp" grep -qx '#line 8 "d.bp"' d.c
check "line-directives: builds with -g" gcc $CFLAGS -g -O0 -I. "$D/driver.c" d.c -lm -o gprog
if command -v gdb >/dev/null && gdb -batch -ex run ./gprog >/dev/null 2>&1; then
    gdb -batch -ex 'break d.bp:8' -ex 'run 1' -ex bt ./gprog >gdb.out 2>&1
    check "gdb stops at d.bp:8" grep -q 'd_forward_run .* at .*d\.bp:8' gdb.out
    # the frame below is in the C file's own numbering: that line calls forward_run
    line=$(sed -n 's/.* in d_grad .* at d\.c:\([0-9]*\)$/\1/p' gdb.out)
    check "the C file's own lines resume after the statements" sh -c "sed -n '${line:-0}p' d.c | grep -q 'd_forward_run(io, ws)'"
fi
check "addr2line maps an address to a .bp line" sh -c "
    addr=\$(objdump --dwarf=decodedline gprog | awk '\$1 == \"d.bp\" && \$2 == 8 { print \$3; exit }')
    addr2line -e gprog \"\$addr\" | grep -q 'd\.bp:8\$'"

# hostile paths in #line: escaped so that every compiler accepts them and nothing is injected
n=0
for path in 'q"uote' $'new\nline' 'back\slash' 'tri??=x??-' $'tab\tcr\r' 'naïve' 'x" int evil; "'; do
    n=$((n + 1)); mkdir "p$n"
    cp "$D/overflow.bp" "p$n/$path.bp"
    check "#line path $(printf %q "$path"): bpc" "$BPC" "p$n/$path.bp" --name m --line-directives -o "p$n/m.c"
    check "#line path $(printf %q "$path"): gcc" gcc $CFLAGS -c "p$n/m.c" -o "p$n/m.o"
    check "#line path $(printf %q "$path"): clang" clang $CFLAGS -c "p$n/m.c" -o "p$n/m.o"
    check "#line path $(printf %q "$path"): tcc" tcc -Wall -Werror -c "p$n/m.c" -o "p$n/m.o"
    check "#line path $(printf %q "$path"): nothing injected" sh -c "! nm 'p$n/m.o' | grep -qw evil"
done

# explain --cost: x @ W at N = 64 is 2*64*4*8 = 4096 FLOPs; totals; the workspace
"$BPC" explain --cost d.bp >cost.out 2>&1
check "cost: h's GEMM" grep -Eq '^ +7  h = x @ W .* 4096 ' cost.out
check "cost: totals" sh -c "grep -q 'total forward' cost.out && grep -q 'total backward' cost.out"
check "cost: workspace against the sum" grep -q '^workspace: .*the intermediates sum to' cost.out
# a derived dim is its polynomial at 64: N*T rows are 4096, so 2*4096*4*8 FLOPs (it counted 64 rows)
cat > dd.bp <<'BP'
dim N, T
dim D = 4, E = 8
input x[N, T, D]
param W[D, E]
h = reshape(x, [N * T, D]) @ W
loss = sum(h * h)
grad loss
BP
"$BPC" explain --cost dd.bp >cost_dd.out 2>&1
check "cost: a derived dim N*T is 64*64" grep -Eq '^ +5  h = .* 262k ' cost_dd.out
# a weight's gradient from a stack, sum_batch(xᵀ @ dh): one GEMM with k = N*T = 4096 rows,
# 2*4*8*4096 = 262k FLOPs (it counted the [N, 4, 8] products' elements, 2048)
cat > sb.bp <<'BP'
dim N
dim T = 64, D = 4, E = 8
input x[N, T, D]
param W[D, E]
h = x @ W
loss = sum(h * h)
grad loss
BP
"$BPC" explain --cost sb.bp >cost_sb.out 2>&1
check "cost: sum_batch(xᵀ @ dh) is a GEMM with k = N*T" grep -Eq '^ +5  W_grad = sum_batch.* 262k ' cost_sb.out
# a convolution is a GEMM too: [64, 3, 9, 7] by [4, 3, 3, 3], stride 2, pad 1 gives
# [64, 4, 5, 4], so 2*64*4*5*4 * 3*3*3 = 276k FLOPs forward and for its dw; then by
# [2, 4, 3, 3], pad 1: [64, 2, 5, 4], 2*64*2*5*4 * 4*3*3 = 184k forward, dw and dx
# (each counted 5 an element of its first operand: 60.5k, 25.6k, ...)
cat > cv.bp <<'BP'
dim N
input x[N, 3, 9, 7]
param w[4, 3, 3, 3], v[2, 4, 3, 3]
y = conv2d(x, w, stride=2, pad=1)
z = conv2d(y, v, pad=1)
loss = sum(z * z)
grad loss
BP
"$BPC" explain --cost cv.bp >cost_cv.out 2>&1
check "cost: conv2d is its GEMM's 2 N F OH OW C KH KW" grep -Eq '^ +4  y = conv2d.* 276k ' cost_cv.out
check "cost: conv2d, stride 1" grep -Eq '^ +5  z = conv2d.* 184k ' cost_cv.out
check "cost: conv2d_dw" sh -c "grep -Eq '^ +4  w_grad = conv2d_dw.* 276k ' cost_cv.out && grep -Eq '^ +5  v_grad = conv2d_dw.* 184k ' cost_cv.out"
check "cost: conv2d_dx" grep -Eq '^ +5  .* = conv2d_dx.* 184k ' cost_cv.out
finish
