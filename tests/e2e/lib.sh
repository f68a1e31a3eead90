# Shared by the e2e scripts: `check NAME CMD...` runs a check and counts it;
# `finish` prints the summary line and sets the exit status.
set -u
BPC=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
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

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
}
