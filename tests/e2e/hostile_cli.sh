#!/usr/bin/env bash
# A hostile command line: diverging training, bad or missing data, numeric
# options that are not numbers, outputs that alias the model or each other,
# shell metacharacters in TMPDIR and BPC_CC, a save that fails or is killed
# half way. Each gets a clear error and the right exit code, and nothing that
# was good on disk is lost.
. "$(dirname "$0")/lib.sh"
cd "$WORK"

printf 'dim N, D = 2, C = 2\ninput x[N, D]\ninput y[N] : int\nparam W[D, C] ~ normal(0.1)\nparam b[C]\nscores = x @ W + b\nloss = cross_entropy(scores, y)\noutput scores\noptimize loss with sgd(lr = 0.5)\n' > lin.bp
printf 'dim N, D = 2\ninput x[N, D]\ninput t[N, 1]\ninput lr\nparam W[D, 1] ~ normal(0.1)\npred = x @ W\nloss = mse(pred, t)\noutput pred\noptimize loss with sgd(lr = lr)\n' > reg.bp
# .npy files without Python: data from `bpc run --out`, headers by hand,
# single values patched in place (the data is the last bytes of the file).
npy_header() {   # DICT: magic, version 1.0, the dict padded to 128 bytes in all
    printf '\223NUMPY\001\000\166\000%-117s\n' "$1"
}
patch() {        # FILE ELEMENT ELSIZE NBYTES PRINTF-BYTES: overwrite element ELEMENT
    local size; size=$(stat -c %s "$1")
    printf "$5" | dd of="$1" bs=1 seek=$((size - $4 + $2 * $3)) conv=notrunc 2>/dev/null
}
"$BPC" run lin.bp --set N=64 --seed 3 --out d >/dev/null 2>&1 && cp d/x.npy d/y.npy .
"$BPC" run reg.bp --set N=64,lr=0.1 --seed 4 --out r >/dev/null 2>&1 && cp r/t.npy .
"$BPC" run lin.bp --set N=50 --seed 5 --out d50 >/dev/null 2>&1 && cp d50/y.npy y50.npy
"$BPC" run lin.bp --set N=64 --seed 3 --dtype f64 --out d64 >/dev/null 2>&1
{ npy_header "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }"; } > x0.npy
{ npy_header "{'descr': '<i4', 'fortran_order': False, 'shape': (0,), }"; } > y0.npy
cp x.npy xnan.npy; patch xnan.npy 11 4 512 '\000\000\300\177'        # [5, 1] = nan
cp x.npy xinf.npy; patch xinf.npy 14 4 512 '\000\000\200\177'        # [7, 0] = inf
cp d64/x.npy xbig.npy; patch xbig.npy 6 8 1024 '\234\165\000\210\074\344\067\176'   # [3, 0] = 1e300

