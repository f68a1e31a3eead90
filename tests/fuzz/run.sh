#!/usr/bin/env bash
# Build the front-end fuzzer with clang (libFuzzer + ASan + UBSan) in its own
# build folder and run it for SECONDS (default 60), seeded with the examples,
# the test models and the golden diagnostic inputs.
set -euo pipefail
secs=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${BPC_FUZZ_BUILD:-$src/build-fuzz}
if ! command -v clang >/dev/null; then
    echo "fuzz: clang not found; skipped"
    exit 0
fi
cmake -S "$src" -B "$out" -DCMAKE_C_COMPILER=clang -DBPC_FUZZ=ON -DBPC_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j2 --target fuzz_frontend >/dev/null
corpus=$out/corpus
mkdir -p "$corpus"
cp "$src"/examples/*.bp "$src"/tests/models/*.bp "$src"/tests/diag/*.bp "$corpus"/
"$out/fuzz_frontend" "$corpus" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 2>&1 | tail -5
