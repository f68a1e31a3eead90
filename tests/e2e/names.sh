#!/usr/bin/env bash
# Hostile names (SPEC §1): any identifier the grammar accepts is a valid name,
# whatever C, libc or the generated code call their own things. For a long list
# of names (C keywords, libc/libm functions, header and predefined macros,
# reserved identifiers, and every identifier bpc itself generates) in every role
# (dim, input, label input, param, binding, output, def name, def param, grad
# target and optimizer hyperparameter input), either bpc rejects the name with
# a diagnostic that says why (exit 1), or the generated C compiles warning-free
# (gcc -std=c99 -pedantic, gcc in GNU mode, clang, tcc) and `bpc run` (tcc and
# cc JIT) gives the same numbers as the same model with plain names.
# Names are batched: one model per role holds every name; a failing batch is
# retried name by name to say which names break. NAMES_VERBOSE=1 lists them.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
STRICT="-std=c99 -Wall -Wextra -pedantic -Werror"
# the cc JIT's compiler, at -O0: the batches are large and -O3 would take minutes
printf '#!/bin/sh\nfor a; do shift; [ "$a" = -O3 ] && a=-O0; set -- "$@" "$a"; done\nexec gcc "$@"\n' > cc0
chmod +x cc0
export BPC_CC=$WORK/cc0
P=hm
broken=0

static_names="
auto break case char const continue default do double else enum extern float for goto if long register
return short signed sizeof static struct switch typedef union unsigned void volatile while inline restrict
_Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local _BitInt
bool true false alignas alignof constexpr nullptr static_assert thread_local typeof typeof_unqual asm
expf exp logf log sqrt sqrtf tanh tanhf fabs fabsf abs pow powf fma fmaf fmax fmaxf fmin erf erff cos sin
memset memcpy memmove memcmp strlen printf malloc free exit abort main j0 j1 y0 y1 jn gamma signgam
isnan isinf isfinite signbit fpclassify isgreater offsetof unreachable strdupa
size_t int64_t int32_t uint64_t uintptr_t ptrdiff_t intptr_t int8_t uint8_t wchar_t float_t double_t max_align_t
INT64_MAX INT64_MIN INT32_MIN INT8_C UINT64_C INTMAX_C SIZE_MAX UINT64_MAX INTPTR_MAX PTRDIFF_MAX WCHAR_MAX
INT16_WIDTH HUGE_VAL HUGE_VALF HUGE_VALL NAN INFINITY NULL M_PI M_E M_SQRT2 M_PIf MAXFLOAT FP_NAN FP_ZERO
FP_ILOGB0 MATH_ERRNO math_errhandling SNAN HUGE DOMAIN EOF RAND_MAX errno stdin assert
linux unix i386 sun mips __LINE__ __FILE__ __STDC__ __DATE__ __func__ __x _X __GNUC__ __COUNTER__ _x x_
io ws base off rc i j k n m p a b c d r o s t u v x y z e f g h w i0 i1 i2 i3 t0 t1 t12 v0 v3 v_ t_ l0 l1 l12 lo hi slot
acc part whole row mx sum inv lse lab sy count scale sz total lim gi lr mu beta1 beta2 eps c1 c2 seed
real step alpha beta lda ldb ldc ta tb A B C
BP_OK BP_EDIM BP_ENULL BP_ELABEL BP_F32 BP_F64 BP_DIM BP_INPUT BP_STATE BP_COMMON_DEFINED
bp_tensor_info bp_role bp_dtype bp_error bp_sgemm bp_dgemm bp_s_gemm bp_d_gemm bp_s_softmax cblas_sgemm bpc_p_sgemm bpc_x
BPK BPK_REAL BPK_EXP BPK_SQRT BPK_STATIC BPK_DECLARE BPK_BODY BPK_GEMM_MR BPK_GEMM_MADD BPK_GEMM_PEEL
${P}_io ${P}_gemm ${P}_fits ${P}_layout ${P}_dims_check ${P}_forward ${P}_forward_check ${P}_forward_run
${P}_backward ${P}_backward_run ${P}_grad ${P}_step ${P}_init ${P}_rng ${P}_uniform ${P}_normal ${P}_dot
${P}_epilogue ${P}_xent_grad ${P}_sgd ${P}_adam ${P}_momentum ${P}_tensors ${P}_num_tensors ${P}_strerror
${P}_workspace_size ${P}_BPC_H ${P}_ ${P} ${P}0_io ${P}0_gemm ${P}0_BPC_H
"
# every identifier in the C bpc generates (drift in the emitter shows up here)
harvested=$(for m in "$SRC"/examples/*.bp "$SRC"/tests/models/*.bp; do
    for mode in "" "--gemm runtime" "--gemm blas --dtype f64"; do "$BPC" "$m" --name $P --emit=c $mode; done
done | perl -0pe 's{/\* support kernels.*?#undef BPK_SQRT}{}gs; s{/\*.*?\*/}{}gs; s{"(\\.|[^"\\])*"}{}g; s{#\s*include.*}{}g' |
    grep -o '\b[A-Za-z_][A-Za-z0-9_]*\b' | grep -Ev '^[tv][0-9]{2,}$')
