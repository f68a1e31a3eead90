#!/usr/bin/env bash
# bench/nets.sh [BUILD_DIR] [ROUNDS]: the networks of issue 9 — bench/convnet.bp's
# training step (N = 64) and its two conv forwards alone, and
# bench/transformer_block.bp's step and forward ([16, 64, 128], 4 heads) — bpc AOT
# (--gemm=runtime, cc -O3 -march=native, libbprt) against PyTorch eager
# (bench/nets_torch.py), both one thread; the
# variants interleaved in every round, each cell the median over rounds of the
# per-run medians (bench_timing.h's method). See bench/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$(cd "${1:-$src/build}" && pwd)
rounds=${2:-5}
budget=${BENCH_BUDGET:-0.3}
CC=${CC:-cc}
PY=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "command: bench/nets.sh $* (rounds $rounds, budget $budget s)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "cc: $($CC --version | head -1)"
echo "torch: $($PY -c 'import torch; print(torch.__version__, "mkldnn", torch.backends.mkldnn.is_available())' 2>&1)"

. "$here/nets_lib.sh"
build_one() { aot_build "$build" "$1" "$work/$1" "$2"; }   # build_one MODEL EXTRA-CFLAGS: $work/MODEL
build_one convnet ""
build_one conv_fwd1 -DBENCH_NO_STEP
build_one conv_fwd -DBENCH_NO_STEP
build_one transformer_block ""

for r in $(seq 1 "$rounds"); do
    for v in $(seq 0 5 | awk -v r="$r" '{print ($1 + r) % 6}'); do
        case $v in
        0) run bpc_step sh -c "'$work/convnet' 64 --budget $budget | awk '/^step_ms/{print \$2}'"
           run bpc_fwd sh -c "'$work/convnet' 64 --budget $budget | awk '/^forward_ms/{print \$2}'" ;;
        1) run torch_step sh -c "'$PY' '$here/nets_torch.py' step --budget $budget | awk '{print \$2}'" ;;
        2) run bpc_conv1 sh -c "'$work/conv_fwd1' 64 --budget $budget | awk '/^forward_ms/{print \$2}'"
           run bpc_conv2 sh -c "'$work/conv_fwd' 64 --budget $budget | awk '/^forward_ms/{print \$2}'" ;;
        3) run torch_conv1 sh -c "'$PY' '$here/nets_torch.py' conv1 --budget $budget | awk '{print \$2}'"
           run torch_conv2 sh -c "'$PY' '$here/nets_torch.py' conv2 --budget $budget | awk '{print \$2}'" ;;
        4) run bpc_tf_step sh -c "'$work/transformer_block' 16 --budget $budget | awk '/^step_ms/{print \$2}'"
           run bpc_tf_fwd sh -c "'$work/transformer_block' 16 --budget $budget | awk '/^forward_ms/{print \$2}'" ;;
        5) run torch_tf_step sh -c "'$PY' '$here/nets_torch.py' tf_step --budget $budget | awk '{print \$2}'"
           run torch_tf_fwd sh -c "'$PY' '$here/nets_torch.py' tf_fwd --budget $budget | awk '{print \$2}'" ;;
        esac
    done
done
printf '%-34s %10s %10s %8s\n' "ms (median of $rounds rounds)" "bpc AOT" "PyTorch" "ratio"
row() { printf '%-34s %10.3f %10.3f %8.2f\n' "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)"; }
row "train step [64,1,28,28]" "$(m bpc_step)" "$(m torch_step)"
row "conv1 fwd 1->16 3x3 28x28" "$(m bpc_conv1)" "$(m torch_conv1)"
row "conv2 fwd 16->32 3x3 14x14" "$(m bpc_conv2)" "$(m torch_conv2)"
row "transformer block step [16,64,128]" "$(m bpc_tf_step)" "$(m torch_tf_step)"
row "transformer block forward" "$(m bpc_tf_fwd)" "$(m torch_tf_fwd)"
echo "bpc forward alone (P_forward, with the loss): $(m bpc_fwd) ms"
echo "ratio = PyTorch / bpc: above 1, bpc is faster"
