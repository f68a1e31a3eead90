#!/usr/bin/env bash
# Data-parallel bpc train: step time for P = 1, 2 ranks (mpirun) with the same
# global batch, the speed-up, and the bytes each step's allreduce carries.
#   bench/mpi_scaling.sh [BUILD_DIR] [ROUNDS]      (default ./build, 3)
# Models: examples/digits (64-64-10, 4,810 params) on scikit-learn's digits,
# and bench/mlp_deep.bp (784-1024-1024-10, 1.86 M params) on random data.
# A cell is the median over ROUNDS runs (P = 1 and 2 interleaved) of the
# median per-epoch "ms/step" bpc train prints (training only, no validation);
# the last column is the time a P = 2 step waited in its allreduce (rank 0's
# mean over the run; transfer plus waiting for the other rank), median over rounds.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
ROUNDS=${2:-3}
BPC=$BUILD/bpc
command -v mpirun >/dev/null || { echo "mpirun not found (Debian: openmpi-bin libopenmpi-dev)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
/usr/bin/python3 "$SRC/examples/digits/export_digits.py" digits >/dev/null
/usr/bin/python3 -c "
import numpy as np
r = np.random.default_rng(0)
np.save('x.npy', r.standard_normal((4096, 784), dtype=np.float32))
np.save('y.npy', r.integers(0, 10, 4096).astype(np.int32))"

# run P MODEL BATCH EPOCHS DATA...: median ms/step over the epochs; the bytes line to bytes.txt
run() {
    local p=$1 model=$2 batch=$3 epochs=$4; shift 4
    mpirun -np "$p" "$BPC" train "$model" --in "$@" --epochs "$epochs" --batch "$batch" --jit cc >out.txt 2>err.txt
    grep -o 'allreduce of [0-9]* bytes' err.txt >bytes.txt || true
    grep -o 'waited [0-9.]* ms' err.txt | awk '{print $2}' >>wait.txt || true
    tr '\r' '\n' <out.txt | grep -o '([0-9.]* ms/step)' | tr -d '(' | awk '{print $1}' | sort -g |
        awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "command: bench/mpi_scaling.sh $*"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(mpirun --version | head -1)"
printf '%-22s %8s %12s %12s %8s %16s\n' "model / global batch" "bytes" "P=1 ms/step" "P=2 ms/step" "speedup" "P=2 allreduce ms"
for cfg in "digits 32 20" "digits 256 20" "mlp_deep 256 2" "mlp_deep 1024 2"; do
    set -- $cfg
    if [ "$1" = digits ]; then
        model="$SRC/examples/digits/digits.bp"; data="x=digits/x_train.npy,y=digits/y_train.npy --set lr=0.01"
    else
        model="$SRC/bench/mlp_deep.bp"; data="x=x.npy,y=y.npy"
    fi
    t1=() t2=(); : >wait.txt
    for r in $(seq "$ROUNDS"); do
        t1+=("$(run 1 "$model" "$2" "$3" $data)")
        t2+=("$(run 2 "$model" "$2" "$3" $data)")
    done
    m1=$(printf '%s\n' "${t1[@]}" | median) m2=$(printf '%s\n' "${t2[@]}" | median)
    printf '%-22s %8s %12s %12s %8s %16s\n' "$1 / $2" "$(grep -o '[0-9]*' bytes.txt)" "$m1" "$m2" \
        "$(awk -v a="$m1" -v b="$m2" 'BEGIN{printf "%.2fx", a / b}')" "$(median <wait.txt)"
done
