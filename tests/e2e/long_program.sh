#!/bin/bash
# long_program: 100,000-statement chains compile (four shapes) (check and -o; the pipeline
# is near-linear, see bench/long_program.sh), and running out of memory
# (ulimit -v) gives a message and exit 1, never a crash. Usage:
#   long_program.sh BPC SRC [SANITIZE]   (SANITIZE ON: 20,000 statements, and
#   no ulimit part: ASan reserves more address space than any useful limit)
source "$(dirname "$0")/lib.sh"
SANITIZE=${3:-OFF}

# chain FILE N SHAPE: a model of N statements, each reading the one before
chain() {
    awk -v n="$2" -v shape="$3" 'BEGIN {
        print "dim N, D = 4"; print "input x[N, D]"; print "param w[D]"; print "a0 = x * w"
        for (i = 1; i <= n; i++)
            if (shape == "relu") printf "a%d = relu(a%d)\n", i, i - 1
            else if (shape == "outputs") printf "a%d = tanh(a%d)\noutput a%d\n", i, i - 1, i
            else if (shape == "params") printf "param w%d[D]\na%d = a%d * w%d\n", i, i, i - 1, i
            else printf "a%d = a%d * 2 + 1\n", i, i - 1
        printf "loss = sum(a%d)\ngrad loss\n", n
        if (shape != "outputs") printf "output a%d\n", n
    }' > "$1"
}

# Under ASan everything runs ~10x slower: a shorter chain keeps CI's time.
length=100000
[ "$SANITIZE" = ON ] && length=20000
for s in relu affine outputs params; do
    chain "$WORK/$s.bp" $length $s
    check "$s: check" "$BPC" check "$WORK/$s.bp"
    check "$s: -o" "$BPC" "$WORK/$s.bp" -o "$WORK/$s.c"
    check "$s: has backward" grep -q "int ${s}_backward" "$WORK/$s.c"
done

# out_of_memory KB ARGS...: under ulimit -v KB, exit 1 with "out of memory"
out_of_memory() {
    local kb=$1; shift
    (ulimit -v "$kb"; "$BPC" "$@" >"$WORK/oom.out" 2>"$WORK/oom.err")
    local rc=$?
    [ "$rc" = 1 ] && grep -q "out of memory" "$WORK/oom.err" || { echo "rc=$rc"; cat "$WORK/oom.err"; false; }
}
if [ "$SANITIZE" != ON ]; then
    for kb in 30000 80000 150000; do
        check "ulimit -v $kb: -o" out_of_memory $kb "$WORK/relu.bp" -o "$WORK/oom.c"
        check "ulimit -v $kb: --emit=c" out_of_memory $kb "$WORK/relu.bp" --emit=c
    done
    check "ulimit -v 30000: check" out_of_memory 30000 check "$WORK/affine.bp"
fi
finish
