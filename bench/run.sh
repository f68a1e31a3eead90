#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR] [ROUNDS] — the MLP training-step benchmark (not a
# test; see bench/README.md). Builds everything in a temporary folder from a
# bpc build (default ./build, which must be an optimised, non-sanitizer
# build), checks that every implementation computes the same losses, then
# times, in ROUNDS interleaved rounds (default 5; the order of the variants
# rotates each round), with 1 thread and with every core (BENCH_THREADS):
#   bpc AOT   `bpc MODEL -o` --gemm=runtime, $CC -O3 -march=native + libbprt.a
#             (threads: a bp_pool behind the model's io->bp_par hook)
#   bpc AOT portable  the same with the default dependency-free GEMM
#   bpc JIT tcc / cc  `bpc bench MODEL --set N=B --jit tcc|cc` (its step line)
#   OpenBLAS C        baseline_blas.c, once per OpenBLAS core type tried
#   PyTorch           baseline_torch.py (eager), once per core type tried
# for 784-256-10 at batch 1, 16, 64, 256 and 784-1024-1024-10 at batch 128,
# and prints markdown tables: the median over rounds of each run's median ms
# per step, and ratios against the best OpenBLAS and the best PyTorch run.
# Environment: CC (default cc), PYTHON (a python3 with torch; default: the
# first of /usr/bin/python3, python3 that imports torch), BENCH_BUDGET
# (seconds of sampling per timed function per run, default 0.25),
# BENCH_CONFIGS (e.g. "784-256-10/64 784-1024-1024-10/128"), BENCH_THREADS
# (thread counts, default "1 NPROC"), BENCH_FORCE=1 (run on a sanitizer or
# unoptimised build anyway).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" 2>/dev/null && pwd) || { echo "run.sh: no build dir ${1:-$src/build}" >&2; exit 2; }
rounds=${2:-5}
budget=${BENCH_BUDGET:-0.25}
cc=${CC:-cc}
bpc=$build/bpc
lib=$build/runtime/libbprt.a
for f in "$bpc" "$lib"; do
    [ -e "$f" ] || { echo "run.sh: no $f: build bpc first" >&2; exit 2; }
done
cache=$build/CMakeCache.txt
if [ -f "$cache" ] && [ "${BENCH_FORCE:-0}" != 1 ]; then
    if grep -q '^BPC_SANITIZE:BOOL=ON' "$cache" ||
        ! grep -Eq '^CMAKE_BUILD_TYPE:STRING=(Release|RelWithDebInfo)$' "$cache"; then
        echo "run.sh: $build is a sanitizer or unoptimised build; its numbers would mean nothing." >&2
        echo "  make one: cmake -S $src -B /tmp/bpc-release -DCMAKE_BUILD_TYPE=Release -DBPC_SANITIZE=OFF &&" \
            "make -C /tmp/bpc-release -j2 bpc bprt; then: $0 /tmp/bpc-release (or set BENCH_FORCE=1)" >&2
        exit 2
    fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bpc-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1   # each run sets its own
nproc=$(getconf _NPROCESSORS_ONLN)
threads_list=(${BENCH_THREADS:-1 $([ "$nproc" -gt 1 ] && echo "$nproc")})
log() { echo "$@" >&2; }

