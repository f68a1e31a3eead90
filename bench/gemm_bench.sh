#!/bin/sh
# gemm_bench.sh [BUILD_DIR] [SAMPLES]: bp_sgemm (BUILD_DIR/runtime/libbprt.a,
# default ./build) and the portable GEMM that generated code carries (the
# "gemm" kernel of runtime/bp_kernels.inc, compiled as a user builds a model:
# $CC -O3 -march=native, CC=gcc unless set) vs OpenBLAS cblas_sgemm, one
# thread. Runs once per OpenBLAS core type worth trying (auto = OpenBLAS's own
# choice, Cooperlake = its AVX-512 kernel when the CPU has avx512f, Haswell =
# AVX2, and whatever OPENBLAS_CORETYPE already says), then
# prints, per shape, the ratios against the fastest OpenBLAS run.
# OLD=dir: also time the portable GEMM of dir/runtime/bp_kernels.inc (another
# tree, e.g. a worktree of main) interleaved, in the column "old"; default:
# this tree's. TYPES="Cooperlake": only these OpenBLAS core types. PFLAGS: more
# flags for the (new) portable GEMM, e.g. -DBPK_GEMM_KB=1024 to try other blocks.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-./build}
samples=${2:-15}
lib="$build/runtime/libbprt.a"
[ -f "$lib" ] || { echo "no $lib: build the runtime first" >&2; exit 1; }
exe=$(mktemp /tmp/gemm_bench.XXXXXX)
trap 'rm -f "$exe" "$exe".*' EXIT
${CC:-gcc} -O3 -march=native ${PFLAGS:-} -DGEMM_BENCH_PORTABLE -c -o "$exe.o" "$here/gemm_bench.c" -I"$root/runtime"
${CC:-gcc} -O3 -march=native -DGEMM_BENCH_PORTABLE -DGEMM_BENCH_OLD -c -o "$exe.old.o" "$here/gemm_bench.c" \
    -I"${OLD:-$root}/runtime"
gcc -O2 -o "$exe" "$here/gemm_bench.c" "$exe.o" "$exe.old.o" -I"$root/runtime" -I"$root/include" \
    "$lib" -lopenblas -lpthread -lm
rm -f "$exe.o" "$exe.old.o"
types="auto Haswell"
grep -qw avx512f /proc/cpuinfo 2>/dev/null && types="auto Cooperlake Haswell"
case " $types " in *" ${OPENBLAS_CORETYPE:-Haswell} "*) ;;
    *) types="$types $OPENBLAS_CORETYPE" ;; esac
types=${TYPES:-$types}
for t in $types; do
    if [ "$t" = auto ]; then # OpenBLAS's own choice, as Debian runs it by default
        env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 "$exe" "$samples" | tee "$exe.$t"
    else
        OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$t "$exe" "$samples" | tee "$exe.$t"
    fi
    echo
done
echo "# vs the best OpenBLAS core type per shape"
printf '%-22s %8s %8s %8s %8s %6s %6s %6s\n' "# shape" "bp GF/s" "port" "old" "bestOB" "bp/OB" "pt/OB" "pt/old"
cat "$exe".* | grep -v '^#' | awk '
  { name = $1; for (i = 2; i <= NF - 12; i++) name = name " " $i
    bp = $(NF-6); pt = $(NF-5); od = $(NF-4); ob = $(NF-3)
    if (!(name in best) || ob > best[name]) { best[name] = ob }
    if (!(name in mine) || bp > mine[name]) { mine[name] = bp }
    if (!(name in port) || pt > port[name]) { port[name] = pt }
    if (!(name in old) || od > old[name]) { old[name] = od }
    if (!(name in ord)) { ord[name] = ++n; names[n] = name } }
  END { for (i = 1; i <= n; i++) { s = names[i]
          printf "%-22s %8.1f %8.1f %8.1f %8.1f %6.2f %6.2f %6.2f\n", s, mine[s], port[s], old[s], best[s],
                 mine[s] / best[s], port[s] / best[s], port[s] / old[s] } }'