# (the support kernels' own locals are out of every user name's scope)
# the grammar's keywords are not identifiers; the builtins the models here call
# would be shadowed (a language matter, not C's); q* names are this test's own
names=$(printf '%s\n' $static_names $harvested | sort -u |
    grep -Ev '^(dim|input|param|def|output|grad|wrt|optimize|with|int|relu|sum|mean|cross_entropy|q.*|Q.*)$')
nnames=$(echo "$names" | wc -l)

# decl and term of NAME in ROLE (K numbers the helpers); sets DECL TERM SET
snippet() {
    local role=$1 z=$2 k=$3
    SET=""
    case $role in
    dim) DECL="dim $z"$'\n'"input qd$k[$z, 3]"; TERM="sum(qd$k * qd$k)"; SET="--set $z=2" ;;
    input) DECL="input $z[QN, 3]"; TERM="sum($z * qh)" ;;
    label) DECL="input $z[QN] : int"; TERM="cross_entropy(qh, $z)" ;;
    param) DECL="param $z[3] ~ normal(0.5)"; TERM="sum(relu(qh + $z))" ;;
    binding) DECL="$z = relu(qx @ qW)"; TERM="sum($z * $z) + mean($z)" ;;
    output) DECL="$z = qx @ qW + 1"$'\n'"output $z"; TERM="mean($z)" ;;
    defname) DECL="def $z(a) = relu(a) * 2"; TERM="sum($z(qx @ qW))" ;;
    defparam) DECL="def qf$k($z) = relu($z) * 2"; TERM="sum(qf$k(qx @ qW))" ;;
    esac
}

# model ROLE NAME...: every name in ROLE, each adding a term to the loss
model() {
    local role=$1 k=0 prev=qs0; shift
    SETS="--set QN=3"
    printf 'dim QN\ninput qx[QN, 4]\ninput qy[QN] : int\nparam qW[4, 3] ~ normal(0.5)\n'
    printf 'qh = qx @ qW\nqs0 = cross_entropy(qh, qy)\n'
    for z in "$@"; do
        k=$((k + 1))
        snippet "$role" "$z" "$k"
        printf '%s\nqs%d = %s + %s\n' "$DECL" "$k" "$prev" "$TERM"
        prev=qs$k
        SETS="$SETS $SET"
    done
    printf 'qloss = %s\ngrad qloss\n' "$prev"
}

# optimizer models: names in groups of five (target, lr, beta1, beta2, eps)
opt_model() {
    printf 'dim QN\ninput qx[QN, 4]\ninput qy[QN] : int\nparam qW[4, 3] ~ normal(0.5)\n'
    printf 'input %s\ninput %s\ninput %s\ninput %s\n%s = cross_entropy(qx @ qW, qy)\n' "$2" "$3" "$4" "$5" "$1"
    printf 'optimize %s with adam(lr = %s, beta1 = %s, beta2 = %s, eps = %s)\n' "$1" "$2" "$3" "$4" "$5"
    SETS="--set QN=3"
}

plain_names() { local k=0; for z in "$@"; do k=$((k + 1)); printf 'zq%d\n' $k; done; }

# numbers of `bpc run` (the name column dropped)
# (the note listing inputs filled with random data names them: left out)
numbers() { "$BPC" run "$@" 2>&1 | grep -v '^bpc: note: no --in for' | awk '{ $1 = ""; print }'; }