# ---- what is available -----------------------------------------------------
py=""
for p in ${PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || log "run.sh: no python3 that imports torch (apt-get install python3-torch): PyTorch skipped"
have_blas=0
if $cc -O3 -march=native -o "$work/blas" "$src/bench/baseline_blas.c" -lopenblas -lm 2>"$work/blas.err"; then
    have_blas=1
else
    log "run.sh: cannot build baseline_blas.c against OpenBLAS (apt-get install libopenblas-dev): OpenBLAS skipped"
fi

# OpenBLAS core types to try: the environment's setting (OpenBLAS's own choice
# when unset), Cooperlake (AVX-512) on CPUs with avx512f, Haswell (AVX2);
# kept once per core OpenBLAS actually selects. Both baselines get the best.
coretypes=()   # "label|value" (value empty: leave OPENBLAS_CORETYPE as it is)
if [ "$have_blas" = 1 ]; then
    env_ct=${OPENBLAS_CORETYPE:-}
    cands=("|")
    grep -qw avx512f /proc/cpuinfo && cands+=("Cooperlake|Cooperlake")
    grep -qw avx2 /proc/cpuinfo && cands+=("Haswell|Haswell")
    seen=" "
    for c in "${cands[@]}"; do
        v=${c#*|}
        core=$( (if [ -n "$v" ]; then export OPENBLAS_CORETYPE=$v; fi; "$work/blas" --info) | awk '$1 == "openblas_core" {print $2}')
        [ -n "$core" ] || continue
        case "$seen" in *" $core "*) continue ;; esac
        seen="$seen$core "
        if [ -z "$v" ]; then
            label="${env_ct:+env $env_ct}"; label="${label:-default} → $core"
        else
            label=$core
        fi
        coretypes+=("$label|$v")
    done
fi
# PyTorch eager allocates each step's intermediates and gradients anew; glibc's malloc hands
# blocks over its mmap threshold back to the kernel on free, so every step faulted them in again
# (on the measuring VM, where a page fault is dear, the 784-256-10 step at batch 64 took 3-7 ms
# instead of 1.0). A user who cares keeps the memory (jemalloc, tcmalloc, or these settings):
# the baseline at its best.
torch_py() { MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 "$py" "$@"; }
run_ct() {   # run_ct VALUE CMD...: CMD with OPENBLAS_CORETYPE=VALUE (empty: as set)
    local v=$1; shift
    if [ -n "$v" ]; then OPENBLAS_CORETYPE=$v "$@"; else "$@"; fi
}

# ---- build the models --------------------------------------------------------
declare -A model_of sizes_of
model_of[784-256-10]=$src/examples/mlp.bp
model_of[784-1024-1024-10]=$src/bench/mlp_deep.bp
for m in "${!model_of[@]}"; do
    for g in runtime portable; do
        d=$work/$m-$g
        mkdir -p "$d"
        if ! "$bpc" "${model_of[$m]}" -o "$d/bm.c" --name bm --gemm=$g >"$d/log" 2>&1 ||
            ! $cc -O3 -march=native -DMODEL_H='"bm.h"' -DP=bm -I"$d" -I"$src/runtime" -I"$src/include" -o "$d/aot" \
                "$src/bench/aot_driver.c" "$d/bm.c" "$lib" -lm -lpthread >>"$d/log" 2>&1; then
            log "run.sh: building $m with --gemm=$g failed:"; cat "$d/log" >&2; exit 1
        fi
    done
done

configs=(${BENCH_CONFIGS:-784-256-10/1 784-256-10/16 784-256-10/64 784-256-10/256 784-1024-1024-10/128})
runs=()   # each configuration at each thread count: MODEL/BATCH@THREADS
for c in "${configs[@]}"; do for t in "${threads_list[@]}"; do runs+=("$c@$t"); done; done

# ---- the variants ---------------------------------------------------------------
# Each prints lines "forward_ms X" and "step_ms X" (bpc bench: "forward X ms").
variants=(aot aot_portable jit_tcc jit_cc)
declare -A title=([aot]="bpc AOT" [aot_portable]="bpc AOT portable" [jit_tcc]="bpc JIT tcc" [jit_cc]="bpc JIT cc")
blas_vs=() torch_vs=()
for i in "${!coretypes[@]}"; do
    label=${coretypes[$i]%|*}
    variants+=("blas$i"); blas_vs+=("blas$i"); title[blas$i]="OpenBLAS C ($label)"
done
if [ -n "$py" ]; then
    for i in "${!coretypes[@]}"; do
        label=${coretypes[$i]%|*}
        variants+=("torch$i"); torch_vs+=("torch$i"); title[torch$i]="PyTorch ($label)"
    done
    [ "${#coretypes[@]}" = 0 ] && { variants+=(torch); torch_vs+=(torch); title[torch]="PyTorch"; }
fi

run_variant() {   # run_variant VARIANT MODELNAME BATCH THREADS SIZES...  → "forward_ms X\nstep_ms Y"
    local v=$1 m=$2 b=$3 t=$4; shift 4
    export OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t
    case $v in
    aot) "$work/$m-runtime/aot" "$b" --budget "$budget" --threads "$t" ;;
    aot_portable) "$work/$m-portable/aot" "$b" --budget "$budget" --threads "$t" ;;
    jit_tcc | jit_cc)
        "$bpc" bench "${model_of[$m]}" --set N="$b" --jit "${v#jit_}" --threads "$t" |
            awk '$1 == "forward" {print "forward_ms", $2} $1 == "step" {print "step_ms", $2}' ;;
    blas*) run_ct "${coretypes[${v#blas}]#*|}" "$work/blas" "$b" "$@" --budget "$budget" ;;
    torch) torch_py "$src/bench/baseline_torch.py" "$b" "$@" --budget "$budget" --threads "$t" ;;
    torch*) run_ct "${coretypes[${v#torch}]#*|}" torch_py "$src/bench/baseline_torch.py" "$b" "$@" --budget "$budget" --threads "$t" ;;
    esac
}

