#!/usr/bin/env bash
# bench/nets_ab.sh OLD_BUILD NEW_BUILD [ROUNDS]: bench/nets.sh's transformer
# block step/forward and convnet step built by two bpc trees (each with its own
# libbprt; AOT, --gemm=runtime, cc -O3 -march=native, one thread), the builds
# interleaved in every round; each cell the median over rounds of the per-run
# medians. For before/after numbers of a change (build both trees Release).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
. "$here/nets_lib.sh"
ab_setup nets_ab.sh "$@"
build_one() {   # build_one TAG BUILD MODEL: $work/TAG_MODEL
    mkdir -p "$work/$1"
    aot_build "$2" "$3" "$work/$1/$3"
    mv "$work/$1/$3" "$work/$1_$3"
}
for m in transformer_block convnet; do
    build_one old "$old" $m
    build_one new "$new" $m
done
for r in $(seq 1 "$rounds"); do
    for t in $( [ $((r % 2)) = 0 ] && echo old new || echo new old); do
        run ${t}_tf_step sh -c "'$work/${t}_transformer_block' 16 --budget $budget | awk '/^step_ms/{print \$2}'"
        run ${t}_tf_fwd sh -c "'$work/${t}_transformer_block' 16 --budget $budget | awk '/^forward_ms/{print \$2}'"
        run ${t}_cv_step sh -c "'$work/${t}_convnet' 64 --budget $budget | awk '/^step_ms/{print \$2}'"
    done
done
printf '%-34s %10s %10s %8s\n' "ms (median of $rounds rounds)" "old" "new" "old/new"
row() { printf '%-34s %10.3f %10.3f %8.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"; }
row "transformer block step [16,64,128]" "$(m old_tf_step)" "$(m new_tf_step)"
row "transformer block forward" "$(m old_tf_fwd)" "$(m new_tf_fwd)"
row "convnet train step [64,1,28,28]" "$(m old_cv_step)" "$(m new_cv_step)"
