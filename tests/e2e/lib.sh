# Shared by the e2e scripts: `check NAME CMD...` runs a check and counts it;
# `finish` prints the summary line and sets the exit status.
set -u
BPC=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# bpc's temporary files (the JIT's private folders, and through them the
# compiler's) go in a folder of the script's own, which finish checks is empty:
# bpc leaves nothing behind unless killed (a script that kills bpc with SIGKILL
# sets TMP_LEFT_OK=1 before finish).
mkdir "$WORK/TMPDIR"
export TMPDIR="$WORK/TMPDIR"
pass=0 fail=0

check() {
    local name=$1; shift
    if "$@" >"$WORK/out" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name"
        head -20 "$WORK/out"
    fi
}

# expect_exit CODE CMD...: the command exits with CODE
expect_exit() {
    local want=$1; shift
    "$@" >/dev/null 2>&1
    [ $? = "$want" ]
}

# SANITIZED=1 when bpc is an ASan+UBSan build. That run looks for bpc's own
# memory errors and undefined behaviour; the C it generates is the same bytes
# as the release build's (bpc's output does not depend on how bpc was built),
# so the compilers' verdict on that C is asked once, in the release run:
# `cc_run CMD...` runs CMD there and succeeds here; `cc_check NAME CMD...` is
# `check` there and does nothing here.
SANITIZED=0
grep -q __asan_init "$BPC" 2>/dev/null && SANITIZED=1
cc_run() {
    [ "$SANITIZED" = 1 ] || "$@"
}
cc_check() {
    [ "$SANITIZED" = 1 ] || check "$@"
}

finish() {
    local left
    left=$(ls -A "$WORK/TMPDIR" | head -5)
    if [ -n "$left" ] && [ "${TMP_LEFT_OK:-0}" != 1 ]; then
        fail=$((fail + 1))
        echo "FAIL: bpc left files in TMPDIR:" $left
    fi
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
}

# san_flags LIBBPRT: SAN=(...) the flags a host linked with LIBBPRT needs: an
# ASan+UBSan build's libbprt needs their runtimes (as tests/ref/harness.py does),
# and the host then builds at -O1 (after CFLAGS: the last -O wins), as ASan's
# documentation advises: gcc -O2 -march=native with ASan takes 40-100 s per model
# on the AVX-512 GEMM tile (the mlp: 43 s, the transformer block: 98 s; -O1: 3-5 s).
san_flags() {
    SAN=()
    nm "$1" 2>/dev/null | grep -q '__asan_\|__ubsan_' && SAN=(-fsanitize=address,undefined -O1)
}
