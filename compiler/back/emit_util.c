/* emit_util: the small pieces every emitter uses — lines, extents, literals,
 * buffer names, and the readable rendering of fused expressions. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "dims.h"
#include "emit.h"
#include "loop.h"
#include "names.h"
#include "symtab.h"

void em_line(Emit *e, const char *fmt, ...)
{
    va_list ap;
    char buf[4096];
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sb_printf(e->out, "%*s", 4 * e->indent, "");
    if (n < (int)sizeof buf) {
        sb_puts(e->out, buf);
    } else {
        char *big = arena_alloc(e->g->arena, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb_puts(e->out, big);
    }
    sb_puts(e->out, "\n");
}

/* base as a local: 'r' before a leading '_', then '_' appended until
 * names_local_ok and, when taken is given, not yet in it (then added). */
static const char *local_name(Emit *e, Symtab *taken, const char *base)
{
    Arena *a = e->g->arena;
    const char *c = base[0] == '_' ? arena_printf(a, "r%s", base) : base;
    while (!names_local_ok(c, e->P) || (taken && symtab_find(taken, c)))
        c = arena_printf(a, "%s_", c);
    bool existed;
    if (taken)
        symtab_add(taken, c, SYM_BIND, (Span){ 0 }, &existed);
    return c;
}

void em_name_locals(Emit *e)
{
    Graph *g = e->g;
    Plan *p = e->p;
    Symtab taken = { .arena = g->arena };
    e->dimc = arena_alloc(g->arena, sizeof(char *) * (size_t)(g->nsym + 1));
    for (int i = 0; i < g->ndecls; i++)
        if (g->decls[i].kind == DECL_DIM && g->decls[i].sym >= 0)
            e->dimc[g->decls[i].sym] = local_name(e, &taken, g->decls[i].name);
    for (int i = 0; i < g->n; i++) {
        const char *base = p->home[i] == HOME_IO ? p->field[i] : g->nodes[i]->name;
        bool buffer = p->home[i] != HOME_NONE && p->live[i];
        if (!base)
            p->cname[i] = arena_printf(g->arena, "t%d", i);
        else
            p->cname[i] = local_name(e, buffer ? &taken : NULL, base);
    }
}

const char *em_extent(Emit *e, Extent x)
{
    char buf[32];
    if (dims_is_derived(x)) {   /* "(N * T)" over the dims' locals */
        DimPoly p = dims_poly(e->g, x);
        return dims_c(e->g, &p, e->dimc, false);
    }
    if (x < 0 && e->dimc)
        return e->dimc[-x - 1];
    return arena_strdup(e->g->arena, extent_str(e->g, x, buf, sizeof buf));
}

/* The element count of s as a C expression that is safe as an operand of any
 * operator: a product of several factors comes parenthesised ("(B * 3)"), so
 * "x / (float)%s" divides by the whole count. */
const char *em_numel(Emit *e, Shape s)
{
    if (s.rank == 0)
        return "1";
    int64_t c = 1;
    const char *r = NULL;
    for (int k = 0; k < s.rank; k++) {
        if (s.d[k] > 0)
            c *= s.d[k];
        else
            r = r ? arena_printf(e->g->arena, "%s * %s", r, em_extent(e, s.d[k])) : em_extent(e, s.d[k]);
    }
    if (!r)
        return arena_printf(e->g->arena, "%lld", (long long)c);
    if (c != 1)
        r = arena_printf(e->g->arena, "%s * %lld", r, (long long)c);
    return strchr(r, '*') ? arena_printf(e->g->arena, "(%s)", r) : r;
}

/* The shortest decimal that reads back as exactly v in the model's precision
 * (strtod for double, strtof for float): 0.1, not 0.10000000000000001. */
static void shortest_decimal(double v, bool f64, char *buf, size_t len)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, v);
        if (f64 ? strtod(buf, NULL) == v : strtof(buf, NULL) == (float)v)
            return;
    }
}

const char *em_double(Emit *e, double v)
{
    char buf[40];
    shortest_decimal(v, true, buf, sizeof buf);
    return arena_strdup(e->g->arena, buf);
}

const char *em_lit(Emit *e, double v)
{
    if (isnan(v))
        return "NAN";
    if (isinf(v))
        return v > 0 ? "INFINITY" : "-INFINITY";
    char buf[40];
    shortest_decimal(v, e->f64, buf, sizeof buf);
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    return arena_printf(e->g->arena, v < 0 ? "(%s%s)" : "%s%s", buf, e->f64 ? "" : "f");
}

const char *em_expr_number(Emit *e, const char *p, StrBuf *b)
{
    char *end;
    const double v = strtod(p, &end);
    size_t len = (size_t)(end - p);
    bool real = memchr(p, '.', len) || memchr(p, 'e', len) || memchr(p, 'E', len);
    if (real && !e->f64)
        sb_puts(b, em_lit(e, v));
    else
        sb_printf(b, "%.*s", (int)len, p);
    return end;
}

const char *em_widen(Emit *e, const char *v)
{
    return e->f64 ? v : arena_printf(e->g->arena, "(double)%s", v);
}

const char *em_buf(Emit *e, const Node *n)
{
    if (!e->rows_node)
        e->used[n->id] = true;
    else if (e->row_mark[n->id] != e->row_stamp) {
        e->row_mark[n->id] = e->row_stamp;
        ARENA_PUSH(e->g->arena, e->row_ids, e->nrow_ids, e->crow_ids, n->id);
    }
    return e->p->cname[n->id];
}

void em_lines(Emit *e, const char *text)
{
    while (text && *text) {
        const char *end = strchr(text, '\n');
        int n = end ? (int)(end - text) : (int)strlen(text);
        if (n)
            em_line(e, "%.*s", n, text);
        text += n + (end != NULL);
    }
}

