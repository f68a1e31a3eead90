/* emit_loops: fused elementwise loops and reductions. A buffered node's loop
 * computes it from its inputs; inputs without a buffer (fused elementwise
 * ops, views, constants) are computed inline, each once per element, as
 * named temporaries in the loop body. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "emit.h"

static const char *ivar[MAX_RANK] = { "i0", "i1", "i2", "i3" };

/* Row-major linear index of idx in shape s. */
const char *em_row_major(Emit *e, Shape s, const char *const *idx)
{
    if (s.rank == 0)
        return "0";
    const char *r = idx[0];
    for (int k = 1; k < s.rank; k++)
        r = arena_printf(e->g->arena, k == 1 ? "%s * %s + %s" : "(%s) * %s + %s", r, em_extent(e, s.d[k]), idx[k]);
    return r;
}

static const char *linear(Emit *e, Shape s, const char *const *idx)
{
    return e->flat ? "i" : em_row_major(e, s, idx);
}

static bool has_buffer(Emit *e, const Node *n)
{
    return (e->p->mat[n->id] && !e->io_only) || e->p->home[n->id] == HOME_IO;
}

static const char *value(Emit *e, Node *n, const char *const *idx);

/* Element idx of n, read or computed. */
static const char *access(Emit *e, Node *n, const char *const *idx)
{
    if (has_buffer(e, n))
        return arena_printf(e->g->arena, "%s[%s]", em_buf(e, n), linear(e, n->shape, idx));
    if (n->op == OP_CONST || n->op == OP_COUNT)
        return value(e, n, idx);
    const char *v = value(e, n, idx);
    if (op_info[n->op].kind != K_EWISE)
        return v;
    const char *t = arena_printf(e->g->arena, "v%d", e->ntemps++);
    sb_printf(e->temps, "const %s %s = %s;\n", e->real, t, v);
    return t;
}

/* Indices of a view's input for the view's indices. */
static const char **view_index(Emit *e, Node *n, const char *const *idx)
{
    const char **in = arena_alloc(e->g->arena, sizeof(char *) * MAX_RANK);
    Shape s = n->in[0]->shape;
    if (n->op == OP_TRANSPOSE) {
        for (int k = 0; k < s.rank; k++)
            in[k] = idx[s.rank - 1 - k];
        e->identity &= s.rank < 2;
    } else if (n->op != OP_BCAST) {
        return em_view_index(e, n, idx);   /* emit_layout.c */
    } else {
        for (int k = 0; k < s.rank; k++)
            in[k] = "0";
        for (int k = 0; k < n->shape.rank; k++)
            if (n->map[k] >= 0 && s.d[n->map[k]] != 1)
                in[n->map[k]] = idx[k];
        e->identity = false;
    }
    return in;
}

