"""prep.py OUT_DIR [TEXT]: a plain-text file as character windows for charlm.bp.

Characters map to ids 0..95: newline is 0, printable ASCII 32..126 is 1..95,
anything else becomes a space. Windows of T+1 characters start every STRIDE
characters; tok is the first T, nxt the last T (the next character of each).
The last 10 % of the text is held out (tok_val, nxt_val)."""
import os
import sys
import numpy as np

T, STRIDE = 32, 8


def encode(text):
    ids = [0 if c == "\n" else (ord(c) - 31 if 32 <= ord(c) <= 126 else 1) for c in text]
    return np.array(ids, dtype=np.int32)


def windows(ids):
    starts = np.arange(0, len(ids) - T - 1, STRIDE)
    idx = starts[:, None] + np.arange(T + 1)[None, :]
    w = ids[idx]
    return np.ascontiguousarray(w[:, :T]), np.ascontiguousarray(w[:, 1:])


def main():
    out = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/common-licenses/GPL-3"
    ids = encode(open(src, encoding="utf-8", errors="replace").read())
    cut = int(len(ids) * 0.9)
    os.makedirs(out, exist_ok=True)
    for name, part in (("", ids[:cut]), ("_val", ids[cut:])):
        tok, nxt = windows(part)
        np.save(os.path.join(out, "tok%s.npy" % name), tok)
        np.save(os.path.join(out, "nxt%s.npy" % name), nxt)
        print("%s: %d windows of %d characters" % ("train" if not name else "val", len(tok), T))


if __name__ == "__main__":
    main()
