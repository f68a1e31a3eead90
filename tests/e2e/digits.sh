#!/usr/bin/env bash
# The README's digits workflow, end to end: export scikit-learn's digits,
# train with validation, eval, predict, then classify in a C program built
# from the generated code and the saved params. Validation accuracy >= 97 %.
# Exit 77 (CTest: skipped) without scikit-learn / NumPy.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
EX="$SRC/examples/digits"
/usr/bin/python3 "$EX/export_digits.py" data >export.txt 2>&1
rc=$?
if [ $rc = 77 ] || ! [ -x /usr/bin/python3 ]; then
    echo "skipped: the digits workflow needs /usr/bin/python3 with scikit-learn and NumPy (Debian: python3-sklearn python3-numpy)"
    exit 77
fi
check "export_digits.py writes a 1437/360 split" grep -q "1437 training and 360 test" export.txt
check "train" sh -c "'$BPC' train '$EX/digits.bp' --in x=data/x_train.npy,y=data/y_train.npy --val x=data/x_test.npy,y=data/y_test.npy --set lr=0.01 --epochs 20 --batch 32 --lr-schedule cosine --seed 1 --save ck --plot curves.svg >train.txt 2>&1"
check "validation accuracy >= 97 %" sh -c "tail -1 train.txt | grep -q '^epoch 20/20' && tail -1 train.txt | awk '{for(i=1;i<NF;i++) if(\$i==\"val_acc\") v=\$(i+1)+0} END{exit !(v >= 97)}'"
check "eval" sh -c "'$BPC' eval '$EX/digits.bp' --load ck --in x=data/x_test.npy,y=data/y_test.npy >eval.txt"
check "eval's accuracy is the last epoch's val_acc" sh -c "a=\$(awk '/^accuracy/{print \$2}' eval.txt); tail -1 train.txt | grep -q \"val_acc \$a\""
check "predict" sh -c "'$BPC' predict '$EX/digits.bp' --load ck --in x=data/x_test.npy --out pred >/dev/null && [ -f pred/scores.npy ]"
check "the generated C" "$BPC" "$EX/digits.bp" -o digits.c
check "classify.c builds warning-free" cc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -I. -o classify "$EX/classify.c" digits.c -lm
check "classify (embedded, through digits_predict) agrees with eval" sh -c "./classify ck data/x_test.npy data/y_test.npy >c.txt && a=\$(awk '/^accuracy/{print \$2}' eval.txt) && grep -q \"^accuracy \$a\" c.txt"
finish
