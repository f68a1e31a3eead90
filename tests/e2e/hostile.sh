#!/usr/bin/env bash
# Hostile input: each file gets a located error (exit 1) — never a crash, a
# hang or unbounded memory. Memory is capped with ulimit, time with timeout.
. "$(dirname "$0")/lib.sh"
cd "$WORK"

# A memory cap, except under AddressSanitizer (it reserves terabytes of address space).
cap() { [ "$SANITIZED" = 1 ] || ulimit -v 2000000; }

# rejected: exit 1 within 20 s and 2 GB, and the first line is file:line:col: error
rejected() {
    local f=$1
    (cap; timeout 20 "$BPC" check "$f" 2> err.txt)
    [ $? = 1 ] && head -1 err.txt | grep -qE "^$f(:[0-9]+:[0-9]+)?: error: "
}

head -c 200000 /dev/urandom > garbage.bp
printf 'x = 1\0 + 2\ny = 3\n' > nul.bp
printf 'input x[3]\ny = x + \xc3\x28 + \xff\xfe\n' > utf8.bp
{ printf 'input x[3]\ny = x'; head -c 10000000 /dev/zero | tr '\0' ' '; printf ' + z\n'; } > long_line.bp
{ printf 'input x[3]\ny = '; head -c 100000 /dev/zero | tr '\0' '('; printf x; head -c 100000 /dev/zero | tr '\0' ')'; echo; } > parens.bp
{ printf 'input x[3]\ny = x'; for i in $(seq 1 20000); do printf ' + x + x + x + x + x + x + x + x + x + x'; done; printf '\n'; } > terms.bp
{ printf 'input x[3]\ny = '; head -c 100000 /dev/zero | tr '\0' '-'; printf 'x\n'; } > minus.bp
{ printf 'input x[3]\ny = x'; for i in $(seq 1 5000); do printf ' ** 2'; done; printf '\n'; } > powers.bp
printf 'dim N = 10**30\ninput x[N]\n' > huge_dim.bp
printf 'dim A = 1099511627776, B = 1099511627776\ninput x[A, B]\n' > overflow.bp
{ printf 'def f0(a) = a * 2 + 1\n'; for i in $(seq 1 40); do printf 'def f%d(a) = f%d(a) + f%d(a)\n' $i $((i - 1)) $((i - 1)); done; printf 'input x[3]\ny = f40(x)\n'; } > expansion.bp
printf 'input x[3]\n%s\n' "$(for i in $(seq 1 3000); do printf 'y%d = x +\n' $i; done)" > unfinished.bp

for f in garbage nul utf8 long_line parens terms minus powers huge_dim overflow expansion unfinished; do
    check "$f.bp is rejected with a location" rejected $f.bp
done
# a large valid program gets a result
{ printf 'input x[3]\ny0 = x\n'; for i in $(seq 1 20000); do printf 'y%d = y%d * 0.5 + x\n' $i $((i - 1)); done; printf 'output y20000\n'; } > big.bp
check "a 20000-statement program compiles" bash -c "$(declare -f cap); BPC='$BPC'; SANITIZED=$SANITIZED; cap; timeout 60 '$BPC' big.bp -o big.c && [ -s big.c ]"
finish