# 1. divergence: exit 1 with where it happened, and the good checkpoint stays
"$BPC" train reg.bp --in x=x.npy,t=t.npy --set lr=0.1 --epochs 2 --save good >/dev/null 2>&1
cp -r good good.copy
check "a diverging loss stops training with exit 1" sh -c "'$BPC' train reg.bp --in x=x.npy,t=t.npy --set lr=1e4 --epochs 5 --batch 1 --save good >/dev/null 2>err.txt; [ \$? = 1 ]"
check "the message says what went non-finite and where" grep -qE "^bpc: train: the (loss|param) '[A-Za-z]+' became (inf|-inf|nan) at epoch 1, batch [0-9]+" err.txt
check "a run diverging in its first epoch does not overwrite the checkpoint" diff -r good good.copy
# --save writes every epoch: a run diverging in epoch 3 keeps epoch 2's checkpoint, never the diverged epoch
# (one JIT tier: the tiered default switches from tcc's to cc's code at a batch that
# depends on the machine's load, and the epoch a diverging run blows up in may differ)
check "a later divergence keeps the last whole epoch's checkpoint" sh -c "'$BPC' train reg.bp --jit tcc --in x=x.npy,t=t.npy --set lr=1e4 --epochs 5 --save late >/dev/null 2>err.txt; [ \$? = 1 ] && grep -q 'at epoch 3' err.txt && grep -q '\"epoch\": 2' late/manifest.json"
# 2. bad values in data: an error at load naming the file and the element
check "NaN in the data is an error naming file and index" sh -c "'$BPC' train lin.bp --in x=xnan.npy,y=y.npy >/dev/null 2>err.txt; [ \$? = 1 ] && grep -q '^bpc: xnan.npy: the element at \[5, 1\] (nan)' err.txt"
check "Inf in the data is an error" sh -c "'$BPC' train lin.bp --in x=xinf.npy,y=y.npy 2>&1 >/dev/null | grep -q 'xinf.npy: the element at \[7, 0\]'"
check "float64 beyond float32's range is an error" sh -c "'$BPC' train lin.bp --in x=xbig.npy,y=y.npy 2>&1 >/dev/null | grep -q 'xbig.npy: .*float32'"
check "run rejects NaN input data too" expect_exit 1 "$BPC" run lin.bp --in x=xnan.npy,y=y.npy
# 3. every input given; no made-up data for train, nor hyperparameters for run
check "train without labels exits 2" expect_exit 2 "$BPC" train lin.bp --in x=x.npy --save nolabels
check "train names the missing input" sh -c "'$BPC' train lin.bp --in x=x.npy 2>&1 | grep -q \"input 'y'\""
check "train saved nothing without labels" test ! -e nolabels
check "train without --set lr exits 2 naming lr" sh -c "'$BPC' train reg.bp --in x=x.npy,t=t.npy 2>&1 >/dev/null | grep -q \"'lr'\" && ! '$BPC' train reg.bp --in x=x.npy,t=t.npy >/dev/null 2>&1"
check "run without --set lr exits 2" expect_exit 2 "$BPC" run reg.bp --set N=4
check "run says which inputs are random" sh -c "'$BPC' run reg.bp --set N=4,lr=0.1 2>&1 >/dev/null | grep -q 'note: no --in for x, t: using seeded random data'"
# 4. empty and mismatched data sets
check "0 examples is an error" expect_exit 1 "$BPC" train lin.bp --in x=x0.npy,y=y0.npy --save empty
check "0 examples saves nothing" test ! -e empty
check "mismatched row counts are an error" sh -c "'$BPC' train lin.bp --in x=x.npy,y=y50.npy 2>&1 >/dev/null | grep -q 'has 50 examples'"
# 5. numeric options
for a in "--seed abc" "--seed -1" "--seed 99999999999999999999" "--epochs 1x" "--epochs 0" "--batch -5" \
         "--threads 99999999999999999999" "--tolerance abc" "--set N=abc" "--set N=-3" "--set N=99999999999999999"; do
    check "run $a exits 2" expect_exit 2 "$BPC" run lin.bp $a
done
check "--set N given twice exits 2" expect_exit 2 "$BPC" run lin.bp --set N=3 --set N=4
check "--in x given twice exits 2" expect_exit 2 "$BPC" train lin.bp --in x=x.npy,y=y.npy,x=xnan.npy
check "--set lr=nan exits 2" expect_exit 2 "$BPC" run reg.bp --set N=4,lr=nan
check "--set lr=1e999 exits 2" expect_exit 2 "$BPC" run reg.bp --set N=4,lr=1e999
# 6. shell metacharacters in TMPDIR and BPC_CC run nothing
EVIL="$WORK/q'\$(touch $WORK/CANARY1);\`touch $WORK/CANARY2\` \"x"
mkdir -p "$EVIL"
check "--jit cc works under a hostile TMPDIR" sh -c "TMPDIR=\"\$1\" '$BPC' run lin.bp --set N=4 --jit cc | grep -q '^loss'" _ "$EVIL"
check "train (tiered JIT) works under a hostile TMPDIR" sh -c "TMPDIR=\"\$1\" '$BPC' train lin.bp --in x=x.npy,y=y.npy --epochs 3 >/dev/null" _ "$EVIL"
check "a missing hostile TMPDIR fails cleanly" expect_exit 1 env "TMPDIR=$EVIL/none'\$(touch $WORK/CANARY3)" "$BPC" run lin.bp --set N=4 --jit cc
check "BPC_CC with ; runs no command" expect_exit 1 env "BPC_CC=cc;touch $WORK/CANARY4" "$BPC" run lin.bp --set N=4 --jit cc
check "BPC_CC with arguments works" sh -c "BPC_CC='cc -O1' '$BPC' run lin.bp --set N=4 --jit cc | grep -q '^loss'"
check "a failing compiler's message is in the error" sh -c "BPC_CC='cc -Wbogus-xyz -Werror' '$BPC' run lin.bp --set N=4 --jit cc 2>&1 | grep -q 'bogus-xyz'"
check "no command ran" sh -c "! ls '$WORK' | grep -q CANARY"
check "the JIT leaves no temporary folder" sh -c "! ls -A \"\$1\" | grep -q ." _ "$EVIL"
# a bpc killed mid-build leaves bpc-jit-PID-XXXXXX; the next cc build removes it once
# its process is gone and it is an hour old, and nothing else (a fresh one, a live
# process's, a name of another form, a file)
sh -c 'exit 0' & dead=$!; wait $dead
mkdir -p stale && for f in "bpc-jit-$dead-aaaaaa" "bpc-jit-$dead-bbbbbb" "bpc-jit-$$-cccccc" "bpc-jit-$dead-dddddddd"; do
    mkdir "stale/$f" && touch "stale/$f/model.c"
