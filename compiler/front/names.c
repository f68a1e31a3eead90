/* names: the identifiers C, the four headers, the compilers and the
 * generated code claim, and what that means for a source name. */
#include <stdio.h>
#include <string.h>
#include "names.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

static bool in(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* C89 to C23, and the GNU keywords of gcc's default mode. */
static const char *const keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
    "_Complex", "_Imaginary", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
    "_Thread_local", "_BitInt", "_Decimal32", "_Decimal64", "_Decimal128", "bool", "true", "false", "alignas",
    "alignof", "constexpr", "nullptr", "static_assert", "thread_local", "typeof", "typeof_unqual", "asm",
};

/* Macros that are not reserved identifiers, by the header defining them. */
static const char *const stddef_macros[] = { "NULL" };
static const char *const math_macros[] = {
    "INFINITY", "NAN", "FP_NAN", "FP_INFINITE", "FP_ZERO", "FP_SUBNORMAL", "FP_NORMAL", "FP_FAST_FMA",
    "FP_FAST_FMAF", "FP_FAST_FMAL", "FP_ILOGB0", "FP_ILOGBNAN", "FP_LLOGB0", "FP_LLOGBNAN", "FP_INT_UPWARD",
    "FP_INT_DOWNWARD", "FP_INT_TOWARDZERO", "FP_INT_TONEARESTFROMZERO", "FP_INT_TONEAREST", "MATH_ERRNO",
    "MATH_ERREXCEPT", "math_errhandling", "MAXFLOAT", "HUGE", "DOMAIN", "SING", "OVERFLOW", "UNDERFLOW",
    "TLOSS", "PLOSS", "X_TLOSS",
};
static const char *const predefined[] = {
    "linux", "unix", "i386", "i486", "i586", "i686", "sun", "sparc", "mips", "vax", "pdp11", "m68k", "mc68000",
    "hppa", "hp9000", "ns32000", "sony", "ibm032", "u3b", "u370", "vms", "sgi", "host_mips", "MIPSEB", "MIPSEL",
    "R3000", "R4000", "ultrix", "mc68010", "mc68020", "sun3", "sun4", "sparclite",
};
/* Function-like macros: harmless as members (never followed by '('). */
static const char *const function_macros[] = {
    "offsetof", "unreachable", "fpclassify", "signbit", "isfinite", "isinf", "isnan", "isnormal", "isgreater",
    "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered", "iscanonical", "iseqsig",
    "issignaling", "issubnormal", "iszero", "strdupa", "strndupa",
};

/* The suffixes of glibc's typed variants: M_PIf, HUGE_VAL_F32, SNANF64X. */
static bool suffix_ok(const char *s, const char *const *sfx, size_t n)
{
    return *s == 0 || in(s, sfx, n);
}

static bool math_family(const char *s)
{
    static const char *const m_stems[] = { "E", "LOG2E", "LOG10E", "LN2", "LN10", "PI", "PI_2", "PI_4",
                                           "1_PI", "2_PI", "2_SQRTPI", "SQRT2", "SQRT1_2", "1_SQRTPI", "SQRT3",
                                           "1_SQRT3", "EGAMMA", "PHI" };
    static const char *const m_sfx[] = { "f", "l", "f16", "f32", "f64", "f128", "f32x", "f64x", "f128x" };
    static const char *const hv_sfx[] = { "F", "L", "_F16", "_F32", "_F64", "_F128", "_F32X", "_F64X", "_F128X" };
    static const char *const sn_sfx[] = { "F", "L", "F16", "F32", "F64", "F128", "F32X", "F64X", "F128X" };
    if (strncmp(s, "M_", 2) == 0)
        for (size_t i = 0; i < COUNT(m_stems); i++) {
            size_t len = strlen(m_stems[i]);
            if (strncmp(s + 2, m_stems[i], len) == 0 && suffix_ok(s + 2 + len, m_sfx, COUNT(m_sfx)))
                return true;
        }
    if (strncmp(s, "HUGE_VAL", 8) == 0 && suffix_ok(s + 8, hv_sfx, COUNT(hv_sfx)))
        return true;
    return strncmp(s, "SNAN", 4) == 0 && suffix_ok(s + 4, sn_sfx, COUNT(sn_sfx));
}

/* <stdint.h>: [U]INT{8,16,32,64}_{MIN,MAX,WIDTH,C}, the LEAST and FAST
 * kinds, INTPTR/INTMAX, and PTRDIFF, SIG_ATOMIC, SIZE, WCHAR, WINT limits.
 * *function: the _C constructors are function-like. */
static bool stdint_macro(const char *s, bool *function)
{
    static const char *const lim[] = { "MIN", "MAX", "WIDTH" };
    static const char *const other[] = { "PTRDIFF_", "SIG_ATOMIC_", "SIZE_", "WCHAR_", "WINT_" };
    *function = false;
    for (size_t i = 0; i < COUNT(other); i++)
        if (strncmp(s, other[i], strlen(other[i])) == 0)
            return in(s + strlen(other[i]), lim, COUNT(lim));
    if (*s == 'U')
        s++;
    if (strncmp(s, "INT", 3) != 0)
        return false;
    s += 3;
    if (strncmp(s, "PTR", 3) == 0 || strncmp(s, "MAX", 3) == 0) {
        s += 3;
    } else {
        if (strncmp(s, "_LEAST", 6) == 0 || strncmp(s, "_FAST", 5) == 0)
            s += s[1] == 'L' ? 6 : 5;
        size_t w = strspn(s, "0123456789");
        if (!(w == 1 && *s == '8') && !(w == 2 && (!strncmp(s, "16", 2) || !strncmp(s, "32", 2) || !strncmp(s, "64", 2))))
            return false;
        s += w;
    }
    if (*s++ != '_')
        return false;
    *function = strcmp(s, "C") == 0;
    return *function || in(s, lim, COUNT(lim));
}

