#!/usr/bin/env bash
# The MLP training-step benchmark (not a test): bpc's AOT code (runtime GEMM,
# and the portable GEMM), bpc's JIT (tcc, cc), a hand-written C step over
# OpenBLAS (with the environment's core type and, on AVX-512 CPUs, Cooperlake)
# and PyTorch eager, all on one thread, interleaved in rounds; medians of the
# per-round medians, and ratios against the best OpenBLAS baseline.
#   bench/run.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
rounds=${2:-5}
bpc=$build/bpc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
py=""
for p in /usr/bin/python3 python3; do
    if command -v $p >/dev/null && $p -c "import torch" 2>/dev/null; then py=$p; break; fi
done
avx512=$(grep -q avx512f /proc/cpuinfo && echo 1 || echo 0)

# config: name model batch layer-sizes
configs=("784-256-10/1 $src/examples/mlp.bp 1 784 256 10"
         "784-256-10/16 $src/examples/mlp.bp 16 784 256 10"
         "784-256-10/64 $src/examples/mlp.bp 64 784 256 10"
         "784-256-10/256 $src/examples/mlp.bp 256 784 256 10"
         "784-1024-1024-10/128 $src/bench/mlp_deep.bp 128 784 1024 1024 10")

gcc -O3 -march=native -o "$work/blas" "$src/bench/baseline_blas.c" -lopenblas -lm
for m in "$src/examples/mlp.bp" "$src/bench/mlp_deep.bp"; do
    tag=$(basename "$m" .bp)
    for g in runtime portable; do
        mkdir -p "$work/$tag-$g"
        "$bpc" "$m" -o "$work/$tag-$g/bm.c" --name bm --gemm=$g
        gcc -O3 -march=native -I"$work/$tag-$g" -I"$src/runtime" -o "$work/$tag-$g/aot" "$src/bench/aot_driver.c" \
            "$work/$tag-$g/bm.c" "$build/runtime/libbprt.a" -lm -lpthread
    done
done

reps_for() { local b=$1; [ "$b" -le 16 ] && echo 400 || { [ "$b" -le 64 ] && echo 150 || echo 40; }; }
ms() { awk '/median_ms/{print $2}'; }
jit_ms() { "$bpc" bench "$1" --set N="$2" --jit "$3" 2>/dev/null | awk '$1 == "step" {print $2}' | tail -1; }

declare -A results
for c in "${configs[@]}"; do
    set -- $c
    name=$1 model=$2 batch=$3; shift 3
    sizes="$*"; tag=$(basename "$model" .bp); reps=$(reps_for "$batch")
    for r in $(seq 1 "$rounds"); do
        results[$name,aot]+=" $("$work/$tag-runtime/aot" "$batch" "$reps" | ms)"
        results[$name,aot_portable]+=" $("$work/$tag-portable/aot" "$batch" "$reps" | ms)"
        results[$name,jit_tcc]+=" $(jit_ms "$model" "$batch" tcc)"
        results[$name,jit_cc]+=" $(jit_ms "$model" "$batch" cc)"
        results[$name,blas]+=" $("$work/blas" "$batch" "$reps" $sizes | ms)"
        if [ "$avx512" = 1 ]; then
            results[$name,blas_cpl]+=" $(OPENBLAS_CORETYPE=Cooperlake "$work/blas" "$batch" "$reps" $sizes | ms)"
        fi
        if [ -n "$py" ]; then results[$name,torch]+=" $("$py" "$src/bench/baseline_torch.py" "$batch" "$reps" $sizes | ms)"; fi
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]; else print ""}'; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; rounds: $rounds"
echo
echo "| model/batch | bpc AOT | bpc AOT portable | bpc JIT tcc | bpc JIT cc | OpenBLAS C | OpenBLAS C Cooperlake | PyTorch | AOT / best OpenBLAS | AOT / PyTorch |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for c in "${configs[@]}"; do
    set -- $c; name=$1
    declare -A med=()
    for v in aot aot_portable jit_tcc jit_cc blas blas_cpl torch; do med[$v]=$(echo "${results[$name,$v]:-}" | median); done
    best=$(printf '%s\n%s\n' "${med[blas]}" "${med[blas_cpl]}" | grep -v '^$' | sort -g | head -1)
    r1=$(awk -v a="${med[aot]}" -v b="$best" 'BEGIN{printf "%.2f", a / b}')
    r2=$([ -n "${med[torch]}" ] && awk -v a="${med[aot]}" -v b="${med[torch]}" 'BEGIN{printf "%.2f", a / b}' || echo "n/a")
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$name" "${med[aot]}" "${med[aot_portable]}" \
        "${med[jit_tcc]}" "${med[jit_cc]}" "${med[blas]}" "${med[blas_cpl]:-n/a}" "${med[torch]:-n/a}" "$r1" "$r2"
done
echo
echo "ms per training step (median); ratios < 1 mean bpc is faster."
