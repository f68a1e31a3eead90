#!/bin/sh
# gemm_bench.sh [BUILD_DIR] [SAMPLES]: bp_sgemm (BUILD_DIR/runtime/libbprt.a,
# default ./build) vs OpenBLAS cblas_sgemm, one thread. Runs once per OpenBLAS
# core type worth trying (Cooperlake = its AVX-512 kernel when the CPU has
# avx512f, Haswell = AVX2, and whatever OPENBLAS_CORETYPE already says), then
# prints, per shape, the ratio against the fastest OpenBLAS run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-./build}
samples=${2:-15}
lib="$build/runtime/libbprt.a"
[ -f "$lib" ] || { echo "no $lib: build the runtime first" >&2; exit 1; }
exe=$(mktemp /tmp/gemm_bench.XXXXXX)
trap 'rm -f "$exe" "$exe".*' EXIT
gcc -O2 -o "$exe" "$here/gemm_bench.c" -I"$root/runtime" -I"$root/include" \
    "$lib" -lopenblas -lpthread -lm
types="Haswell"
grep -qw avx512f /proc/cpuinfo 2>/dev/null && types="Cooperlake $types"
case " $types " in *" ${OPENBLAS_CORETYPE:-Haswell} "*) ;;
    *) types="$types $OPENBLAS_CORETYPE" ;; esac
for t in $types; do
    OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$t "$exe" "$samples" | tee "$exe.$t"
    echo
done
echo "# vs the best OpenBLAS core type per shape"
printf '%-22s %8s %8s %6s\n' "# shape" "bp GF/s" "bestOB" "ratio"
cat "$exe".* | grep -v '^#' | awk '
  { name = $1; for (i = 2; i <= NF - 8; i++) name = name " " $i
    bp = $(NF-2); ob = $(NF-1)
    if (!(name in best) || ob > best[name]) { best[name] = ob }
    if (!(name in mine) || bp > mine[name]) { mine[name] = bp }
    if (!(name in ord)) { ord[name] = ++n; names[n] = name } }
  END { for (i = 1; i <= n; i++) { s = names[i]
          printf "%-22s %8.1f %8.1f %6.2f\n", s, mine[s], best[s], mine[s] / best[s] } }'