static bool ident_char(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/* Expand an op's expr (ops.def): X Y its operands, A the attribute, F(fn) the
 * math function fn in the model's precision (em_math), a number literal in
 * it (em_expr_number); every other character as written. */
static const char *apply(Emit *e, const char *expr, const char *a0, const char *a1, double attr)
{
    StrBuf b = { 0 };
    for (const char *p = expr; *p; p++) {
        bool alone = (p == expr || !ident_char(p[-1])) && !ident_char(p[1]);
        if (alone && *p == 'X') sb_puts(&b, a0);
        else if (alone && *p == 'Y') sb_puts(&b, a1);
        else if (alone && *p == 'A') sb_puts(&b, em_lit(e, attr));
        else if ((p == expr || !ident_char(p[-1])) && p[0] == 'F' && p[1] == '(') {
            const char *close = strchr(p, ')');
            sb_puts(&b, em_math(e, arena_strndup(e->g->arena, p + 2, (size_t)(close - p - 2))));
            p = close;
        } else if ((p == expr || !ident_char(p[-1])) && *p >= '0' && *p <= '9') {
            p = em_expr_number(e, p, &b) - 1;   /* 0.5 as 0.5f in f32 */
        } else sb_printf(&b, "%c", *p);
    }
    char *s = arena_strdup(e->g->arena, b.s ? b.s : "");
    sb_free(&b);
    return s;
}

/* Operand v of a conditional expression (`X > 0 ? Y : 0`) as a temporary when
 * it is a load: the load then happens on every element, not only where the
 * condition picks it, so a compiler vectorizes with a blend instead of masked
 * loads — faster, and gcc 12.2 at -O3 -mavx2 miscompiles masked loads in such
 * a loop nest (tests/ref/cases/op_maxpool_mask_odd: wrong z_grad). */
static const char *load_once(Emit *e, const char *v)
{
    if (!strchr(v, '['))
        return v;
    const char *t = arena_printf(e->g->arena, "v%d", e->ntemps++);
    sb_printf(e->temps, "const %s %s = %s;\n", e->real, t, v);
    return t;
}

/* The indices in shape s of row-major position lin (a view of a view: only
 * label checks read a reshape whose input has no buffer of its own). */
static const char **unflatten(Emit *e, Shape s, const char *lin)
{
    const char **idx = arena_alloc(e->g->arena, sizeof(char *) * MAX_RANK);
    const char *stride = NULL;   /* of axis k: the product of the extents after it */
    for (int k = s.rank - 1; k >= 0; k--) {
        const char *q = stride ? arena_printf(e->g->arena, "(%s) / (%s)", lin, stride) : arena_printf(e->g->arena, "(%s)", lin);
        idx[k] = k == 0 ? q : arena_printf(e->g->arena, "(%s %% %s)", q, em_extent(e, s.d[k]));
        stride = stride ? arena_printf(e->g->arena, "%s * %s", stride, em_extent(e, s.d[k])) : em_extent(e, s.d[k]);
    }
    e->identity = false;
    return idx;
}

/* The value of n at idx, computed from its inputs. */
static const char *value(Emit *e, Node *n, const char *const *idx)
{
    switch (n->op) {
    case OP_CONST: return em_lit(e, n->f);
    case OP_COUNT: return arena_printf(e->g->arena, "(%s)%s", e->real, em_numel(e, n->count));
    case OP_BCAST:
    case OP_TRANSPOSE:
    case OP_PERMUTE:
    case OP_SLICE:
    case OP_GATHER: return access(e, n->in[0], view_index(e, n, idx));
    case OP_RESHAPE: {
        Node *b = n->in[0];
        while (b->op == OP_RESHAPE)
            b = b->in[0];
        if (has_buffer(e, b))
            return arena_printf(e->g->arena, "%s[%s]", em_buf(e, b), linear(e, n->shape, idx));
        return access(e, b, unflatten(e, b->shape, linear(e, n->shape, idx)));
    }
    default: break;
    }
    const char *a0 = access(e, n->in[0], idx);
    const char *a1 = n->nin > 1 ? access(e, n->in[1], idx) : "";
    if (strchr(op_info[n->op].expr, '?'))
        a0 = load_once(e, a0), a1 = load_once(e, a1);
    return apply(e, op_info[n->op].expr, a0, a1, n->f);
}

/* Open loops over shape s (flat: one loop over its elements); the outer one
 * over rows [lo, hi) when the statement's split is claimed (emit_rows.c). */
static void open_loops(Emit *e, Shape s, bool rows)
{
    if (e->flat) {
        em_line(e, "for (int64_t i = %s; i < %s; i++) {", rows ? "lo" : "0", rows ? "hi" : em_numel(e, s));
        e->indent++;
        return;
    }
    for (int k = 0; k < s.rank; k++) {
        const bool split = rows && k == 0;
        em_line(e, "for (int64_t %s = %s; %s < %s; %s++)%s", ivar[k], split ? "lo" : "0", ivar[k],
                split ? "hi" : em_extent(e, s.d[k]), ivar[k], k + 1 == s.rank ? " {" : "");
        e->indent++;
    }
}

static void close_loops(Emit *e, Shape s)
{
    e->indent--;
    em_line(e, "}");
    e->indent -= e->flat ? 0 : s.rank - 1;
}

typedef void (*BodyFn)(Emit *e, Node *n, const char *dst, const char *const *idx, StrBuf *body);

/* Write a loop over shape s whose body is made by fn; flat when every access allows it.
 * split: n's statement is this loop and each iteration writes its own elements; the
 * rows of its outer loop may run on the host's threads (em_rows_claim). */
static void loop(Emit *e, Shape s, Node *n, const char *dst, BodyFn fn, bool try_flat, bool split)
{
    StrBuf body = { 0 }, temps = { 0 };
    e->temps = &temps;
    e->ntemps = 0;
    e->identity = true;
    e->flat = try_flat && s.rank > 0;
    fn(e, n, dst, ivar, &body);
    if (try_flat && !e->identity) {
        sb_free(&body);
        sb_free(&temps);
        e->ntemps = 0;
        e->flat = false;
        fn(e, n, dst, ivar, &body);
    }
    const bool rows = split && s.rank > 0 &&
                      em_rows_claim(e, n, e->flat ? em_numel(e, s) : em_extent(e, s.d[0]), s, em_grain(e, e->flat ? "16" : "1"));
    if (s.rank > 0)
        open_loops(e, s, rows);
    bool block = temps.len && s.rank == 0;   /* the temporaries' scope */
    if (block) {
        em_line(e, "{");
        e->indent++;
    }
    em_lines(e, temps.s);
    em_lines(e, body.s);
    if (block) {
        e->indent--;
        em_line(e, "}");
    }
    if (s.rank > 0)
        close_loops(e, s);
    e->flat = false;
    sb_free(&body);
    sb_free(&temps);
}

static void store_body(Emit *e, Node *n, const char *dst, const char *const *idx, StrBuf *body)
{
    const char *v = dst == NULL ? value(e, n, idx) : access(e, n, idx);
    const char *to = dst ? dst : em_buf(e, n);
    sb_printf(body, "%s[%s] = %s;", to, linear(e, n->shape, idx), v);
}

/* A buffered elementwise op or view: its loop, with fused inputs inline. */
void em_loop(Emit *e, Node *n)
{
    em_comment(e, n);
    loop(e, n->shape, n, NULL, store_body, true, true);
}

void em_view_label_check(Emit *e, Node *labels, const char *range)
{
    const Node *root = labels;
    while (root->nin == 1 && op_info[root->op].kind == K_VIEW)
        root = root->in[0];
    const Node *shown = labels;
    while (shown->op == OP_RESHAPE)
        shown = shown->in[0];
    em_line(e, "{   /* %s%s in [0, %s) */", em_render(e, shown, 0), shown != labels ? ", reshaped," : "", range);
    e->indent++;
    const char *name = e->p->cname[root->id];   /* not em_buf: the pass's own locals are unaffected */
    em_line(e, "const int32_t *%s = io->%s;", name, e->p->field[root->id]);
    em_line(e, "if (!%s) return BP_ENULL;", name);
    e->io_only = true;
    e->flat = false;
    e->identity = true;
    const bool was_used = e->used[root->id];
    const char *v = value(e, labels, ivar);
    e->used[root->id] = was_used;
    e->io_only = false;
    if (labels->shape.rank > 0)
        open_loops(e, labels->shape, false);
    em_line(e, "const int32_t lab = %s;", v);
    em_line(e, "if (lab < 0 || lab >= %s) return BP_ELABEL;", range);
    if (labels->shape.rank > 0)
        close_loops(e, labels->shape);
    e->indent--;
    em_line(e, "}");
}

void em_copy(Emit *e, const char *dst, Node *src)
{
    em_line(e, "/* %s = %s */", dst, em_render(e, src, 0));
    loop(e, src->shape, src, dst, store_body, true, false);
}

/* ---- reductions ---- */

static const char *out_index(Emit *e, Node *n, const char *const *idx)
{
    const char *kept[MAX_RANK];
    for (int k = 0, j = 0; k < n->in[0]->shape.rank; k++)
        if (!(n->axes & 1 << k))
            kept[j++] = idx[k];
    bool flat = e->flat;
    e->flat = false;
    const char *r = linear(e, n->shape, kept);
    e->flat = flat;
    return r;
}

static void reduce_body(Emit *e, Node *n, const char *dst, const char *const *idx, StrBuf *body)
{
    const char *v = access(e, n->in[0], idx);
    const char *to = dst ? arena_printf(e->g->arena, "%s[%s]", dst, out_index(e, n, idx)) : "acc";
    if (!dst)
        v = em_widen(e, v);   /* acc is a double */
    if (n->op == OP_SUM)
        sb_printf(body, "%s += %s;", to, v);
    else
        sb_printf(body, "if (%s > %s) %s = %s;", v, to, to, v);
}

enum { SUM_LANES = 16 };   /* independent partial sums: the loop vectorises without reassociation */

/* dst updated with term: "dst += term" (op '+') or "dst = max(dst, term)" (op '>') */
static const char *lane_update(Emit *e, char op, const char *dst, const char *term)
{
    if (op == '+')
        return arena_printf(e->g->arena, "%s += %s", dst, term);
    return arena_printf(e->g->arena, "%s = %s > %s ? %s : %s", dst, term, dst, term, dst);
}

/* k reductions over j < len in one pass, each in SUM_LANES partial results (part[q
 * SUM_LANES + lane]), combined in lane order: name[q] op= term[q], after prelude (a
 * statement over j, or NULL) */
static void lanes(Emit *e, char op, const char *len, const char *prelude, int k, const char *const *name,
                  const char *const *term)
{
    const char *init = op == '+' ? "0" : "-INFINITY";
    const bool block = k > 1 || prelude;   /* else one statement on the loop's line */
    for (int q = 0; q < k; q++)
        em_line(e, "%s %s = %s;", e->real, name[q], init);
    em_line(e, "{");
    e->indent++;
    em_line(e, "%s part[%d];", e->real, k * SUM_LANES);
    em_line(e, "for (int64_t i = 0; i < %d; i++) part[i] = %s;", k * SUM_LANES, init);
    em_line(e, "const int64_t whole = (%s) / %d * %d;", len, SUM_LANES, SUM_LANES);
    for (int tail = 0; tail < 2; tail++) {
        const char *lane = tail ? "j - whole" : "j - i", *at = tail ? "" : "    ";
        const char *head = tail ? arena_printf(e->g->arena, "for (int64_t j = whole; j < %s; j++)", len)
                                : arena_printf(e->g->arena, "    for (int64_t j = i; j < i + %d; j++)", SUM_LANES);
        if (!tail)
            em_line(e, "for (int64_t i = 0; i < whole; i += %d)", SUM_LANES);
        if (block) {
            em_line(e, "%s {", head);
            if (prelude)
                em_line(e, "%s    %s", at, prelude);
        }
        for (int q = 0; q < k; q++) {
            const char *dst = q ? arena_printf(e->g->arena, "part[%d + %s]", q * SUM_LANES, lane)
                                : arena_printf(e->g->arena, "part[%s]", lane);
            if (block)
                em_line(e, "%s    %s;", at, lane_update(e, op, dst, term[q]));
            else
                em_line(e, "%s %s;", head, lane_update(e, op, dst, term[q]));
        }
        if (block)
            em_line(e, "%s}", at);
    }
    const char *all = arena_printf(e->g->arena, "for (int64_t i = 0; i < %d; i++)", SUM_LANES);
    if (k == 1)
        em_line(e, "%s %s;", all, lane_update(e, op, name[0], "part[i]"));
    else {
        em_line(e, "%s {", all);
        for (int q = 0; q < k; q++)
            em_line(e, "    %s;", lane_update(e, op, name[q], q ? arena_printf(e->g->arena, "part[%d + i]", q * SUM_LANES) : "part[i]"));
        em_line(e, "}");
    }
    e->indent--;
    em_line(e, "}");
}

void em_lane_reduce(Emit *e, const char *name, char op, const char *len, const char *term)
{
    lanes(e, op, len, NULL, 1, &name, &term);
}

void em_lane_sums(Emit *e, const char *len, const char *prelude, int k, const char *const *name, const char *const *term)
{
    lanes(e, '+', len, prelude, k, name, term);
}

static void lane_body(Emit *e, Node *n, const char *dst, const char *const *idx, StrBuf *body)
{
    (void)dst;
    sb_printf(body, "part[k] += %s;", em_widen(e, access(e, n->in[0], idx)));
}

static void tail_body(Emit *e, Node *n, const char *dst, const char *const *idx, StrBuf *body)
{
    (void)dst;
    sb_printf(body, "acc += %s;", em_widen(e, access(e, n->in[0], idx)));
}

/* The text of a flat loop body (temporaries first; arena), or NULL if some access is not flat. */
static char *flat_body(Emit *e, Node *n, BodyFn fn)
{
    StrBuf body = { 0 }, temps = { 0 };
    e->temps = &temps;
    e->ntemps = 0;
    e->identity = true;
    e->flat = true;
    fn(e, n, NULL, ivar, &body);
    e->flat = false;
    sb_puts(&temps, body.s ? body.s : "");
    sb_free(&body);
    char *text = e->identity ? arena_strdup(e->g->arena, temps.s) : NULL;
    sb_free(&temps);
    return text;
}

/* A full sum over a flat operand in SUM_LANES double partial sums. */
static bool sum_in_lanes(Emit *e, Node *n, const char *out)
{
    char *lane = flat_body(e, n, lane_body), *tail = lane ? flat_body(e, n, tail_body) : NULL;
    if (!tail)
        return false;
    const char *count = em_numel(e, n->in[0]->shape);
    em_line(e, "{");
    e->indent++;
    em_line(e, "double acc = 0, part[%d] = { 0 };", SUM_LANES);
    em_line(e, "const int64_t whole = (%s) / %d * %d;", count, SUM_LANES, SUM_LANES);
    em_line(e, "for (int64_t b = 0; b < whole; b += %d)", SUM_LANES);
    em_line(e, "    for (int64_t k = 0; k < %d; k++) {", SUM_LANES);
    e->indent += 2;
    em_line(e, "const int64_t i = b + k;");
    em_lines(e, lane);
    e->indent -= 2;
    em_line(e, "    }");
    em_line(e, "for (int64_t i = whole; i < %s; i++) {", count);
    e->indent++;
    em_lines(e, tail);
    e->indent--;
    em_line(e, "}");
    em_line(e, "for (int64_t k = 0; k < %d; k++)", SUM_LANES);
    em_line(e, "    acc += part[k];");
    em_line(e, "%s[0] = (%s)acc;", out, e->real);
    e->indent--;
    em_line(e, "}");
    return true;
}

/* x as a whole buffer of shape s (no view, no fused op), or NULL. */
static const char *whole_buffer(Emit *e, const Node *x, Shape s)
{
    return has_buffer(e, x) && shape_eq(x->shape, s) ? em_buf(e, x) : NULL;
}

/* sum(a * b) or sum(a²) over whole buffers: the dot kernel (a BLAS-1 call,
 * fast in every JIT tier), through P_pdot (big ones in blocks on the host's threads). */
static bool sum_as_dot(Emit *e, Node *n, const char *out)
{
    Node *x = n->in[0];
    if (n->shape.rank != 0 || has_buffer(e, x) || (x->op != OP_MUL && x->op != OP_SQUARE))
        return false;
    const char *a = whole_buffer(e, x->in[0], x->shape);
    const char *b = whole_buffer(e, x->in[x->nin - 1], x->shape);
    if (!a || !b)
        return false;
    em_kernel(e, "dot");   /* P_pdot (emit_parallel.c) calls it */
    const char *rows = em_sumsq_rows(e, n);
    if (rows)
        em_line(e, "if (%s != 1)   /* (at one row, the product by %s summed it) */", rows, b);
    em_line(e, "%s%s[0] = (%s)%s_pdot(io->bp_par, %s, %s, %s);", rows ? "    " : "", out, e->real, e->P,
            em_numel(e, x->shape), a, b);
    return true;
}

/* sum / max over axes: a full reduction accumulates in double. */
void em_reduce(Emit *e, Node *n)
{
    em_comment(e, n);
    const char *out = em_buf(e, n), *init = n->op == OP_SUM ? "0" : "-INFINITY";
    if (n->op == OP_SUM && sum_as_dot(e, n, out))
        return;
    if (n->shape.rank == 0 && n->op == OP_SUM && sum_in_lanes(e, n, out))
        return;
    if (n->shape.rank == 0) {
        em_line(e, "{");
        e->indent++;
        em_line(e, "double acc = %s;", n->op == OP_SUM ? "0" : "-(double)INFINITY");
        loop(e, n->in[0]->shape, n, NULL, reduce_body, true, false);
        em_line(e, "%s[0] = (%s)acc;", out, e->real);
        e->indent--;
        em_line(e, "}");
        return;
    }
    if (n->op == OP_SUM && has_buffer(e, n->in[0]) && em_sum_mid(e, n, out))
        return;
    em_line(e, "for (int64_t i = 0; i < %s; i++) %s[i] = %s;", em_numel(e, n->shape), out, init);
    loop(e, n->in[0]->shape, n, out, reduce_body, false, false);
}

void em_none(Emit *e, Node *n) { (void)e, (void)n; }

const char *em_scalar(Emit *e, Node *n)
{
    StrBuf temps = { 0 };
    e->temps = &temps;
    e->flat = false;
    const char *v = access(e, n, ivar);
    em_lines(e, temps.s);
    sb_free(&temps);
    return v;
}

/* The constant c of a broadcast constant, or false. */
static bool broadcast_const(const Node *n, double *c)
{
    while (n->op == OP_BCAST)
        n = n->in[0];
    *c = n->f;
    return n->op == OP_CONST;
}

const char *em_scaled(Emit *e, Node *src, double *c)
{
    if (!has_buffer(e, src) && src->op == OP_MUL) {
        for (int k = 0; k < 2; k++) {
            const char *x = whole_buffer(e, src->in[1 - k], src->shape);
            if (x && broadcast_const(src->in[k], c))
                return x;
        }
    }
    return NULL;
}

/* root = value of src, into the buffer dst (before a GEMM accumulates into
 * dst): c * X over a whole buffer is the scale kernel, anything else a loop. */
void em_fill(Emit *e, const char *dst, Node *src)
{
    double c;
    const char *x = em_scaled(e, src, &c);
    if (x)
        em_line(e, "%s(%s, %s, %s, %s);", em_kernel(e, "scale"), em_numel(e, src->shape), dst, em_widen(e, em_lit(e, c)), x);
    else
        loop(e, src->shape, src, dst, store_body, true, false);
}