done
touch stale/"bpc-jit-$dead-eeeeee"
touch -d '2 hours ago' "stale/bpc-jit-$dead-aaaaaa" "stale/bpc-jit-$$-cccccc" "stale/bpc-jit-$dead-dddddddd" \
    "stale/bpc-jit-$dead-eeeeee"
check "a killed build's folder goes at the next cc build, only it" sh -c "
    TMPDIR='$WORK/stale' '$BPC' run lin.bp --set N=4 --jit cc | grep -q '^loss' &&
    [ \"\$(ls stale | sort | tr '\n' ' ')\" = 'bpc-jit-$$-cccccc bpc-jit-$dead-bbbbbb bpc-jit-$dead-dddddddd bpc-jit-$dead-eeeeee ' ]"
# 7. outputs
cp "$SRC/examples/mlp.bp" self.bp; cp self.bp self.keep; mkdir -p sub; ln -s self.bp alias.bp
check "-o MODEL is refused" expect_exit 2 "$BPC" self.bp -o self.bp
check "-o MODEL by another path is refused" expect_exit 2 "$BPC" self.bp -o sub/../self.bp
check "-o a symlink to MODEL is refused" expect_exit 2 "$BPC" self.bp -o alias.bp
check "--header MODEL is refused" expect_exit 2 "$BPC" self.bp -o s.c --header self.bp
check "the model is intact" cmp self.bp self.keep
check "-o a.c --header a.c is refused" expect_exit 2 "$BPC" self.bp -o a.c --header a.c
check "-o a.c --header ./a.c is refused" expect_exit 2 "$BPC" self.bp -o a.c --header ./a.c
check "new outputs honour umask 022" sh -c "umask 022; '$BPC' self.bp -o m22.c && [ \$(stat -c %a m22.c) = 644 ] && [ \$(stat -c %a m22.h) = 644 ]"
check "new outputs honour umask 077" sh -c "umask 077; '$BPC' self.bp -o m77.c && [ \$(stat -c %a m77.c) = 600 ]"
check "an existing output keeps its mode" sh -c "chmod 640 m22.c && '$BPC' self.bp -o m22.c && [ \$(stat -c %a m22.c) = 640 ]"
touch target.c; ln -s target.c link.c
check "-o a symlink writes through to its target" sh -c "'$BPC' self.bp -o link.c && [ -L link.c ] && grep -q self_forward target.c"
check "-o a folder is refused" expect_exit 1 "$BPC" self.bp -o sub
# A device: a private null device where we may make one (a bpc that replaced
# the file instead of writing to it would otherwise replace the machine's
# /dev/null, as one did while this test was written), else a FIFO with a reader.
if mknod nulldev c 1 3 2>/dev/null; then
    check "-o a device writes to it (twice: source and header)" sh -c "'$BPC' self.bp -o nulldev --header nulldev && [ -c nulldev ]"
else
    mkfifo fifo && { cat fifo > /dev/null & }
    check "-o a FIFO writes to it" sh -c "'$BPC' self.bp -o fifo --header fifo.h && [ -p fifo ]"
fi
check "graph -o MODEL is refused" expect_exit 2 "$BPC" graph self.bp -o self.bp
check "no temporaries are left" sh -c "! ls | grep -q tmp"
# 8. --save is atomic as a set: a failure or a kill half way leaves the old set
"$BPC" train lin.bp --in x=x.npy,y=y.npy --epochs 1 --save ck >/dev/null
cp -r ck ck.copy
check "a save failing after 1 file exits 1" sh -c "BPC_TEST_SAVE_FAIL_AFTER=1 '$BPC' train lin.bp --in x=x.npy,y=y.npy --epochs 5 --save ck >/dev/null 2>&1; [ \$? = 1 ]"
check "... and leaves the old checkpoint whole" diff -r ck ck.copy
# (the killed bpc's JIT folder, which a SIGKILL leaves, goes to a TMPDIR of its own)
mkdir killed_tmp
check "a save killed after 1 file leaves the old checkpoint whole" sh -c "TMPDIR='$WORK/killed_tmp' BPC_TEST_SAVE_KILL_AFTER=1 '$BPC' train lin.bp --in x=x.npy,y=y.npy --epochs 5 --save ck >/dev/null 2>&1; diff -r ck ck.copy"
check "no .tmp file inside the checkpoint" sh -c "! ls ck | grep -q tmp"
check "a complete save replaces the whole set" sh -c "'$BPC' train lin.bp --in x=x.npy,y=y.npy --epochs 5 --save ck >/dev/null && ! cmp -s ck/W.npy ck.copy/W.npy && ! cmp -s ck/b.npy ck.copy/b.npy"
check "saved params honour umask" sh -c "umask 022; '$BPC' train lin.bp --in x=x.npy,y=y.npy --save ck22 >/dev/null && [ \$(stat -c %a ck22/W.npy) = 644 ] && [ \$(stat -c %a ck22) = 755 ]"
# a real full disk, where a private tmpfs can be mounted (root, unshare), else skipped:
# 4 pages, the old set takes 3 (V 1, W 2), so V's new file fits and W's does not
printf 'dim N, D = 64, H = 20\ninput x[N, D]\ninput t[N, 1]\nparam V[H, 1] ~ normal(0.1)\nparam W[D, H] ~ normal(0.1)\npred = (x @ W) @ V\nloss = mse(pred, t)\noutput pred\noptimize loss with sgd(lr = 0.01)\n' > big.bp
"$BPC" run big.bp --set N=32 --out bd >/dev/null 2>&1
mkdir -p small
if unshare -m sh -c 'mount -t tmpfs -o size=16k tmpfs small' 2>/dev/null; then
    check "a full disk during the save leaves the old checkpoint whole" unshare -m sh -c "
        mount -t tmpfs -o size=16k tmpfs small &&
        '$BPC' train big.bp --in x=bd/x.npy,t=bd/t.npy --save small/ck >/dev/null && cp -r small/ck full.copy &&
        ! '$BPC' train big.bp --in x=bd/x.npy,t=bd/t.npy --epochs 3 --save small/ck >/dev/null 2>&1 &&
        diff -r small/ck full.copy && [ \$(ls small) = ck ]"
else
    echo "skipped: the full-disk check (cannot mount a private tmpfs)"
fi
mkdir -p mine; echo notes > mine/notes.txt
check "--save into a folder holding other files is refused" sh -c "! '$BPC' train lin.bp --in x=x.npy,y=y.npy --save mine >/dev/null 2>&1 && [ -f mine/notes.txt ]"
# 9. a malformed .npy is an error naming the file
{ npy_header "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (64, 2), }"; head -c 512 /dev/zero; } > bad.npy
check "a malformed .npy header names the file" sh -c "'$BPC' train lin.bp --in x=bad.npy,y=y.npy 2>&1 | grep -q '^bpc: bad.npy: .*fortran_order'"
# 10. the REPL: --set from the command line, then :set again, and a clean exit
printf 'dim N\ninput x[N, 2]\nsum(x * 0 + 1)\n:set N=5\nsum(x * 0 + 1)\n' > repl.in
check "repl :set replaces a --set value and exits cleanly" sh -c "'$BPC' repl --set N=3 < repl.in > repl.out 2>&1 && grep -q '10.0000' repl.out"
finish
