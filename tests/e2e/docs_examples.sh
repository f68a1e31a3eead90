#!/bin/bash
# docs_examples.sh BPC SRC: every ```bp block of docs/language.md is a complete
# program. A plain ```bp block must pass `bpc check` silently (exit 0, no
# warning); a ```bp error
# block must be rejected with exit status 1 and an "error:" diagnostic; any
# other marker is a failure.
source "$(dirname "$0")/lib.sh"
DOC=$SRC/docs/language.md

# Split the doc into WORK/block_NNN.bp files, one line in WORK/index per block:
# "NNN MARKER LINE" (MARKER is ok or error).
awk -v dir="$WORK" '
    /^```bp( .*)?$/ && !inblock {
        inblock = 1; n++
        marker = $2 == "" ? "ok" : $2 == "error" ? "error" : "unknown:" $2
        file = sprintf("%s/block_%03d.bp", dir, n)
        printf "" > file
        printf "%03d %s %d\n", n, marker, NR + 1 >> (dir "/index")
        next
    }
    /^```/ && inblock { inblock = 0; close(file); next }
    inblock { print >> file }
' "$DOC"

# A clean program: exit 0 and not a word (no warning either).
expect_clean() {
    local out
    out=$("$BPC" check "$1" 2>&1) || { echo "$out"; return 1; }
    [ -z "$out" ] || { echo "$out"; return 1; }
}

expect_error() {
    local out
    out=$("$BPC" check "$1" 2>&1)
    local rc=$?
    [ "$rc" = 1 ] && grep -q "error:" <<<"$out"
}

[ -s "$WORK/index" ] || { echo "FAIL: no \`\`\`bp blocks found in $DOC"; exit 1; }
while read -r n marker line; do
    name="docs/language.md:$line (block $n)"
    case $marker in
    ok) check "$name: bpc check passes silently" expect_clean "$WORK/block_$n.bp" ;;
    error) check "$name: bpc check rejects it with exit 1" expect_error "$WORK/block_$n.bp" ;;
    *) check "$name: known marker ($marker)" false ;;
    esac
done <"$WORK/index"
finish