static bool reserved(const char *s)
{
    return s[0] == '_' && (s[1] == '_' || (s[1] >= 'A' && s[1] <= 'Z'));
}

/* The object-like macro NAME is, as a phrase, or NULL. */
static const char *object_macro(const char *name, const char *prefix)
{
    bool function;
    if (in(name, stddef_macros, COUNT(stddef_macros)))
        return "a macro of <stddef.h>";
    if (stdint_macro(name, &function) && !function)
        return "a macro of <stdint.h>";
    if (in(name, math_macros, COUNT(math_macros)) || math_family(name))
        return "a macro of <math.h>";
    if (in(name, predefined, COUNT(predefined)))
        return "a macro that C compilers predefine (in GNU mode)";
    size_t n = strlen(prefix);
    if (strcmp(name, "BP_COMMON_DEFINED") == 0 || (strncmp(name, prefix, n) == 0 && strcmp(name + n, "_BPC_H") == 0))
        return "a macro of the generated header";
    return NULL;
}

const char *names_field_problem(const char *name, const char *prefix)
{
    if (in(name, keywords, COUNT(keywords)))
        return "a C keyword";
    if (reserved(name))
        return "reserved to the C implementation (it begins with '__' or '_' and a capital)";
    if (strncmp(name, "bp_", 3) == 0 || strncmp(name, "bpc_", 4) == 0)
        return "reserved to bpc's runtime (it begins with 'bp_' or 'bpc_')";
    return object_macro(name, prefix);
}

/* The functions of <math.h> (with f and l forms) and <string.h>. */
static bool libc_function(const char *s)
{
    static const char *const math[] = {
        "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "acosh", "asinh", "atanh", "cosh", "sinh", "tanh",
        "exp", "exp2", "expm1", "frexp", "ilogb", "ldexp", "log", "log10", "log1p", "log2", "logb", "modf",
        "scalbn", "scalbln", "cbrt", "fabs", "hypot", "pow", "sqrt", "erf", "erfc", "lgamma", "tgamma", "ceil",
        "floor", "nearbyint", "rint", "lrint", "llrint", "round", "lround", "llround", "trunc", "fmod",
        "remainder", "remquo", "copysign", "nan", "nextafter", "nexttoward", "fdim", "fmax", "fmin", "fma",
    };
    static const char *const string[] = {
        "memcpy", "memmove", "strcpy", "strncpy", "strcat", "strncat", "memcmp", "strcmp", "strcoll", "strncmp",
        "strxfrm", "memchr", "strchr", "strcspn", "strpbrk", "strrchr", "strspn", "strstr", "strtok", "memset",
        "strerror", "strlen", "main", "abs", "cblas_sgemm", "cblas_dgemm",
    };
    if (in(s, string, COUNT(string)))
        return true;
    char base[16];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof base)
        return false;
    memcpy(base, s, n + 1);
    if (in(base, math, COUNT(math)))
        return true;
    if (base[n - 1] != 'f' && base[n - 1] != 'l')
        return false;
    base[n - 1] = 0;
    return in(base, math, COUNT(math));
}

/* Every name the generated code declares inside a function body: loop
 * counters, kernel locals, the step's hyperparameters, init's seed state,
 * the rows [lo, hi) of a pass's function of rows (emit_rows.c) and a
 * convolution's slot of the scratch in one (emit_conv.c). */
static const char *const internal[] = {
    "io", "ws", "base", "off", "rc", "i", "j", "k", "b", "r", "o", "d", "s", "t", "u", "v", "i0", "i1", "i2",
    "i3", "acc", "part", "whole", "row", "mx", "sum", "inv", "lse", "lab", "sy", "count", "scale", "sz", "total",
    "lim", "gi", "lr", "mu", "beta1", "beta2", "eps", "c1", "c2", "seed", "real", "z", "n", "m", "a", "c", "p",
    "lo", "hi", "slot",
};

/* t12, v3 and l0: the names of unnamed buffers, loop temporaries and for-loops' counters. */
static bool generated_name(const char *s)
{
    return (s[0] == 't' || s[0] == 'v' || s[0] == 'l') && s[1] && strspn(s + 1, "0123456789") == strlen(s + 1);
}

bool names_local_ok(const char *name, const char *prefix)
{
    bool function;
    size_t n = strlen(name), np = strlen(prefix);
    if (n && name[0] != '_' && name[n - 1] == '_')
        return true;    /* no name C, the headers or bpc use ends in '_' */
    if (names_field_problem(name, prefix) || in(name, function_macros, COUNT(function_macros)) ||
        (stdint_macro(name, &function) && function))
        return false;
    if (name[0] == '_' || generated_name(name) || in(name, internal, COUNT(internal)) || libc_function(name))
        return false;
    if (strncmp(name, "bp_", 3) == 0 || strncmp(name, "BP", 2) == 0 || (n >= 2 && strcmp(name + n - 2, "_t") == 0))
        return false;   /* the runtime's and the header's names, and types */
    return !(strncmp(name, prefix, np) == 0 && name[np] == '_');
}
