#!/usr/bin/env bash
# Golden diagnostics: `bpc check NAME.bp` must print exactly NAME.expect
# (stderr, then the exit status). UPDATE=1 rewrites the .expect files; review
# the diff before committing them.
set -u
bpc=$1
cd "$(dirname "$0")"
pass=0 fail=0
for bp in *.bp; do
    want=${bp%.bp}.expect
    got=$("$bpc" check "$bp" 2>&1 >/dev/null; echo "[exit $?]")
    if [ "${UPDATE:-0}" = 1 ]; then
        printf '%s\n' "$got" > "$want"
    fi
    if [ -f "$want" ] && [ "$got" = "$(cat "$want")" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $bp"
        diff <(printf '%s\n' "$got") "$want" | head -20
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
