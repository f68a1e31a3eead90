#!/usr/bin/env bash
# for-loops (SPEC §1 "Loops"): the generated code does not grow with the
# number of iterations, deep and empty loops differentiate correctly, and
# explain shows the loop and its reverse. Values against PyTorch are the
# reference cases tests/ref/cases/loop_*.
. "$(dirname "$0")/lib.sh"
layers="$SRC/tests/models/layers.bp"
sed 's/L = 3/L = 2/' "$layers" > "$WORK/l2.bp"
sed 's/L = 3/L = 20/' "$layers" > "$WORK/l20.bp"
"$BPC" "$WORK/l2.bp" -o "$WORK/l2.c" --name layers
"$BPC" "$WORK/l20.bp" -o "$WORK/l20.c" --name layers
# the same text but for the numbers (the extent L, the include's file name)
same_code() { diff <(sed -E 's/[0-9]+//g' "$1") <(sed -E 's/[0-9]+//g' "$2"); }
check "C for L=2 and L=20 differs only in numbers" same_code "$WORK/l2.c" "$WORK/l20.c"
check "C for L=2 and L=20 has the same size in lines" test "$(wc -l < "$WORK/l2.c")" = "$(wc -l < "$WORK/l20.c")"
check "one forward loop in each forward pass (_forward, _evaluate)" test "$(grep -c 'for (int64_t l0 = 0; l0 < 20; l0++)' "$WORK/l20.c")" = 2
check "one reverse loop" test "$(grep -c 'for (int64_t l0 = 20 - 1; l0 >= 0; l0--)' "$WORK/l20.c")" = 1
check "L=20 compiles warning-free" gcc -std=c99 -Wall -Wextra -pedantic -Werror -c "$WORK/l20.c" -o "$WORK/l20.o"
# tanh: 20 relu layers die (h = 0 exactly), and central differences then straddle relu's kink
sed 's/relu(h @ W\[l\] + b\[l\])/tanh(h @ W[l] + b[l])/' "$WORK/l20.bp" > "$WORK/t20.bp"
check "gradcheck, 20 layers" "$BPC" gradcheck "$WORK/t20.bp"
check "gradcheck, 20 layers -O0" "$BPC" gradcheck "$WORK/t20.bp" -O0

# bounds from dims: a loop that runs no iteration at run time passes its values through
cat > "$WORK/span.bp" <<'BP'
dim N, S, T, H = 3
input x[N, H]
param W[T, H, H]
param V[H, H]
h = tanh(x @ V)
for t in S..T {
    h = tanh(h @ W[t]) + h
}
loss = sum(h * h)
optimize loss with sgd(lr = 0.1)
BP
check "gradcheck, S < T" "$BPC" gradcheck "$WORK/span.bp" --set S=1 --set T=4
check "gradcheck, S = T (empty)" "$BPC" gradcheck "$WORK/span.bp" --set S=4 --set T=4
check "gradcheck, S > T (empty)" "$BPC" gradcheck "$WORK/span.bp" --set S=5 --set T=2

"$BPC" explain "$SRC/tests/models/rnn.bp" > "$WORK/explain.txt"
check "explain shows the loop" grep -q "for t in 0..T" "$WORK/explain.txt"
check "explain shows the reverse loop" grep -q "for t in 0..T, in reverse" "$WORK/explain.txt"
finish
