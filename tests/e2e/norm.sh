#!/usr/bin/env bash
# layernorm, batchnorm and dropout through the CLI and the generated C:
# dropout's properties (tests/e2e/dropout_props.c), _predict in inference mode,
# batchnorm's running averages in checkpoints (2 + 2 epochs = 4 bit for bit),
# eval / predict / run --load reading them, _step advancing dropout's step.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
CFLAGS="-std=c99 -Wall -Wextra -pedantic -Werror"

# 1. dropout's properties, in float and in double, at two rates
printf 'dim N\ninput x[N, 64]\nparam w[64] ~ ones\nh = dropout(x * w, 0.3)\nloss = sum(h)\noutput h\ngrad loss wrt x\n' > drop.bp
check "dropout model compiles" "$BPC" drop.bp -o drop.c --name drop
check "dropout properties (p = 0.3)" sh -c "gcc $CFLAGS -O2 -I. '$SRC/tests/e2e/dropout_props.c' drop.c -lm -o props && ./props"
sed 's/0\.3)/0.75)/' drop.bp > drop75.bp
check "dropout properties (p = 0.75, tcc)" sh -c "'$BPC' drop75.bp -o drop.c --name drop && tcc -Wall -Werror -DP_DROP=0.75 -I. '$SRC/tests/e2e/dropout_props.c' drop.c -lm -o props75 && ./props75"
check "dropout(x, 1) zeroes everything, dropout(x, 0) is the identity" sh -c "printf 'dim N\ninput x[N, 4]\nz = dropout(x, 1)\nk = dropout(x, 0)\noutput z, k\n' > ends.bp && '$BPC' run ends.bp --set N=3 --out ends >/dev/null && /usr/bin/python3 -c \"import numpy as n; x=n.load('ends/x.npy'); assert (n.load('ends/z.npy')==0).all() and (n.load('ends/k.npy')==x).all()\""
check "dropout's p outside [0, 1] is an error" sh -c "printf 'input x[4]\nz = dropout(x, 1.5)\noutput z\n' > bad.bp; '$BPC' check bad.bp 2>&1 | grep -q 'must lie in \[0, 1\]'"
check "batchnorm of a vector is an error" sh -c "printf 'input x[4]\nparam g[4], b[4]\nz = batchnorm(x, g, b)\noutput z\n' > bad2.bp; '$BPC' check bad2.bp 2>&1 | grep -q 'rank 2 to 4'"
check "layernorm's gamma of the wrong extent is an error" sh -c "printf 'input x[3, 4]\nparam g[3], b[4]\nz = layernorm(x, g, b)\noutput z\n' > bad3.bp; '$BPC' check bad3.bp 2>&1 | grep -q 'needs gamma of shape \[4\]'"
check "a state field named like another field is an error" sh -c "printf 'input x[3, 4], h_running_var[4]\nparam g[4], b[4]\nh = batchnorm(x, g, b)\noutput h\n' > bad4.bp; '$BPC' check bad4.bp 2>&1 | grep -q \"two fields named 'h_running_var'\""

# 2. the header documents the state; the reflection table lists it
check "header: running averages, seed and step" sh -c "'$BPC' '$SRC/tests/models/norm.bp' -o n.c --name n && grep -q 'float \*a_running_mean; .*batchnorm running mean of a \[5\]' n.h && grep -q 'uint64_t seed;' n.h && grep -q 'int64_t step;' n.h"
check "reflection: BP_STATE fields of the batchnorm" sh -c "grep -q '{ \"a_running_var\", BP_STATE, BP_F32, 1, { 5, 0, 0, 0 }, offsetof(n_io, a_running_var), \"a\" }' n.c"
check "explain prints the closed forms" sh -c "'$BPC' explain '$SRC/tests/models/norm.bp' | grep -q 'dx = rstd·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂))'"

