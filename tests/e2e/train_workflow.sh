#!/usr/bin/env bash
# The train -> eval -> predict workflow: validation figures, the progress bar
# on a terminal only, the learning-curve SVG, learning-rate schedules,
# checkpoints with optimizer state that resume bit for bit, eval and predict
# through the checkpoint. No Python: data from `bpc run --out`.
. "$(dirname "$0")/lib.sh"
cd "$WORK"

printf 'dim N, D = 2, C = 3\ninput x[N, D]\ninput y[N] : int\ninput lr\nparam W[D, C] ~ normal(0.1)\nparam b[C]\nscores = x @ W + b\nloss = cross_entropy(scores, y)\noutput scores\noptimize loss with adam(lr = lr)\n' > cls.bp
printf 'dim N, D = 2, C = 3\ninput x[N, D]\ninput y[N] : int\nparam W[D, C]\nscores = x @ W\nloss = cross_entropy(scores, y)\noutput scores\noptimize loss with sgd(lr = 0.1)\n' > lit.bp
"$BPC" run cls.bp --set N=90,lr=0.1 --seed 3 --out d >/dev/null 2>&1
"$BPC" run cls.bp --set N=30,lr=0.1 --seed 4 --out v >/dev/null 2>&1
T="--in x=d/x.npy,y=d/y.npy --set lr=0.05 --batch 16"

# 1. validation: figures per epoch, named for what they are
check "--val prints val_loss and val_acc" sh -c "'$BPC' train cls.bp $T --val x=v/x.npy,y=v/y.npy --epochs 2 >out.txt 2>err.txt && grep -qE '^epoch 2/2  loss [0-9.]+  acc [0-9.]+%  val_loss [0-9.]+  val_acc [0-9.]+%' out.txt"
check "the training figures are labelled running means" grep -q "running means over each epoch's batches" err.txt
check "--val-split holds out examples" sh -c "'$BPC' train cls.bp $T --val-split 0.2 --epochs 1 | grep -q val_acc"
check "--val and --val-split together exit 2" expect_exit 2 "$BPC" train cls.bp $T --val x=v/x.npy,y=v/y.npy --val-split 0.2
check "--val missing an input exits 2" expect_exit 2 "$BPC" train cls.bp $T --val x=v/x.npy
check "--val-split outside (0, 1) exits 2" expect_exit 2 "$BPC" train cls.bp $T --val-split 1.5
check "--val-split leaving nothing to validate exits 2" expect_exit 2 "$BPC" train cls.bp $T --val-split 0.001
# 2. plain lines when stdout is not a terminal; a bar when it is
check "no progress bar in a pipe" sh -c "'$BPC' train cls.bp $T --epochs 2 | grep -c \$(printf '\r') | grep -qx 0"
if command -v script >/dev/null 2>&1; then
    check "a progress bar with throughput and ETA on a terminal" sh -c "script -qec \"'$BPC' train cls.bp $T --epochs 2\" /dev/null | grep -q 'ex/s  ETA'"
fi
# 3. the learning curves
check "--plot writes an SVG" sh -c "'$BPC' train cls.bp $T --val-split 0.2 --epochs 3 --plot c.svg >/dev/null && head -c 200 c.svg | grep -q '<svg' && tail -1 c.svg | grep -q '</svg>' && [ \$(grep -c '<polyline' c.svg) = 4 ]"
if command -v rsvg-convert >/dev/null 2>&1; then
    check "the SVG renders" rsvg-convert c.svg -o c.png
