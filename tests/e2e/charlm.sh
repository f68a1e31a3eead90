#!/usr/bin/env bash
# examples/charlm end to end, small: the character transformer trained for 2
# epochs on the first 8 KB of a GPL text (prep.py), its validation loss well
# below the uniform guess ln(96) = 4.56; the generated C with sample.c built
# warning-free and sampling text from the checkpoint. Exit 77 (skipped)
# without NumPy or the text.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
EX="$SRC/examples/charlm"
TEXT=/usr/share/common-licenses/GPL-3
if ! [ -r "$TEXT" ] || ! /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    echo "skipped: the charlm example needs $TEXT and /usr/bin/python3 with NumPy"
    exit 77
fi
head -c 8192 "$TEXT" > text.txt
check "prep.py makes windows" sh -c "/usr/bin/python3 '$EX/prep.py' data text.txt >prep.txt && grep -q '^train: ' prep.txt"
check "train 2 epochs" sh -c "'$BPC' train '$EX/charlm.bp' --in tok=data/tok.npy,nxt=data/nxt.npy --val tok=data/tok_val.npy,nxt=data/nxt_val.npy --set lr=0.003 --epochs 2 --batch 32 --seed 1 --jit cc --save ck >train.txt 2>&1"
check "validation loss below 3.3 (ln 96 = 4.56)" sh -c "tail -1 train.txt | awk '{for(i=1;i<NF;i++) if(\$i==\"val_loss\") v=\$(i+1)+0} END{exit !(v > 0 && v < 3.3)}'"
check "the generated C" "$BPC" "$EX/charlm.bp" -o charlm.c
check "sample.c builds warning-free" gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -I. -o sample "$EX/sample.c" charlm.c -lm
check "sample prints text from the checkpoint" sh -c "./sample ck 120 7 >out.txt && [ \$(wc -c <out.txt) -gt 150 ]"
check "sample refuses a missing checkpoint" sh -c "! ./sample nowhere 10 2>err.txt && grep -q 'nowhere/' err.txt"
finish
