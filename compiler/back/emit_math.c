/* emit_math: the math functions generated code calls. An f64 model calls
 * libm; an f32 model calls P_expf, P_logf, P_erff and P_tanhf, carried as
 * static functions from runtime/bp_mathf.inc (arithmetic and bit operations
 * only, so -O3 vectorises the loops that call them), only those it uses. */
#include <string.h>
#include "emit.h"

extern const char bp_mathf_text[];

/* The pieces of bp_mathf.inc, in file order; need: the pieces each one calls. */
static const struct {
    const char *name;
    unsigned need;
} pieces[] = { { "bitsf", 1u }, { "fbits", 2u }, { "exp", 5u }, { "log", 11u }, { "erf", 23u }, { "tanh", 39u } };
enum { NPIECES = (int)(sizeof pieces / sizeof *pieces) };

/* fn's index among the pieces that are functions (not the bit casts), or -1. */
static int piece_of(const char *fn)
{
    for (int i = 2; i < NPIECES; i++)
        if (strcmp(pieces[i].name, fn) == 0)
            return i;
    return -1;
}

const char *em_math(Emit *e, const char *fn)
{
    int i = e->f64 ? -1 : piece_of(fn);
    if (i < 0)
        return arena_printf(e->g->arena, "%s%s", fn, e->sfx);
    e->mathf |= pieces[i].need;
    return arena_printf(e->g->arena, "%s_%sf", e->P, fn);
}

/* The text of piece i: from its marker line to the next marker (or the end). */
static void put_piece(Emit *e, int i)
{
    static const char marker[] = "/* mathf: ";
    for (const char *k = strstr(bp_mathf_text, marker); k;) {
        const char *next = strstr(k + 1, marker);
        const char *name = k + sizeof marker - 1;
        size_t len = strcspn(name, " ");
        if (len == strlen(pieces[i].name) && strncmp(name, pieces[i].name, len) == 0) {
            sb_printf(e->out, "%.*s", next ? (int)(next - k) : (int)strlen(k), k);
            return;
        }
        k = next;
    }
}

/* The used functions; under tcc, which vectorises nothing, libm's (faster
 * than the polynomials in scalar code) through function-like macros, which
 * leave an io field of the same name alone. */
void em_mathf(Emit *e)
{
    if (!e->mathf)
        return;
    em_line(e, "/* f32 math: bpc's runtime/bp_mathf.inc (vectorised by -O3; max error in ulps: exp 0.98, log 0.82, erf 2.26, tanh 1.27) */");
    em_line(e, "#if defined(__TINYC__)   /* no vectoriser: libm's scalar functions are faster */");
    for (int i = 2; i < NPIECES; i++)
        if (e->mathf & 1u << i)
            em_line(e, "#define %s_%sf(x) %sf(x)", e->P, pieces[i].name, pieces[i].name);
    em_line(e, "#else");
    em_line(e, "#define BPM_STATIC static inline");
    em_line(e, "#define BPM(name) %s_##name", e->P);
    for (int i = 0; i < NPIECES; i++)
        if (e->mathf & 1u << i)
            put_piece(e, i);
    em_line(e, "#undef BPM_STATIC");
    em_line(e, "#undef BPM");
    em_line(e, "#endif");
}
