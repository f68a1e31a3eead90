#!/usr/bin/env bash
# Data-parallel bpc train (issue 12) on the digits example: mpirun -np 2 against
# -np 1 and a plain run with the same global batch. Tolerances (relative to
# each tensor's largest magnitude): -np 1 equals the plain run bit for bit
# (the same grad + update, weight 1); -np 2 differs only by float
# reassociation (two partial sums per gradient element instead of one):
# <= 1e-4 in f32 after 3 Adam epochs, <= 1e-9 in f64. Resume continues bit
# for bit; a step failing on one rank stops all of them (no hang).
# Usage: mpi.sh BPC SRC MPI_FOUND. Exit 77 (skipped) without mpirun, without
# MPI in the build (then only the "how to get it" messages are checked) or
# without scikit-learn. Also builds and runs examples/mpi/ddp.c (mpicc).
. "$(dirname "$0")/lib.sh"
HAVE_MPI=${3:-FALSE}
cd "$WORK"
EX="$SRC/examples/digits"
CMP="/usr/bin/python3 $SRC/tests/e2e/ckpt_compare.py"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# OpenMPI's own allocations that live until exit are not bpc's leaks (ASan
# build): suppressed by library, which needs whole stacks (the slow unwinder;
# OpenMPI's libraries lack frame pointers) and its plugins kept loaded.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" OMPI_MCA_mca_base_component_disable_dlclose=1
printf 'leak:libmpi\nleak:libopen-pal\nleak:libopen-rte\nleak:libpmix\nleak:libhwloc\nleak:libevent\nleak:mca_\nleak:libucs\nleak:libucp\nleak:libfabric\n' >lsan.supp
export LSAN_OPTIONS="suppressions=$WORK/lsan.supp:print_suppressions=0"

case "$HAVE_MPI" in 1|ON|TRUE|YES|Y|on|true|yes) HAVE_MPI=1 ;; *) HAVE_MPI=0 ;; esac
/usr/bin/python3 "$EX/export_digits.py" data >export.txt 2>&1
if [ $? = 77 ]; then
    echo "skipped: needs /usr/bin/python3 with scikit-learn and NumPy"; exit 77
fi
if [ $HAVE_MPI = 0 ]; then
    T="--in x=data/x_train.npy,y=data/y_train.npy --set lr=0.01 --epochs 1"
    check "--mpi without MPI: exit 2" expect_exit 2 "$BPC" train "$EX/digits.bp" $T --mpi
    check "--mpi without MPI says how to get it" sh -c "'$BPC' train '$EX/digits.bp' $T --mpi 2>&1 | grep -q 'built without MPI: install OpenMPI'"
    check "under mpirun without MPI: exit 2" expect_exit 2 env OMPI_COMM_WORLD_SIZE=2 "$BPC" train "$EX/digits.bp" $T
    finish || exit 1
    echo "skipped: this bpc was built without MPI (only its messages were checked)"; exit 77
fi
if ! command -v mpirun >/dev/null; then
    echo "skipped: mpirun not found (Debian: openmpi-bin libopenmpi-dev)"; exit 77
fi

# train DIR NP OPTIONS...: train the digits model on NP ranks (0: no mpirun), save to DIR
train() {
    local dir=$1 np=$2; shift 2
    local run=""
    [ "$np" = 0 ] || run="mpirun --oversubscribe -np $np"
    timeout 300 $run "$BPC" train "$EX/digits.bp" --in x=data/x_train.npy,y=data/y_train.npy \
        --val x=data/x_test.npy,y=data/y_test.npy --set lr=0.01 --seed 1 --jit cc --save "$dir" "$@" >"$dir.txt" 2>&1
}
F32="--epochs 3 --batch 32"
check "plain run" train plain 0 $F32
check "mpirun -np 1" train np1 1 $F32
check "mpirun -np 2" train np2 2 $F32
check "-np 1 equals the plain run bit for bit" $CMP plain np1 0
check "-np 2 equals -np 1 within 1e-4 (f32)" $CMP np1 np2 1e-4
check "rank 0 alone prints: 3 epoch lines" sh -c "[ \$(tr '\r' '\n' <np2.txt | grep -c '^.*epoch [0-9]/3  loss') = 3 ]"
check "the same val_acc" sh -c "a=\$(tr '\r' '\n' <np1.txt | grep -o 'val_acc [0-9.]*%' | tail -1); tr '\r' '\n' <np2.txt | grep -o 'val_acc [0-9.]*%' | tail -1 | grep -qx \"\$a\""
F64="--epochs 2 --batch 33 --dtype f64 --lr-schedule cosine"   # 33: odd shards (17 + 16), last batch 18 rows
check "f64 -np 1" train d1 1 $F64
check "f64 -np 2" train d2 2 $F64
check "-np 2 equals -np 1 within 1e-9 (f64, uneven shards)" $CMP d1 d2 1e-9
check "batch 1 -np 1" train one1 1 --epochs 1 --batch 1 --dtype f64
check "batch 1 -np 2 (one rank without rows)" train one2 2 --epochs 1 --batch 1 --dtype f64
check "-np 2 equals -np 1 within 1e-12 (batch 1)" $CMP one1 one2 1e-12
check "-np 2, 2 epochs" train r2 2 --epochs 2 --batch 32
check "-np 2 --resume to 3 epochs" train r3 2 --epochs 3 --batch 32 --resume r2
check "resume equals 3 epochs straight, bit for bit" $CMP np2 r3 0
check "--mpi under mpirun" train flag 2 --epochs 1 --batch 32 --mpi
# a bad label (10 of 10 classes) reaches one rank only: every rank stops, exit 1
/usr/bin/python3 -c "
import numpy as np; y = np.load('data/y_train.npy'); y[700] = 10; np.save('data/y_bad.npy', y)"
check "a failing rank stops every rank: exit 1" sh -c "timeout 120 mpirun --oversubscribe -np 2 '$BPC' train '$EX/digits.bp' --in x=data/x_train.npy,y=data/y_bad.npy --set lr=0.01 --epochs 1 --jit cc >bad.txt 2>&1; [ \$? = 1 ]"
check "... naming the label error" grep -q "label" bad.txt
# docs/embedding.md's data-parallel example: the application allreduces the gradients itself
if command -v mpicc >/dev/null; then
    check "examples/mpi: the generated C" "$BPC" "$SRC/examples/embed/spiral.bp" -o spiral_mlp.c --name spiral_mlp
    check "examples/mpi/ddp.c builds warning-free with mpicc" mpicc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -I. -o ddp "$SRC/examples/mpi/ddp.c" spiral_mlp.c -lm
    for np in 1 2 3; do
        check "ddp -np $np equals one process within 1e-4" timeout 120 mpirun --oversubscribe -np $np ./ddp
    done
fi
finish