# 3. train, checkpoints, resume, eval, predict
"$BPC" run "$SRC/tests/models/norm.bp" --set N=90 --seed 3 --out d >/dev/null 2>&1
"$BPC" run "$SRC/tests/models/norm.bp" --set N=30 --seed 4 --out v >/dev/null 2>&1
T="--in x=d/x.npy,y=d/y.npy --batch 16"
M="$SRC/tests/models/norm.bp"
"$BPC" train "$M" $T --epochs 4 --save four >/dev/null 2>&1
"$BPC" train "$M" $T --epochs 2 --save two >/dev/null 2>&1
check "a checkpoint holds the running averages and the step" sh -c "[ -f two/a_running_mean.npy ] && [ -f two/a_running_var.npy ] && grep -q 'a_running_var' two/manifest.json && grep -q '\"step\": 12' two/manifest.json"
check "training moved the running averages" /usr/bin/python3 -c "import numpy as n; m=n.load('two/a_running_mean.npy'); v=n.load('two/a_running_var.npy'); assert (m!=0).any() and (v!=1).any() and (v>0).all()"
check "--resume continues" sh -c "'$BPC' train '$M' $T --epochs 4 --resume two --save resumed >/dev/null 2>&1"
check "2 + 2 epochs equal 4 epochs bit for bit" diff -r four resumed
check "another --seed trains other dropout masks" sh -c "'$BPC' train '$M' $T --epochs 2 --seed 9 --save other >/dev/null 2>&1 && ! cmp -s two/W2.npy other/W2.npy"
check "validation leaves the running averages as trained" sh -c "'$BPC' train '$M' $T --epochs 2 --val x=v/x.npy,y=v/y.npy --save twoval >/dev/null 2>&1 && cmp two/a_running_mean.npy twoval/a_running_mean.npy"
check "predict writes the outputs" sh -c "'$BPC' predict '$M' --load four --in x=v/x.npy --out p >/dev/null && [ -f p/scores.npy ]"
check "predict = run --load, bit for bit" sh -c "'$BPC' run '$M' --load four --in x=v/x.npy,y=v/y.npy --out r >/dev/null 2>&1 && cmp p/scores.npy r/scores.npy"
check "predict is deterministic whatever the seed (no dropout)" sh -c "'$BPC' predict '$M' --load four --in x=v/x.npy --seed 77 --out p2 >/dev/null && cmp p/scores.npy p2/scores.npy"
check "predict normalizes with the running averages: one example alone gives its row of the batch" /usr/bin/python3 -c "
import numpy as n, subprocess
n.save('one.npy', n.load('v/x.npy')[3:4])
subprocess.run(['$BPC', 'predict', '$M', '--load', 'four', '--in', 'x=one.npy', '--out', 'p1'], check=True, capture_output=True)
assert (n.load('p1/scores.npy')[0] == n.load('p/scores.npy')[3]).all()"
# eval's loss is inference mode's (running averages, no dropout), as PyTorch's
# model.eval(): the cross-entropy of predict's scores, not of a training forward
CE="import numpy as n, sys; s=n.load('p/scores.npy').astype(n.float64); y=n.load('v/y.npy'); m=s.max(1, keepdims=True); l=(m[:,0]+n.log(n.exp(s-m).sum(1))-s[n.arange(len(y)),y]).mean(); e=float(sys.argv[1]); assert abs(e-l) <= 1e-5*abs(l), (e, l)"
check "eval's loss is the cross-entropy of predict's scores" sh -c "'$BPC' eval '$M' --load four --in x=v/x.npy,y=v/y.npy > ev.txt && /usr/bin/python3 -c \"$CE\" \$(awk '/^loss/{print \$2}' ev.txt)"
check "--val's loss is inference mode's: the last epoch's val_loss is eval's loss" sh -c "'$BPC' train '$M' $T --epochs 4 --val x=v/x.npy,y=v/y.npy > tv.txt 2>&1; '$BPC' train '$M' $T --epochs 4 --save fourb >/dev/null 2>&1; '$BPC' eval '$M' --load fourb --in x=v/x.npy,y=v/y.npy > ev2.txt && l=\$(awk '/^loss/{printf \"%.4f\", \$2}' ev2.txt) && tail -1 tv.txt | grep -q \"val_loss \$l\""
check "eval reports and leaves the checkpoint alone" sh -c "'$BPC' eval '$M' --load four --in x=v/x.npy,y=v/y.npy | grep -q '^accuracy' && cmp four/a_running_mean.npy resumed/a_running_mean.npy"
finish
