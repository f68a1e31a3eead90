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
        check "$tag: gcc" gcc $CFLAGS -O2 -c "$name.c" -o "$name.o"
        if command -v clang >/dev/null; then check "$tag: clang" clang $CFLAGS -O2 -c "$name.c" -o "$name.o"; fi
        if command -v tcc >/dev/null; then check "$tag: tcc" tcc -Wall -Werror -c "$name.c" -o "$name.o"; fi
    done
done

# two copies of the MLP in one program: fused and unfused agree; checks and reflection
"$BPC" "$SRC/examples/mlp.bp" -o fused.c --name fused >/dev/null
"$BPC" "$SRC/examples/mlp.bp" -o plain.c --name plain -O0 >/dev/null
check "harness builds with both models" gcc $CFLAGS -O2 -I. -o harness "$SRC/tests/e2e/harness.c" fused.c plain.c -lm
check "harness: fused = unfused, return codes, reflection" ./harness
finish
