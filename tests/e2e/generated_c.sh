#!/usr/bin/env bash
# The generated C: warning-free C99 under gcc and clang -Wall -Wextra -pedantic
# and compiled by tcc, in every mode; two models linked into one program and
# run against each other (fused against unfused), return codes and reflection.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
CFLAGS="-std=c99 -Wall -Wextra -pedantic -Werror"
models="$SRC/examples/*.bp $SRC/tests/models/*.bp"
for m in $models; do
    name=$(basename "$m" .bp)
    for mode in "" "--dtype f64" "-O0" "--gemm blas" "--gemm runtime"; do
        tag="$name ${mode:-default}"
        check "$tag: bpc -o" "$BPC" "$m" -o "$name.c" $mode
        cc_check "$tag: gcc" gcc $CFLAGS -O2 -c "$name.c" -o "$name.o"
        # clang warns from its front end alone (-Wall -Wextra -pedantic need no optimiser),
        # so -fsyntax-only checks the same and skips a second of code generation per file;
        # clang-built code is compiled and run by the reference tests (aot-clang paths)
        if command -v clang >/dev/null; then cc_check "$tag: clang" clang $CFLAGS -fsyntax-only "$name.c"; fi
        if command -v tcc >/dev/null; then cc_check "$tag: tcc" tcc -Wall -Werror -c "$name.c" -o "$name.o"; fi
    done
done
# For an AVX-512 target the portable GEMM has a zmm tile (bp_kernels.inc): warning-free too
if [ "$(uname -m)" = x86_64 ]; then
    for mode in "" "--dtype f64"; do
        "$BPC" "$SRC/examples/mlp.bp" -o mlp512.c $mode >/dev/null
        cc_check "mlp ${mode:-default}: gcc -mavx512f" gcc $CFLAGS -O2 -mavx512f -mfma -c mlp512.c -o mlp512.o
        if command -v clang >/dev/null; then
            cc_check "mlp ${mode:-default}: clang -mavx512f" clang $CFLAGS -O2 -mavx512f -mfma -c mlp512.c -o mlp512.o
        fi
        cc_check "mlp ${mode:-default}: gcc -O0 -mavx512f" gcc $CFLAGS -O0 -mavx512f -mfma -c mlp512.c -o mlp512.o
    done
fi

# An f32 model computes in float: no literal of an op's expression and no math
# call promotes to double (the double accumulators widen explicitly).
"$BPC" "$SRC/tests/models/ewise_f32.bp" -o ewise_f32.c >/dev/null
cc_check "ewise_f32: gcc -Wdouble-promotion" gcc $CFLAGS -Wdouble-promotion -O2 -c ewise_f32.c -o ewise_f32.o
if command -v clang >/dev/null; then cc_check "ewise_f32: clang -Wdouble-promotion" clang $CFLAGS -Wdouble-promotion -O2 -c ewise_f32.c -o ewise_f32.o; fi
# ...and layernorm's, batchnorm's and the softmaxes' row sums (norm_f32: lanes in float or
# explicitly widened double accumulators)
"$BPC" "$SRC/tests/models/norm_f32.bp" -o norm_f32.c >/dev/null
cc_check "norm_f32: gcc -Wdouble-promotion" gcc $CFLAGS -Wdouble-promotion -O2 -c norm_f32.c -o norm_f32.o
if command -v clang >/dev/null; then cc_check "norm_f32: clang -Wdouble-promotion" clang $CFLAGS -Wdouble-promotion -O2 -c norm_f32.c -o norm_f32.o; fi
# built for a CPU with fused multiply-adds (FP_FAST_FMAF: the GEMM's fmaf, whose double twin
# sat in the same conditional and promoted the float one: 6 errors before)
cc_check "norm_f32: gcc -mfma -Wdouble-promotion" gcc $CFLAGS -Wdouble-promotion -O2 -mfma -c norm_f32.c -o norm_f32.o
cc_check "norm_f32: gcc -march=native -Wdouble-promotion" gcc $CFLAGS -Wdouble-promotion -O2 -march=native -c norm_f32.c -o norm_f32.o
# Hostile file names never inject C: the model's path reaches a comment
# (star-slash, newline, backslash and ?? are escaped), the header's name
# reaches #include (which has no escapes: a name it cannot spell is replaced
# by the header's text). Each output compiles warning-free and defines
# nothing but the model: `evil` would be defined by an injection.
compiles_clean() {   # compiles_clean DIR: DIR/m.c under gcc, clang, tcc, and no symbol 'evil'
    gcc $CFLAGS -c "$1/m.c" -o "$1/m.o" && clang $CFLAGS -c "$1/m.c" -o "$1/m.o" &&
        tcc -Wall -Werror -c "$1/m.c" -o "$1/m.o" && ! nm "$1/m.o" | grep -qw evil
}
mkdir -p 'dir*/ int evil; ' 'tri??'
n=0
for path in 'q"uote' 'dir*/ int evil; /*' $'new\nline' 'back\slash' 'sp ace' "ap'os" 'tri??/x??' $'tab\tcr\r'; do
    cp "$SRC/examples/mlp.bp" "$path.bp"
    n=$((n + 1)); mkdir "model$n"
    check "model path $(printf %q "$path"): bpc" "$BPC" "$path.bp" --name m -o "model$n/m.c"
    check "model path $(printf %q "$path"): compiles, nothing injected" compiles_clean "model$n"
done
for hname in 'q"uote' $'new\nline' 'back\slash' 'sp ace' "ap'os" 'tri??=x' '*' ' int evil; ' $'a\tb' 'naïve'; do
    n=$((n + 1)); mkdir "header$n"
    check "header $(printf %q "$hname"): bpc" "$BPC" "$SRC/examples/mlp.bp" --name m -o "header$n/m.c" --header "header$n/$hname.h"
    check "header $(printf %q "$hname"): compiles, nothing injected" compiles_clean "header$n"
done

# two copies of the MLP in one program: fused and unfused agree; checks and reflection
"$BPC" "$SRC/examples/mlp.bp" -o fused.c --name fused >/dev/null
"$BPC" "$SRC/examples/mlp.bp" -o plain.c --name plain -O0 >/dev/null
check "harness builds with both models" gcc $CFLAGS -O2 -I. -o harness "$SRC/tests/e2e/harness.c" fused.c plain.c -lm
check "harness: fused = unfused, return codes, reflection" ./harness
finish
