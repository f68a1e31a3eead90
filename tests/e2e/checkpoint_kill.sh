#!/usr/bin/env bash
# Checkpoints under SIGKILL (issue 10): `bpc train --save` killed at many
# random moments (scaled to the time of a first save), every checkpoint left behind is complete — each .npy loads
# with numpy.load, the manifest lists exactly the files there, and --resume
# continues from it — and the next successful save removes the DIR.tmp.*
# folders the killed saves left. Random moments come from a fixed seed.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
PY=/usr/bin/python3
cat > m.bp <<'BP'
dim N
input x[N, 16]
input y[N] : int
param W1[16, 64] ~ he
param b1[64]
param W2[64, 10] ~ he
param b2[10]
h = relu(x @ W1 + b1)
scores = h @ W2 + b2
loss = cross_entropy(scores, y)
output scores
optimize loss with adam(lr = 0.001)
BP
$PY -c "
import numpy as np
r = np.random.default_rng(0)
np.save('x.npy', r.standard_normal((256, 16)).astype(np.float32))
np.save('y.npy', r.integers(0, 10, 256).astype(np.int32))"
T="--in x=x.npy,y=y.npy --batch 32"

# complete: every file the manifest names loads, nothing else is there, the
# epoch is a number; prints the epoch
cat > verify.py <<'PY'
import json, os, sys
import numpy as np
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
names = sorted(t + ".npy" for t in m["tensors"])
assert sorted(os.listdir(d)) == sorted(names + ["manifest.json"]), os.listdir(d)
for n in names:
    a = np.load(os.path.join(d, n))
    assert a.dtype == np.float32 and np.isfinite(a).all(), n
assert {"W1", "b1", "W2", "b2", "W1_m", "W1_v"} <= set(m["tensors"]), m["tensors"]
print(m["epoch"])
PY

# The moments scale with how long the first checkpoint takes here (the JIT's
# compile and the first epoch: about 0.4 s on an idle machine, over 0.9 s under
# a loaded CI's parallel tests, where fixed moments of 0.1-0.9 s left none)
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
"$BPC" train m.bp $T --epochs 1000000 --save probe >/dev/null 2>&1 &
pid=$!
while [ ! -f probe/manifest.json ] && [ $(($(ms) - t0)) -lt 60000 ]; do sleep 0.01; done
first=$(($(ms) - t0))
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check "a first checkpoint within a minute" [ -f probe/manifest.json ]
echo "first checkpoint after $first ms"
RANDOM=7   # the moments are random, but the same in every run
kills=0 left=0
for i in $(seq 1 30); do
    "$BPC" train m.bp $T --epochs 1000000 --save ck >/dev/null 2>&1 &
    pid=$!
    at=$((first * (25 + RANDOM % 150) / 100))   # a quarter to 1.75 times it
    sleep "$((at / 1000)).$(printf %03d $((at % 1000)))"
    kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid 2>/dev/null
    [ -d ck ] || continue
    left=$((left + 1))
    if ! epoch=$($PY verify.py ck 2>verify.err); then
        check "kill $i: the checkpoint is complete" false
        cat verify.err
        continue
    fi
    check "kill $i: the checkpoint is complete" true
    check "kill $i: --resume continues from epoch $epoch" sh -c "'$BPC' train m.bp $T --epochs $((epoch + 1)) --resume ck 2>/dev/null | head -1 | grep -q '^epoch $((epoch + 1))/'"
done
echo "$kills kills, $left checkpoints left behind"
check "kills left checkpoints to check" [ "$left" -ge 5 ]

# kills in the middle of a save (test hook: after k files), then one save that succeeds
for k in 0 1 3 5; do
    BPC_TEST_SAVE_KILL_AFTER=$k "$BPC" train m.bp $T --epochs 2 --save ck >/dev/null 2>&1
done 2>/dev/null   # (the shell's "Killed")
check "killed saves left their temporaries" sh -c 'ls -d ck.tmp.* >/dev/null 2>&1'
check "the checkpoint survived them" sh -c "$PY verify.py ck >/dev/null"
check "a successful save" sh -c "'$BPC' train m.bp $T --epochs 1 --save ck >/dev/null 2>&1"
check "no DIR.tmp.* litter after it" sh -c '! ls -d ck.tmp.* ck.old.* 2>/dev/null | grep -q .'
check "and the checkpoint is complete" sh -c "$PY verify.py ck >/dev/null"
# a folder that only looks like litter (it holds something else) is left alone
mkdir ck.tmp.ABCDEF && echo mine > ck.tmp.ABCDEF/notes.txt
check "a save keeps a look-alike holding other files" sh -c "'$BPC' train m.bp $T --epochs 1 --save ck >/dev/null 2>&1 && [ -f ck.tmp.ABCDEF/notes.txt ]"
TMP_LEFT_OK=1   # the killed trainings leave their JIT folders (a SIGKILL cannot be cleaned up after)
finish
