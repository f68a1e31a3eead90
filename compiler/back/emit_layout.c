/* emit_layout: the layout and indexing ops. The views (permute, slice,
 * gather) are index arithmetic inside their consumer's loop; the kernels
 * (concat, the scatter of a slice's gradient, the scatter-add of a gather's)
 * are strided copy loops over buffers. Ids were checked against their range
 * before anything runs (BP_ELABEL), so every index here is in bounds. */
#include <string.h>
#include "dims.h"
#include "emit.h"

static const char *ivar[MAX_RANK] = { "i0", "i1", "i2", "i3" };

/* Row-major linear index of idx in shape s (never the flat index). */
static const char *lin(Emit *e, Shape s, const char *const *idx) { return em_row_major(e, s, idx); }

/* v + c as an index expression. */
static const char *plus(Emit *e, const char *v, int64_t c)
{
    return c ? arena_printf(e->g->arena, "(%s + %lld)", v, (long long)c) : v;
}

/* The indices into a slice's input (shape in) for indices idx of its result. */
static const char **slice_index(Emit *e, Shape in, const int64_t *ints, const char *const *idx)
{
    const char **r = arena_alloc(e->g->arena, sizeof(char *) * MAX_RANK);
    for (int k = 0, j = 0; k < in.rank; k++) {
        int64_t lo = ints[3 * k];
        const char *i = ints[3 * k + 2] == 1 ? "0" : idx[j++];
        if (ints[3 * k + 2] == SLICE_EXT)   /* at an offset that may be a dim */
            r[k] = lo > 0 ? plus(e, i, lo) : lo < 0 ? arena_printf(e->g->arena, "(%s + %s)", i, em_extent(e, lo)) : i;
        else if (lo < 0)   /* counted from the end of a symbolic axis */
            r[k] = arena_printf(e->g->arena, "(%s - %lld + %s)", em_extent(e, in.d[k]), (long long)-lo, i);
        else
            r[k] = ints[3 * k + 2] ? arena_printf(e->g->arena, "%lld", (long long)lo) : plus(e, i, lo);
    }
    return r;
}

const char **em_view_index(Emit *e, Node *n, const char *const *idx)
{
    const char **in = arena_alloc(e->g->arena, sizeof(char *) * MAX_RANK);
    Shape s = n->in[0]->shape;
    bool flat = e->flat;
    e->flat = false;
    e->identity = false;
    switch (n->op) {
    case OP_PERMUTE:
        for (int i = 0; i < s.rank; i++)
            in[n->ints[i]] = idx[i];
        break;
    case OP_SLICE:
        in = slice_index(e, s, n->ints, idx);
        break;
    default: {   /* gather: row ids[p], then the row's own indices */
        const Node *ids = n->in[1];
        int r = ids->shape.rank;
        in[0] = arena_printf(e->g->arena, "(int64_t)%s[%s]", em_ptr(e, ids), lin(e, ids->shape, idx));
        for (int k = 1; k < s.rank; k++)
            in[k] = idx[r + k - 1];
        break;
    }
    }
    e->flat = flat;
    return in;
}

/* Loops i0.. over shape s around the lines body() writes. */
static void open_loops(Emit *e, Shape s)
{
    for (int k = 0; k < s.rank; k++) {
        em_line(e, "for (int64_t %s = 0; %s < %s; %s++)", ivar[k], ivar[k], em_extent(e, s.d[k]), ivar[k]);
        e->indent++;
    }
}

static void close_loops(Emit *e, Shape s) { e->indent -= s.rank; }

static void zero(Emit *e, const char *out, Shape s)
{
    em_line(e, "for (int64_t i = 0; i < %s; i++) %s[i] = 0;", em_numel(e, s), out);
}

/* out = zeros of x's shape with g written at the slice (the gradient of x[s]). */
void em_unslice(Emit *e, Node *n)
{
    em_comment(e, n);
    const char *out = em_buf(e, n), *g = em_ptr(e, n->in[0]);
    Shape gs = n->in[0]->shape;
    zero(e, out, n->shape);
    open_loops(e, gs);
    em_line(e, "%s[%s] = %s[%s];", out, lin(e, n->shape, slice_index(e, n->shape, n->ints, ivar)), g, lin(e, gs, ivar));
    close_loops(e, gs);
}

