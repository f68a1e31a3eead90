#!/usr/bin/env bash
# The command line: exit codes, -o with atomic output, run, explain, graph, train, the cc JIT.
. "$(dirname "$0")/lib.sh"
MLP=$SRC/examples/mlp.bp
cd "$WORK"
printf 'dim N\ninput x[N, 3]\nparam W[4, 2]\ny = x @ W\n' > bad.bp

check "--help exits 0" expect_exit 0 "$BPC" --help
check "--version exits 0" expect_exit 0 "$BPC" --version
check "unknown option exits 2" expect_exit 2 "$BPC" check "$MLP" --frobnicate
check "no model exits 2" expect_exit 2 "$BPC" check
check "no action exits 2" expect_exit 2 "$BPC" "$MLP"
check "bad --emit exits 2" expect_exit 2 "$BPC" "$MLP" --emit=nothing
check "bad --dtype exits 2" expect_exit 2 "$BPC" "$MLP" -o x.c --dtype f16
check "missing file exits 1" expect_exit 1 "$BPC" check no_such.bp
check "a good model checks" expect_exit 0 "$BPC" check "$MLP"
check "a bad model exits 1" expect_exit 1 "$BPC" check bad.bp
check "usage error names the usage" sh -c "'$BPC' --frobnicate 2>&1 | grep -q '^usage: bpc'"
for stage in ast ir grad c plan explain dot; do
    check "--emit=$stage" expect_exit 0 "$BPC" "$MLP" --emit=$stage
done

# -o writes the source and the header; --header and --name
check "-o writes mlp.c and mlp.h" sh -c "'$BPC' '$MLP' -o mlp.c && grep -q 'typedef struct mlp_io' mlp.h && grep -q '#include \"mlp.h\"' mlp.c"
check "--header and --name" sh -c "'$BPC' '$MLP' -o a.c --header inc.h --name net && grep -q 'net_forward' inc.h && grep -q '#include \"inc.h\"' a.c"
# atomic: a failing compile leaves existing files byte-identical and no temporaries
cp mlp.c keep.c; cp mlp.h keep.h
check "an error writes nothing" sh -c "! '$BPC' bad.bp -o mlp.c --header mlp.h 2>/dev/null && cmp -s mlp.c keep.c && cmp -s mlp.h keep.h && ! ls | grep -q tmp"
check "an unwritable folder fails cleanly" expect_exit 1 "$BPC" "$MLP" -o /nonexistent/dir/x.c

# run: summaries, .npy outputs, and .npy inputs read back
check "run prints outputs and gradients" sh -c "'$BPC' run '$MLP' --set N=8 | grep -q '^W1_grad *\[784, 256\]'"
check "run --out writes .npy" sh -c "'$BPC' run '$MLP' --set N=8 --out res && head -c 6 res/scores.npy | od -c | grep -q 'N   U   M   P   Y' && [ -f res/W1_grad.npy ]"
printf 'dim N, C = 10\ninput x[N, C]\ny = x * 2\noutput y\n' > dbl.bp
check "run --in reads .npy back" sh -c "a=\$('$BPC' run '$MLP' --set N=8 | awk '/^scores/{print \$5}'); b=\$('$BPC' run dbl.bp --in x=res/scores.npy | awk '/^y /{print \$5}'); awk -v a=\$a -v b=\$b 'BEGIN{exit !(b > 1.999*a && b < 2.001*a)}'"
check "run --in with the wrong shape exits 1" expect_exit 1 "$BPC" run dbl.bp --in x=res/W1_grad.npy
check "run --set of an unknown dim exits 2" expect_exit 2 "$BPC" run "$MLP" --set M=3

# explain reads as a derivation; graph is Graphviz
check "explain shows both passes and the matmul rule" sh -c "'$BPC' explain '$MLP' > ex.txt && grep -q '^forward' ex.txt && grep -q '^backward' ex.txt && grep -q 'gA = g @ Bᵀ' ex.txt"
check "graph -o writes a digraph" sh -c "'$BPC' graph '$MLP' -o g.dot && head -1 g.dot | grep -q '^digraph mlp'"
# explain shows the source's names; the C renames one that is a local of its
# own (`a` -> a_) by names.c's list (plan.c's second list renamed `v` in
# explain but not `a` or `z`)
printf 'dim N\ninput x[N, 4]\nparam W[4, 4], v[4]\na = relu(x @ W)\nz = a * v\nloss = sum(z * z)\ngrad loss\n' > loc.bp
check "explain names buffers as the source does, the C renames" sh -c "'$BPC' loc.bp -o loc.c && grep -q 'float \\*a_ = ' loc.c && '$BPC' explain loc.bp > loc.txt && grep -qE '^  a += relu' loc.txt && grep -qE '^  z += a \\* v ' loc.txt"

# train on a tiny separable set: the loss falls
printf 'dim N, D = 2, C = 2\ninput x[N, D]\ninput y[N] : int\nparam W[D, C] ~ normal(0.1)\nparam b[C]\nscores = x @ W + b\nloss = cross_entropy(scores, y)\noutput scores\noptimize loss with sgd(lr = 0.5)\n' > lin.bp
check "run --out keeps the inputs" sh -c "'$BPC' run lin.bp --set N=64 --seed 3 --out data >/dev/null && [ -f data/x.npy ] && [ -f data/y.npy ]"
check "train lowers the loss" sh -c "'$BPC' train lin.bp --in x=data/x.npy,y=data/y.npy --epochs 30 --batch 16 --save p > tr.txt && awk 'NR==1{a=\$4} END{exit !(\$4 < a)}' tr.txt && [ -f p/W.npy ]"
check "--jit cc runs" sh -c "'$BPC' run '$MLP' --set N=4 --jit cc | grep -q '^loss'"
check "repl evaluates" sh -c "printf 'dim N\ninput x[N, 2]\nsum(x * 0 + 1)\n' | '$BPC' repl --set N=3 | grep -q '6.0000'"
# dims left to the default rise to the least value constant indices accept
printf 'dim N\ninput x[N, 3]\ny = x[:, 2] + 0 * sum(x[5])\ns = sum(y)\noutput y\ngrad s wrt x\n' > idx.bp
check "run without --set raises N to what x[5] needs, and says so" sh -c "'$BPC' run idx.bp 2>err.txt | grep -q '^y  *\[6\]' && grep -q 'N = 6, the least' err.txt"
check "gradcheck without --set runs at that N" sh -c "'$BPC' gradcheck idx.bp | grep -q '^x_grad'"
check "an explicit --set N=3 below it is BP_EDIM, exit 1" expect_exit 1 "$BPC" run idx.bp --set N=3
finish
