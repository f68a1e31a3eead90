#!/usr/bin/env bash
# bench/gemm_ab.sh OLD_BUILD NEW_BUILD [ROUNDS]: the train step of the MLP
# 784-256-10 at batch 64 and 256, 784-1024-1024-10 at batch 128 and the
# transformer block at batch 16, built by two bpc trees as users build them
# (AOT, the default dependency-free GEMM and --gemm=runtime with each tree's
# libbprt; cc -O3 -march=native; one thread), old and new interleaved in
# every round (order alternating); each cell the median over rounds of the
# per-run medians (bench/aot_driver.c), and the fastest round (what a
# machine loaded by others still shows). For before/after numbers of a GEMM
# change (build both trees Release). AB_CONFIGS="mlp/1 mlp/64 ..." picks the rows.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
. "$here/nets_lib.sh"
ab_setup gemm_ab.sh "$@"
models="mlp=$src/examples/mlp.bp deep=$here/mlp_deep.bp tf=$here/transformer_block.bp"
for tag in old new; do
    b=$old; [ $tag = new ] && b=$new
    for mm in $models; do
        for g in portable runtime; do
            d=$work/$tag/${mm%%=*}_$g
            mkdir -p "$d"
            "$b/bpc" "${mm#*=}" -o "$d/bm.c" --name bm --gemm=$g >/dev/null
            $CC -O3 -march=native -DMODEL_H='"bm.h"' -DP=bm -I"$d" -I"$src/runtime" -I"$src/include" \
                "$here/aot_driver.c" "$d/bm.c" "$b/runtime/libbprt.a" -lm -lpthread -o "$d/x"
        done
    done
done
configs=${AB_CONFIGS:-"mlp/64 mlp/256 deep/128 tf/16"}   # MODEL/BATCH, MODEL one of mlp deep tf
for r in $(seq 1 "$rounds"); do
    for c in $configs; do
        for g in portable runtime; do
            for t in $( [ $((r % 2)) = 0 ] && echo old new || echo new old); do
                v=$("$work/$t/${c%/*}_$g/x" "${c#*/}" --budget "$budget" | awk '/^step_ms/{print $2}')
                res[$t/$c/$g]="${res[$t/$c/$g]:-} $v"
            done
        done
    done
done
fastest() { tr ' ' '\n' | grep -v '^$' | sort -g | head -1; }
printf '%-22s %9s %9s %8s %9s %9s %8s\n' "step ms ($rounds rounds)" "old med" "new med" "old/new" "old min" "new min" "old/new"
for c in $configs; do
    for g in portable runtime; do
        o=$(echo "${res[old/$c/$g]}" | median) n=$(echo "${res[new/$c/$g]}" | median)
        o1=$(echo "${res[old/$c/$g]}" | fastest) n1=$(echo "${res[new/$c/$g]}" | fastest)
        printf '%-22s %9.3f %9.3f %8.2f %9.3f %9.3f %8.2f\n' "$c $g" "$o" "$n" "$(echo "$o / $n" | bc -l)" \
            "$o1" "$n1" "$(echo "$o1 / $n1" | bc -l)"
    done
done