fi
check "--plot onto the model exits 2" expect_exit 2 "$BPC" train cls.bp $T --plot cls.bp
# 4. schedules
check "--lr-schedule step lowers lr tenfold at half the epochs" sh -c "'$BPC' train cls.bp $T --epochs 4 --lr-schedule step | awk '{for(i=1;i<NF;i++) if(\$i==\"lr\") print \$(i+1)}' | tr '\n' ' ' | grep -qx '0.05 0.05 0.005 0.0005 '"
check "--lr-schedule cosine ends near 0" sh -c "'$BPC' train cls.bp $T --epochs 3 --lr-schedule cosine | tail -1 | grep -qE ' lr [0-9.e-]+e-0[4-9]|lr 0\\.000'"
check "--lr-schedule with a literal lr exits 2 and says why" sh -c "'$BPC' train lit.bp --in x=d/x.npy,y=d/y.npy --lr-schedule cosine 2>&1 >/dev/null | grep -q 'rank-0 input' && ! '$BPC' train lit.bp --in x=d/x.npy,y=d/y.npy --lr-schedule cosine >/dev/null 2>&1"
check "--lr-schedule bogus exits 2" expect_exit 2 "$BPC" train cls.bp $T --lr-schedule linear
# 5. checkpoints: the whole training state, resumed bit for bit
"$BPC" train cls.bp $T --epochs 4 --save four >/dev/null 2>&1
"$BPC" train cls.bp $T --epochs 2 --save two >/dev/null 2>&1
check "a checkpoint holds params, optimizer state and a manifest" sh -c "[ -f two/W.npy ] && [ -f two/W_m.npy ] && [ -f two/b_v.npy ] && grep -q '\"epoch\": 2' two/manifest.json && grep -q '\"step\": 12' two/manifest.json"
check "--resume continues from epoch 3" sh -c "'$BPC' train cls.bp $T --epochs 4 --resume two --save resumed >res.txt 2>/dev/null && head -1 res.txt | grep -q '^epoch 3/4'"
check "2 + 2 epochs equal 4 epochs bit for bit" diff -r four resumed
check "--resume a finished run exits 2" expect_exit 2 "$BPC" train cls.bp $T --epochs 2 --resume two
check "--resume a folder without a manifest exits 1" sh -c "mkdir -p bare && cp two/*.npy bare/ && '$BPC' train cls.bp $T --epochs 4 --resume bare 2>&1 >/dev/null | grep -q manifest.json"
check "--resume with another model's checkpoint exits 1" sh -c "sed 's/W/V/g' lit.bp > other.bp && '$BPC' train other.bp --in x=d/x.npy,y=d/y.npy --epochs 4 --resume two >/dev/null 2>&1; [ \$? = 1 ]"
# 6. eval, predict, run --load
check "eval reports loss, accuracy, confusion" sh -c "'$BPC' eval cls.bp --load four --in x=v/x.npy,y=v/y.npy >e.txt && grep -q '^accuracy ' e.txt && grep -q '^confusion matrix' e.txt && grep -qE '^loss +[0-9.]+' e.txt && grep -q '^examples   30' e.txt"
check "eval's confusion matrix sums to the examples" sh -c "sed -n '/^confusion/,\$p' e.txt | tail -3 | awk '{for(i=2;i<=NF;i++) s+=\$i} END{exit s!=30}'"
check "eval without --load exits 2" expect_exit 2 "$BPC" eval cls.bp --in x=v/x.npy,y=v/y.npy
check "eval and predict need no value for the learning rate" sh -c "grep -q '^accuracy' e.txt"
check "eval without labels exits 2" expect_exit 2 "$BPC" eval cls.bp --load four --in x=v/x.npy
check "predict needs no labels and writes the outputs" sh -c "'$BPC' predict cls.bp --load four --in x=v/x.npy --out p >/dev/null && [ -f p/scores.npy ] && [ ! -e p/loss.npy ]"
check "predict = run --load, bit for bit" sh -c "'$BPC' run cls.bp --load four --in x=v/x.npy,y=v/y.npy --set lr=0 --out r >/dev/null && cmp p/scores.npy r/scores.npy"
check "run --load uses the trained params" sh -c "! cmp -s r/scores.npy v/scores.npy"
check "predict without --out exits 2" expect_exit 2 "$BPC" predict cls.bp --load four --in x=v/x.npy
check "--load of a missing folder exits 1" expect_exit 1 "$BPC" predict cls.bp --load nowhere --in x=v/x.npy --out p2
# 7. train steps with denormals flushed to zero (a converged softmax's e^-90
# took bpc bench's batch-1 step from 0.07 to 0.66 ms): the gradient of w is
# the input, 1e-38, a denormal, so one sgd step leaves w at zero; with
# denormals kept it is -1e-38 (bits 806ce3ee)
printf 'dim N\ninput x[N]\nparam w[1]\nloss = sum(x * w)\noptimize loss with sgd(lr = 1)\n' > dz.bp
printf '\223NUMPY\001\000\166\000%-117s\n\356\343\154\000' "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" > tiny.npy
check "train flushes denormals to zero" sh -c "'$BPC' train dz.bp --in x=tiny.npy --batch 1 --epochs 1 --save dz >/dev/null && od -An -tx4 -j128 dz/w.npy | grep -qxE ' *(00000000|80000000)'"
check "run keeps them: the gradient of w is 1e-38" sh -c "'$BPC' run dz.bp --in x=tiny.npy --set N=1 --out dzr >/dev/null && od -An -tx4 -j128 dzr/w_grad.npy | grep -qx ' *006ce3ee'"
finish