# ---- header -------------------------------------------------------------------------
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
isa=$(grep -m1 '^flags' /proc/cpuinfo | grep -ow -E 'avx512f|avx2' | sort -u | xargs)
gemm_kernel=$("$bpc" bench "$src/examples/mlp.bp" --set N=1 2>/dev/null | sed -n 's/.*gemm kernel \([^,]*\),.*/\1/p')
echo "command: bench/run.sh $* (BENCH_BUDGET=$budget, CC=$cc)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(${bpc} --version 2>&1 | head -1)"
echo "CPU: $cpu; $(getconf _NPROCESSORS_ONLN) cores; ${isa:-no avx2}; bpc runtime GEMM kernel: ${gemm_kernel:-?}"
echo "cc: $($cc --version | head -1)"
if [ "$have_blas" = 1 ]; then
    echo "OpenBLAS: $("$work/blas" --info | sed -n 's/^openblas_config //p'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; core types tried: $(for c in "${coretypes[@]}"; do printf '[%s] ' "${c%|*}"; done)"
fi
[ -n "$py" ] && echo "PyTorch: $("$py" -c 'import torch; print(torch.__version__)') ($py), torch.set_num_threads(T), glibc malloc keeping freed memory (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ 1 GiB)"
echo "threads T: ${threads_list[*]} (OPENBLAS_NUM_THREADS=T, bpc --threads T); rounds: $rounds; variants interleaved, order rotated each round"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---- correctness: the same losses from the same params and data ------------------------
declare -A bad=()
for c in "${configs[@]}"; do
    m=${c%/*} b=${c#*/}
    sizes=${m//-/ }
    ref=$("$work/$m-runtime/aot" "$b" --check 5 | sed -n 's/^losses //p')
    line="check $c: bpc AOT losses [$ref]"
    for v in aot_portable ${blas_vs[0]:+blas} ${py:+torch}; do
        case $v in
        aot_portable) got=$("$work/$m-portable/aot" "$b" --check 5) ;;
        blas) got=$("$work/blas" "$b" $sizes --check 5) ;;
        torch) got=$(torch_py "$src/bench/baseline_torch.py" "$b" $sizes --check 5) ;;
        esac
        got=$(echo "$got" | sed -n 's/^losses //p')
        d=$(awk -v a="$ref" -v b="$got" 'BEGIN{n=split(a,x," "); m=split(b,y," "); if (n != m || n == 0) {print "mismatch"; exit}
            e=0; for (i=1;i<=n;i++){ r=(x[i]-y[i])/(y[i]<0?-y[i]:y[i]+1e-30); if (r<0) r=-r; if (r>e) e=r } printf "%.1e", e}')
        line="$line; $v: max rel diff $d"
        if [ "$d" = mismatch ] || awk -v e="$d" 'BEGIN{exit !(e > 1e-4)}'; then bad[$c]=1; line="$line (!)"; fi
    done
    echo "$line"
done
[ "${#bad[@]}" = 0 ] || echo "WARNING: losses disagree beyond 1e-4 for: ${!bad[*]}"
echo

