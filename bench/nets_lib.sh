# bench/nets_lib.sh: what bench/nets.sh, bench/nets_ab.sh and bench/gemm_ab.sh
# share (sourced; needs $here, $src, $work and $CC, which ab_setup sets).

# ab_setup NAME OLD_BUILD NEW_BUILD [ROUNDS]: the settings of an old-vs-new
# script: $old $new (absolute), $rounds (default 5), $budget, $CC, a $work
# folder removed at exit, one thread for BLAS/OpenMP; prints the command line.
ab_setup() {
    local name=$1; shift
    old=$(cd "$1" && pwd)
    new=$(cd "$2" && pwd)
    rounds=${3:-5}
    budget=${BENCH_BUDGET:-0.3}
    CC=${CC:-cc}
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
    echo "command: bench/$name $* (rounds $rounds, budget $budget s)"
}

# aot_build BUILD MODEL OUT [CFLAGS]: OUT, bench/aot_driver.c over bench/MODEL.bp
# compiled by BUILD's bpc (AOT, --gemm=$BENCH_GEMM: runtime by default, or portable;
# cc -O3 -march=native, BUILD's libbprt)
aot_build() {
    local dir
    dir=$(dirname "$3")
    "$1/bpc" "$here/$2.bp" -o "$dir/$2.c" --name bm --gemm="${BENCH_GEMM:-runtime}"
    $CC -O3 -march=native ${4:-} -DMODEL_H="\"$2.h\"" -DP=bm -I"$dir" -I"$src/runtime" -I"$src/include" \
        "$here/aot_driver.c" "$dir/$2.c" "$1/runtime/libbprt.a" -lm -lpthread -o "$3"
}

declare -A res
run() {   # run KEY CMD...: append the number the command prints to res[KEY]
    local key=$1; shift
    res[$key]="${res[$key]:-} $("$@")"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
m() { echo "${res[$1]}" | median; }   # m KEY: the median of res[KEY]