const char *em_ptr(Emit *e, const Node *n)
{
    while (n->op == OP_RESHAPE)
        n = n->in[0];
    return em_buf(e, n);
}

static const char *render(Emit *e, const Node *n, int depth, int outer);

/* Readable form: buffered inputs by name, fused ones expanded, views shown
 * by what they do. depth bounds the text of long fused chains. */
const char *em_render(Emit *e, const Node *n, int depth) { return render(e, n, depth, 0); }

/* ", axis=k" of a reduction that keeps axes (",..." when it reduces more). */
static const char *axis_text(Emit *e, const Node *n)
{
    if (n->shape.rank == 0)
        return "";
    for (int k = 0; k < n->in[0]->shape.rank; k++)
        if (n->axes & 1 << k)
            return arena_printf(e->g->arena, ", axis=%d%s", k, (n->axes & ~(1 << k)) ? ",..." : "");
    return "";
}

/* "[l]" or "[:, t]": a loop-index op's subscript (ints: the loop, the axis). */
static const char *loop_subscript(Emit *e, const Node *n)
{
    StrBuf b = { 0 };
    sb_puts(&b, "[");
    for (int64_t k = 0; k < n->ints[1]; k++)
        sb_puts(&b, ":, ");
    sb_puts(&b, e->g->loops[n->ints[0]].var);
    sb_puts(&b, "]");
    const char *r = arena_strdup(e->g->arena, b.s);
    sb_free(&b);
    return r;
}

/* An op's print form (ops_print.def) with its placeholders filled in. */
static const char *expand(Emit *e, const Node *n, const char *form, const char *x, const char *y)
{
    StrBuf b = { 0 };
    for (const char *c = form; *c; c++) {
        if (*c != '{') {
            sb_printf(&b, "%c", *c);
            continue;
        }
        size_t len = strcspn(c, "}");
        const char *key = arena_strndup(e->g->arena, c + 1, len - 1);
        sb_puts(&b, strcmp(key, "0") == 0    ? x
                    : strcmp(key, "1") == 0  ? y
                    : strcmp(key, "a") == 0  ? arena_printf(e->g->arena, "%g", n->f)
                    : strcmp(key, "ta") == 0 ? (n->ta ? "ᵀ" : "")
                    : strcmp(key, "tb") == 0 ? (n->tb ? "ᵀ" : "")
                    : strcmp(key, "index") == 0 ? loop_subscript(e, n)
                                             : axis_text(e, n));
        c += len;
    }
    const char *r = arena_strdup(e->g->arena, b.s ? b.s : "");
    sb_free(&b);
    return r;
}

/* outer: how tightly the enclosing form binds (0: not an operand), so that
 * an infix form is parenthesised only where it must be */
static const char *render(Emit *e, const Node *n, int depth, int outer)
{
    const OpPrint *pr = &op_print[n->op];
    if (op_info[n->op].kind == K_LEAF && !op_has(n->op, F_DATA) && n->op != OP_COUNT)
        return node_label(e->g, n);   /* a constant */
    if (depth > 0 && (e->p->mat[n->id] || e->p->home[n->id] == HOME_IO || n->op == OP_COUNT))
        return n->op == OP_COUNT ? em_numel(e, n->count) : e->p->cname[n->id];
    if (depth > 6)
        return "...";
    if (pr->prec < 0)   /* a view shown as its input */
        return render(e, n->in[0], depth + 1, outer);
    const char *x = n->nin > 0 ? render(e, n->in[0], depth + 1, pr->prec) : "";
    const char *y = n->nin > 1 ? render(e, n->in[1], depth + 1, pr->prec + pr->right) : "";
    const char *layout = em_render_layout(e, n, x, y);   /* emit_layout.c: x[:, 2:5], E[ids], transpose(x, a, b) */
    if (layout)
        return layout;
    if (pr->form) {
        const char *r = expand(e, n, pr->form, x, y);
        bool infix = pr->prec == 1 || pr->prec == 2;
        return infix && outer > pr->prec ? arena_printf(e->g->arena, "(%s)", r) : r;
    }
    const char *more = em_conv_args(e, n);   /* emit_conv.c: ", stride=2, pad=1" */
    if (n->nin == 2)
        return arena_printf(e->g->arena, "%s(%s, %s%s)", op_info[n->op].name, x, y, more);
    if (n->nin > 2) {   /* concat(a, b, c, ...), layernorm(x, stats, gamma, beta) */
        const char *r = arena_printf(e->g->arena, "%s, %s", x, y);
        for (int k = 2; k < n->nin; k++)
            r = arena_printf(e->g->arena, "%s, %s", r, render(e, n->in[k], depth + 1, 0));
        return arena_printf(e->g->arena, "%s(%s)", op_info[n->op].name, r);
    }
    return arena_printf(e->g->arena, "%s(%s%s)", op_info[n->op].name, x, more);
}

void em_comment(Emit *e, const Node *n)
{
    const char *r = em_render(e, n, 0);
    em_line(e, "/* %s = %s   %s */", e->p->cname[n->id], r, shape_str(e->g, n->shape));
}

const char *em_kernel(Emit *e, const char *name)
{
    bool seen = false;
    for (int i = 0; i < e->nkernels; i++)
        seen |= strcmp(e->kernels[i], name) == 0;
    if (!seen && e->nkernels < (int)(sizeof e->kernels / sizeof *e->kernels))
        e->kernels[e->nkernels++] = name;
    if (e->gemm == BPC_GEMM_RUNTIME)
        return arena_printf(e->g->arena, "bp_%c_%s", e->f64 ? 'd' : 's', name);
    return arena_printf(e->g->arena, "%s_%s", e->P, name);
}