/* out = concat(in..., axis): each operand copied to its offset along the axis. */
void em_concat(Emit *e, Node *n)
{
    em_comment(e, n);
    const char *out = em_buf(e, n);
    int ax = (int)n->ints[0];
    DimPoly off = dims_const(0);   /* N + M: N is the second operand's offset */
    for (int i = 0; i < n->nin; i++) {
        Shape s = n->in[i]->shape;
        const char *src = em_ptr(e, n->in[i]);
        const char *to[MAX_RANK];
        const char *at = off.n ? dims_c(e->g, &off, e->dimc, false) : NULL;
        for (int k = 0; k < s.rank; k++)
            to[k] = k == ax && at ? arena_printf(e->g->arena, "(%s + %s)", ivar[k], at) : ivar[k];
        open_loops(e, s);
        em_line(e, "%s[%s] = %s[%s];", out, lin(e, n->shape, to), src, lin(e, s, ivar));
        close_loops(e, s);
        off = dims_add(off, dims_poly(e->g, s.d[ax]));
    }
}

/* out = zeros of the table's shape; out[ids[p]] += g[p] for each position p. */
void em_scatter_add(Emit *e, Node *n)
{
    em_comment(e, n);
    const char *out = em_buf(e, n), *g = em_ptr(e, n->in[0]), *ids = em_ptr(e, n->in[1]);
    Shape row = n->shape;
    row.rank--;
    memmove(row.d, row.d + 1, sizeof(Extent) * (size_t)row.rank);
    const char *len = em_numel(e, row);
    zero(e, out, n->shape);
    em_line(e, "for (int64_t i = 0; i < %s; i++) {", em_numel(e, n->in[1]->shape));
    e->indent++;
    em_line(e, "const int64_t r = %s[i];", ids);
    em_line(e, "for (int64_t j = 0; j < %s; j++)", len);
    em_line(e, "    %s[r * %s + j] += %s[i * %s + j];", out, len, g, len);
    e->indent--;
    em_line(e, "}");
}

/* A SLICE_EXT axis of extent d as written: "1:" (x[1:] on N), "0:N-1", "N:N+M". */
static const char *ext_text(Emit *e, Extent d, Extent off, Extent len)
{
    DimPoly o = off ? dims_poly(e->g, off) : dims_const(0), end = dims_add(o, dims_poly(e->g, len));
    DimPoly whole = dims_poly(e->g, d);
    const char *s = arena_printf(e->g->arena, "%s:", dims_str(e->g, &o));
    return dims_eq(&end, &whole) ? s : arena_printf(e->g->arena, "%s%s", s, dims_str(e->g, &end));
}

/* The slice's indices as written: "x[:, 2:5, 0]" (bounds from the end of a
 * symbolic axis as negative numbers). */
static const char *slice_text(Emit *e, const Node *n, Shape in, const char *x)
{
    const char *r = NULL;
    int last = -1;
    for (int k = 0; k < in.rank; k++)
        if (n->ints[3 * k] || n->ints[3 * k + 1] || n->ints[3 * k + 2])
            last = k;
    for (int k = 0; k <= last; k++) {
        int64_t lo = n->ints[3 * k], hi = n->ints[3 * k + 1];
        const char *t = n->ints[3 * k + 2] == SLICE_EXT ? ext_text(e, in.d[k], lo, hi)
                        : n->ints[3 * k + 2] ? arena_printf(e->g->arena, "%lld", (long long)lo)
                        : !lo && !hi ? ":"
                        : hi ? arena_printf(e->g->arena, "%lld:%lld", (long long)lo, (long long)hi)
                             : arena_printf(e->g->arena, "%lld:", (long long)lo);
        r = r ? arena_printf(e->g->arena, "%s, %s", r, t) : t;
    }
    return arena_printf(e->g->arena, "%s[%s]", x, r ? r : "");
}

const char *em_render_layout(Emit *e, const Node *n, const char *x, const char *y)
{
    switch (n->op) {
    case OP_SLICE: return slice_text(e, n, n->in[0]->shape, x);
    case OP_UNSLICE: return arena_printf(e->g->arena, "scatter %s into zeros at %s", x, slice_text(e, n, n->shape, "[]"));
    case OP_GATHER: return arena_printf(e->g->arena, "%s[%s]", x, y);
    case OP_PERMUTE: {
        int a = -1, b = -1;
        for (int i = 0; i < n->nints; i++)
            if (n->ints[i] != i)
                a < 0 ? (a = i) : (b = i);
        return arena_printf(e->g->arena, "transpose(%s, %d, %d)", x, a, b);
    }
    default: return NULL;
    }
}