# plain_numbers PLAIN PSETS [opts]: numbers of the plain model, run once per distinct
# model text and options (the plain models of equal-sized batches, and of every
# optimizer group, are the same program)
mkdir -p plain_runs
plain_numbers() {
    local pf=$1 psets=$2; shift 2
    local key
    key=$( { cat "$pf"; echo "$psets $*"; } | md5sum | cut -c1-32)
    [ -f "plain_runs/$key" ] || numbers "$pf" $psets "$@" > "plain_runs/$key"
    cat "plain_runs/$key"
}

# run_same FILE PLAIN SETS PSETS [opts]: bpc run of FILE and of PLAIN agree
run_same() {
    local f=$1 pf=$2 sets=$3 psets=$4; shift 4
    local a b
    a=$(numbers "$f" $sets "$@")
    b=$(plain_numbers "$pf" "$psets" "$@")
    if [ "$a" != "$b" ]; then echo "bpc run $* differs from the plain model:"; diff <(echo "$a") <(echo "$b") | head -6; return 1; fi
}

# compiled TAG FILE.c: the four compilers accept it without a warning
compiled() {
    local c=$2 cc
    for cc in "gcc $STRICT -fsyntax-only" "gcc -Wall -Wextra -Werror -fsyntax-only" "clang $STRICT -fsyntax-only" \
              "tcc -Wall -Werror -c -o $c.o"; do
        $cc "$c" > cc.log 2>&1 || { echo "$cc: $1"; head -5 cc.log; return 1; }
    done
}

# works ROLE NAME...: the accepted names' model compiles and runs as the plain one
# (QUICK=1: the fast checks only, for telling which name of a failing batch breaks)
works() {
    local role=$1; shift
    model "$role" "$@" > w.bp; local sets=$SETS
    model "$role" $(plain_names "$@") > p.bp; local psets=$SETS
    "$BPC" w.bp --name $P -o w.c || { echo "bpc -o failed"; return 1; }
    if [ "${QUICK:-0}" = 1 ]; then
        gcc $STRICT -fsyntax-only w.c && gcc -Wall -Wextra -Werror -fsyntax-only w.c && tcc -Wall -Werror -c w.c -o w.o &&
            run_same w.bp p.bp "$sets" "$psets"
        return
    fi
    # (the sanitized run asks bpc, not the compilers: lib.sh's cc_run)
    cc_run compiled "$role" w.c || return 1
    "$BPC" w.bp --name $P -o w2.c --gemm runtime --dtype f64 && cc_run gcc $STRICT -fsyntax-only w2.c ||
        { echo "--gemm runtime --dtype f64"; return 1; }
    "$BPC" w.bp --name $P -o w3.c -O0 && cc_run tcc -Wall -Werror -c w3.c -o w3.o || { echo "-O0 (tcc)"; return 1; }
    run_same w.bp p.bp "$sets" "$psets" || return 1
    [ "${CCJIT:-1}" = 0 ] || run_same w.bp p.bp "$sets" "$psets" --jit cc || return 1
}

# why_ok MSG: a rejection says why
why_ok() { echo "$1" | grep -Eq "keyword|macro|reserved|builtin|declared|bound|two fields|cannot"; }