# ---- timing ------------------------------------------------------------------------------
declare -A step=() fwd=()
nv=${#variants[@]}
for c in "${runs[@]}"; do
    t=${c#*@} mb=${c%@*}
    m=${mb%/*} b=${mb#*/}
    sizes=${m//-/ }
    for ((r = 0; r < rounds; r++)); do
        for ((k = 0; k < nv; k++)); do
            v=${variants[$(((k + r) % nv))]}
            out=$(run_variant "$v" "$m" "$b" "$t" $sizes 2>"$work/err")
            s=$(echo "$out" | awk '$1 == "step_ms" {print $2}')
            f=$(echo "$out" | awk '$1 == "forward_ms" {print $2}')
            if [ -z "$s" ]; then log "run.sh: $c ${title[$v]} failed: $(head -3 "$work/err")"; continue; fi
            step[$c,$v]+=" $s"; fwd[$c,$v]+=" $f"
        done
        log "  $c: round $((r + 1))/$rounds done"
    done
done

# ---- tables ---------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]}'; }
best_of() { local arr=$1 c=$2; shift 2; local -n A=$arr; for v in "$@"; do echo "${A[$c,$v]:-}" | median; done | grep -v '^$' | sort -g | head -1; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}' || echo "n/a"; }
fmt() { [ -n "$1" ] && awk -v a="$1" 'BEGIN {printf (a < 1 ? "%.4f" : a < 10 ? "%.3f" : "%.2f"), a}' || echo "n/a"; }

echo "Training step (forward + backward + SGD update), ms, median of $rounds rounds:"
echo
printf '| model/batch@threads |'; for v in "${variants[@]}"; do printf ' %s |' "${title[$v]}"; done; echo
printf '|---|'; for v in "${variants[@]}"; do printf -- '--:|'; done; echo
for c in "${runs[@]}"; do
    printf '| %s |' "$c"
    for v in "${variants[@]}"; do printf ' %s |' "$(fmt "$(echo "${step[$c,$v]:-}" | median)")"; done; echo
done
echo
echo "Ratios of bpc's step time to the best OpenBLAS C run and to the best PyTorch run (< 1: bpc is faster):"
echo
bpcv=(aot aot_portable jit_tcc jit_cc)
printf '| model/batch@threads |'; for v in "${bpcv[@]}"; do printf ' %s / OpenBLAS |' "${title[$v]}"; done
for v in "${bpcv[@]}"; do printf ' %s / PyTorch |' "${title[$v]}"; done; echo
printf '|---|'; for v in "${bpcv[@]}" "${bpcv[@]}"; do printf -- '--:|'; done; echo
for c in "${runs[@]}"; do
    bb=$(best_of step "$c" "${blas_vs[@]}"); bt=$(best_of step "$c" "${torch_vs[@]}")
    printf '| %s |' "$c"
    for v in "${bpcv[@]}"; do printf ' %s |' "$(ratio "$(echo "${step[$c,$v]:-}" | median)" "$bb")"; done
    for v in "${bpcv[@]}"; do printf ' %s |' "$(ratio "$(echo "${step[$c,$v]:-}" | median)" "$bt")"; done; echo
done
echo
echo "Forward only (outputs and loss; bpc also keeps what backward needs), ms, median of $rounds rounds:"
echo
echo "| model/batch@threads | bpc AOT | bpc JIT tcc | best OpenBLAS C | best PyTorch | AOT / OpenBLAS | AOT / PyTorch |"
echo "|---|--:|--:|--:|--:|--:|--:|"
for c in "${runs[@]}"; do
    a=$(echo "${fwd[$c,aot]:-}" | median); j=$(echo "${fwd[$c,jit_tcc]:-}" | median)
    bb=$(best_of fwd "$c" "${blas_vs[@]}"); bt=$(best_of fwd "$c" "${torch_vs[@]}")
    echo "| $c | $(fmt "$a") | $(fmt "$j") | $(fmt "$bb") | $(fmt "$bt") | $(ratio "$a" "$bb") | $(ratio "$a" "$bt") |"
done
echo
if [ "${#threads_list[@]}" -gt 1 ]; then
    echo "Scaling: step time with T threads / with 1 thread (same variant, same run):"
    echo
    printf '| model/batch@threads |'; for v in "${variants[@]}"; do printf ' %s |' "${title[$v]}"; done; echo
    printf '|---|'; for v in "${variants[@]}"; do printf -- '--:|'; done; echo
    for c in "${runs[@]}"; do
        [ "${c#*@}" = 1 ] && continue
        printf '| %s |' "$c"
        for v in "${variants[@]}"; do
            printf ' %s |' "$(ratio "$(echo "${step[$c,$v]:-}" | median)" "$(echo "${step[${c%@*}@1,$v]:-}" | median)")"
        done; echo
    done
    echo
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Raw step ms of each round (round order), for judging the noise:"
echo
for c in "${runs[@]}"; do
    for v in "${variants[@]}"; do
        [ -n "${step[$c,$v]:-}" ] && echo "    $c ${title[$v]}:${step[$c,$v]}"
    done
done
