#!/bin/bash
# long_program: how compile time grows with program length. For chains of
# 10k, 30k and 100k statements in five shapes, prints the user time of
# `bpc check` and of `bpc M.bp -o M.c` (C emission). Near-linear growth is
# the goal (tests/e2e/long_program.sh checks that 100k compiles at all).
#   [SHAPES="relu ..."] bench/long_program.sh [BPC]      (default: build/bpc)
set -eu
BPC=${1:-build/bpc}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# gen FILE N SHAPE
gen() {
    awk -v n="$2" -v shape="$3" 'BEGIN {
        print "dim N, D = 16"; print "input x[N, D]"; print "param W[D, D]"; print "a0 = x @ W"
        for (i = 1; i <= n; i++)
            if (shape == "relu") printf "a%d = relu(a%d)\n", i, i - 1
            else if (shape == "affine") printf "a%d = a%d * 2 + 1\n", i, i - 1
            else if (shape == "outputs") printf "a%d = tanh(a%d)\noutput a%d\n", i, i - 1, i
            else if (shape == "params") printf "param w%d[D]\na%d = a%d * w%d\n", i, i, i - 1, i
            else printf "a%d = tanh(a%d) + a%d * 0.5\n", i, i - 1, (i > 1 ? i - 2 : 0)
        printf "loss = mean(a%d * a%d)\ngrad loss\n", n, n
        if (shape != "outputs") printf "output a%d\n", n
        print "optimize loss with adam(lr = 0.01)"
    }' > "$1"
}

# secs CMD...: user+sys seconds of the command
secs() {
    /usr/bin/time -f "%U %S" "$@" >/dev/null 2>"$WORK/time" || { echo fail; return; }
    awk '{ printf "%.2f", $1 + $2 }' "$WORK/time"
}

printf "%-8s %8s %10s %10s\n" shape stmts "check (s)" "-o (s)"
for shape in ${SHAPES:-relu affine skip outputs params}; do
    for n in 10000 30000 100000; do
        gen "$WORK/m.bp" $n $shape
        printf "%-8s %8d %10s %10s\n" $shape $n "$(secs "$BPC" check "$WORK/m.bp")" \
            "$(secs "$BPC" "$WORK/m.bp" -o "$WORK/m.c")"
    done
done
