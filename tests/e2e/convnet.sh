#!/usr/bin/env bash
# examples/convnet end to end: export scikit-learn's digits as [N, 1, 8, 8]
# images, train the CS231n three-layer convnet with bpc train, eval it.
# Validation accuracy >= 97 % on the held-out 20 %. Exit 77 (CTest: skipped)
# without scikit-learn / NumPy.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
EX="$SRC/examples/convnet"
/usr/bin/python3 "$SRC/examples/digits/export_digits.py" data >export.txt 2>&1
rc=$?
if [ $rc = 77 ] || ! [ -x /usr/bin/python3 ]; then
    echo "skipped: the convnet example needs /usr/bin/python3 with scikit-learn and NumPy (Debian: python3-sklearn python3-numpy)"
    exit 77
fi
check "to_images.py reshapes to [N, 1, 8, 8]" /usr/bin/python3 "$EX/to_images.py" data
check "train" sh -c "'$BPC' train '$EX/convnet.bp' --in x=data/x_train.npy,y=data/y_train.npy --val x=data/x_test.npy,y=data/y_test.npy --set lr=0.02 --epochs 20 --batch 32 --lr-schedule cosine --seed 1 --save ck >train.txt 2>&1"
check "validation accuracy >= 97 %" sh -c "tail -1 train.txt | grep -q '^epoch 20/20' && tail -1 train.txt | awk '{for(i=1;i<NF;i++) if(\$i==\"val_acc\") v=\$(i+1)+0} END{exit !(v >= 97)}'"
check "eval" sh -c "'$BPC' eval '$EX/convnet.bp' --load ck --in x=data/x_test.npy,y=data/y_test.npy >eval.txt"
check "eval's accuracy is the last epoch's val_acc" sh -c "a=\$(awk '/^accuracy/{print \$2}' eval.txt); tail -1 train.txt | grep -q \"val_acc \$a\""
finish