# screen ROLE NAME...: drop the names bpc rejects (checking each says why); ACCEPTED gets the rest
screen() {
    local role=$1; shift
    local -a cand=("$@")
    local iter
    for iter in $(seq 60); do
        model "$role" "${cand[@]}" > s.bp
        "$BPC" check s.bp --name $P > /dev/null 2> s.err
        local rc=$?
        [ $rc = 0 ] && break
        if [ $rc != 1 ]; then echo "FAIL: $role: bpc check exit $rc"; head -5 s.err; fail=$((fail + 1)); break; fi
        local drop=() line z
        while IFS= read -r line; do
            z=$(echo "$line" | sed -n "s/^[^']*'\([A-Za-z0-9_]*\)'.*/\1/p")
            if [ -n "$z" ] && printf '%s\n' "${cand[@]}" | grep -qx -- "$z"; then
                if why_ok "$line"; then pass=$((pass + 1)); else echo "FAIL: $role $z: rejected without a reason: $line"; fail=$((fail + 1)); fi
                drop+=("$z")
                rejected=$((rejected + 1))
            fi
        done < <(grep ': error: ' s.err)
        if [ ${#drop[@]} = 0 ]; then echo "FAIL: $role: errors that name no candidate"; head -5 s.err; fail=$((fail + 1)); break; fi
        cand=($(printf '%s\n' "${cand[@]}" | grep -vxF -f <(printf '%s\n' "${drop[@]}")))
    done
    ACCEPTED=("${cand[@]}")
}

rejected=0
for role in ${NAMES_ROLES:-dim input label param binding output defname defparam}; do
    screen $role $names
    # models of CHUNK names: compile time grows faster than a function's length
    set -- "${ACCEPTED[@]}"
    ccjit=1   # the cc JIT (gcc at -O0 here) on the first model of each role
    while [ $# -gt 0 ]; do
        chunk=("${@:1:${CHUNK:-60}}")
        shift ${#chunk[@]}
        if CCJIT=$ccjit works $role "${chunk[@]}" > works.log 2>&1; then
            ccjit=0
            pass=$((pass + 1))
            continue
        fi
        # name by name, to say which break
        nb=0
        for z in "${chunk[@]}"; do
            if ! QUICK=1 works $role "$z" > one.log 2>&1; then
                nb=$((nb + 1)); broken=$((broken + 1))
                [ "${NAMES_VERBOSE:-0}" = 1 ] && { echo "broken: $role $z"; head -3 one.log; }
            fi
        done
        echo "FAIL: $role: $nb of ${#chunk[@]} accepted names (${chunk[0]} ...) break the generated C or bpc run"
        head -10 works.log
        fail=$((fail + 1))
    done
done

# the grad target and the optimizer's hyperparameter inputs: five names a model,
# every model's C in one translation unit per compiler
set -- $names
g=0
: > all.c
optfail=0
while [ $# -gt 0 ]; do
    g=$((g + 1))
    grp=("$1" "${2:-zr2}" "${3:-zr3}" "${4:-zr4}" "${5:-zr5}")
    shift $(( $# < 5 ? $# : 5 ))
    for iter in 1 2 3 4 5 6; do
        opt_model "${grp[@]}" > o$g.bp
        "$BPC" check o$g.bp --name $P$g > /dev/null 2> o.err && break
        for s in 0 1 2 3 4; do
            if grep ': error: ' o.err | grep -q "'${grp[$s]}'"; then
                why_ok "$(grep "'${grp[$s]}'" o.err | head -1)" || { echo "FAIL: optimizer ${grp[$s]}: no reason"; fail=$((fail + 1)); }
                rejected=$((rejected + 1))
                grp[$s]=zp$s
            fi
        done
    done
    opt_model zp0 zp1 zp2 zp3 zp4 > po$g.bp
    if ! "$BPC" o$g.bp --name $P$g -o o$g.c; then echo "FAIL: optimizer ${grp[*]}: bpc -o"; fail=$((fail + 1)); continue; fi
    echo "#include \"o$g.c\"" >> all.c
    # bpc run needs a value for every rank-0 input (docs/cli.md)
    hyper() { echo "--set $1=0.01 --set $2=0.9 --set $3=0.999 --set $4=1e-8"; }
    if ! run_same o$g.bp po$g.bp "$SETS $(hyper "${grp[@]:1}")" "$SETS $(hyper zp1 zp2 zp3 zp4)"; then
        echo "FAIL: optimizer ${grp[*]}: bpc run differs"; fail=$((fail + 1)); broken=$((broken + 1))
    fi
done
if cc_run compiled optimizer all.c > works.log 2>&1; then
    pass=$((pass + 1))
else
    for c in o*.c; do compiled optimizer "$c" > one.log 2>&1 || { broken=$((broken + 1)); echo "FAIL: optimizer $c: $(sed -n 5p "${c%.c}.bp")"; head -3 one.log; }; done
    fail=$((fail + 1))
fi

# A name used inside a for-loop's body, where the loop's counter (l0) and every
# internal name are in scope too: rnn.bp with Wh renamed. (A param named l0 was
# not renamed: the loop's counter shadowed it and the C did not compile.)
loop_name() {
    sed "s/\bWh\b/$1/g" "$SRC/tests/models/rnn.bp" > loopname.bp
    "$BPC" loopname.bp -o loopname.c && gcc $STRICT -fsyntax-only loopname.c || return 1
    run_same loopname.bp "$SRC/tests/models/rnn.bp" "--set N=3 --set T=4" "--set N=3 --set T=4"
}
for z in l0 l1 lo hi i0 r row acc t0 v0; do
    check "a param named $z, read inside a for-loop: the C compiles and runs as with Wh" loop_name $z
done

echo "$nnames names; $rejected (name, role) pairs rejected with a reason; $broken broken"
finish
