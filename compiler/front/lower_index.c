/* lower_index: x[...] — Python slices with constant bounds and integer
 * indices (SPEC §1), or E[ids] with an int tensor ids (a gather). Bounds are
 * checked, never clamped: an empty or out-of-range slice is an error. */
#include <math.h>
#include <string.h>
#include "dims.h"
#include "layout.h"
#include "lower_layout.h"

static void error_at(Lower *l, Span s, const char *msg)
{
    diag_error(l->diags, s, "%s", msg);
    lower_def_notes(l);
}

/* Only numbers and arithmetic on them: lower_const's domain. */
static bool numeric(const Ast *a)
{
    switch (a->kind) {
    case AST_NUM: return true;
    case AST_NEG: return numeric(a->lhs);
    case AST_BINARY: return a->op != '@' && numeric(a->lhs) && numeric(a->rhs);
    default: return false;
    }
}

/* A constant integer index or bound: a number, arithmetic on numbers, or a
 * constant dim. false after reporting; *tensor set (and false returned,
 * nothing reported) when it is a tensor instead. */
static bool int_value(Lower *l, const Ast *a, int64_t *out, Node **tensor)
{
    double v;
    if (numeric(a)) {
        if (!lower_const(l, a, &v))
            return false;
    } else {
        Node *n = lower_expr(l, a);
        if (!n)
            return false;
        if (n->op != OP_CONST) {
            if (tensor)
                *tensor = n;
            else
                error_at(l, a->span, arena_printf(l->arena, "a slice bound is a constant integer, found %s",
                                                  lower_describe(l, a, n)));
            return false;
        }
        v = n->f;
    }
    if (v != floor(v) || fabs(v) > 1e15) {
        error_at(l, a->span, arena_printf(l->arena, "an index is an integer, found %g", v));
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* E[ids]: ids' shape + E's shape without axis 0. */
static Node *gather(Lower *l, const Ast *a, int k, Node *e, Node *ids)
{
    const Ast *args[2] = { a->lhs, a->idx[k].value };
    Node p = { .op = OP_GATHER, .nin = 2, .in = { e, ids } };
    ShapeErr err;
    if (!ids->is_int) {
        snprintf(err.msg, sizeof err.msg, "cannot index {0} with {1}: indices are integers, slices lo:hi or int ids "
                 "(`input ids[...] : int`), not float tensors");
        lower_shape_error(l, a->idx[k].span, &err, args, p.in, 2);
        return NULL;
    }
    if (a->nidx != 1) {
        error_at(l, a->idx[k].span, "int ids gather rows: E[ids] takes no other index");
        return NULL;
    }
    Node *r = ir_make(l->g, &p, &err);
    if (!r) {
        lower_shape_error(l, a->span, &err, args, p.in, 2);
        return NULL;
    }
    if (ids->op == OP_INPUT)
        l->g->decls[ids->decl].label = true;
    return r;
}

/* The symbolic dim of extent d must be at least v at run time. */
static void need_at_least(Lower *l, Extent d, int64_t v)
{
    dims_need_at_least(l->g, d, v);
    Decl *dc = d < 0 && !dims_is_derived(d) ? ir_sym_decl(l->g, (int)(-d - 1)) : NULL;
    if (dc && dc->at_least < v)
        dc->at_least = v;
}

/* lo: to hi from the end (hi <= 0, 0 the end) of the symbolic axis k of
 * extent d: x[1:], x[:-1], x[2:-1], a SLICE_EXT slice of the derived extent
 * d - lo + hi (N - 1), which the generated code checks is >= 1. */
static bool derived_bounds(Lower *l, const AstIndex *it, const char *xs, int k, Extent d, int64_t *ints)
{
    int64_t lo = ints[0], hi = ints[1];
    Extent len;
    if (!dims_extent(l->g, dims_add(dims_poly(l->g, d), dims_const(hi - lo)), &len)) {
        error_at(l, it->span, arena_printf(l->arena, "slice %s is empty for axis %d of %s", span_text(l->diags, it->span),
                                           k, xs));
        return false;
    }
    ints[0] = lo, ints[1] = len, ints[2] = SLICE_EXT;
    return true;
}

/* Bounds lo:hi (or the index lo) on the symbolic axis k of extent d: both
 * non-negative or both from the end (hi 0: to the end), checked at run time;
 * or from the start to the end (derived_bounds). */
static bool symbolic_bounds(Lower *l, const AstIndex *it, const char *xs, int k, Extent d, int64_t *ints, bool has_hi)
{
    int64_t lo = ints[0], hi = ints[1];
    char buf[32];
    const char *dn = extent_str(l->g, d, buf, sizeof buf);
    if (it->is_slice && lo >= 0 && (!has_hi || hi < 0))
        return derived_bounds(l, it, xs, k, d, ints);
    if (it->is_slice && (lo >= 0 ? !has_hi || hi < 0 : has_hi && hi > 0)) {
        error_at(l, it->span, arena_printf(l->arena, "slice %s of axis %d of %s has an extent that depends on the "
                                           "symbolic %s; on a symbolic axis both bounds are constants >= 0 (2:5) or "
                                           "both count from the end (-3:, -3:-1)", span_text(l->diags, it->span), k,
                                           xs, dn));
        return false;
    }
    if (it->is_slice && hi <= lo) {
        error_at(l, it->span, arena_printf(l->arena, "slice %s is empty for axis %d of %s", span_text(l->diags, it->span),
                                           k, xs));
        return false;
    }
    need_at_least(l, d, lo >= 0 ? hi : -lo);
    return true;
}

/* Axis k of x (extent d) indexed by it: ints[3k..3k+3) of the slice, or false. */
static bool index_axis(Lower *l, const Ast *a, const Node *x, int k, int64_t *ints, Node **tensor)
{
    const AstIndex *it = &a->idx[k];
    Extent d = x->shape.d[k];
    int64_t lo = 0, hi = 0;
    if (it->is_slice && (!it->lo || numeric(it->lo)) && !it->hi) {
        double v;
        if (!it->lo || (lower_const(l, it->lo, &v) && v == 0))
            return true;   /* ':' or '0:', the whole axis */
    }
    if (!it->is_slice) {
        if (!int_value(l, it->value, &lo, tensor))
            return false;
    } else if ((it->lo && !int_value(l, it->lo, &lo, NULL)) || (it->hi && !int_value(l, it->hi, &hi, NULL))) {
        return false;
    }
    const char *xs = lower_describe(l, a->lhs, x);
    if (d <= 0) {
        ints[0] = lo, ints[1] = it->is_slice ? hi : lo + 1, ints[2] = !it->is_slice;
        if (it->is_slice && !it->hi && lo < 0)
            ints[1] = 0;
        return symbolic_bounds(l, it, xs, k, d, ints, it->hi != NULL);
    }
    if (!it->is_slice) {
        int64_t i = lo < 0 ? lo + d : lo;
        if (i < 0 || i >= d) {
            error_at(l, it->span, arena_printf(l->arena, "index %lld is out of range for axis %d of %s (extent %lld: "
                                               "expected %lld..%lld)", (long long)lo, k, xs, (long long)d,
                                               (long long)-d, (long long)d - 1));
            return false;
        }
        ints[0] = i, ints[1] = i + 1, ints[2] = 1;
        return true;
    }
    if (!it->hi)
        hi = d;
    int64_t b = lo < 0 ? lo + d : lo, e = hi < 0 ? hi + d : hi;
    if (b < 0 || e > d || b >= e) {
        error_at(l, it->span, arena_printf(l->arena, "slice %s is %s for axis %d of %s (extent %lld); bounds are checked, "
                                           "not clamped", span_text(l->diags, it->span),
                                           b < 0 || e > d ? "out of range" : "empty", k, xs, (long long)d));
        return false;
    }
    if (b > 0 || e < d)
        ints[0] = b, ints[1] = e;
    return true;
}

Node *lower_index(Lower *l, const Ast *a)
{
    Node *x = lower_expr(l, a->lhs);
    if (!x)
        return NULL;
    if (a->nidx > x->shape.rank) {
        int k = x->shape.rank;
        error_at(l, a->idx[k].span, arena_printf(l->arena, "too many indices for %s: %d given, rank %d",
                                                 lower_describe(l, a->lhs, x), a->nidx, k));
        return NULL;
    }
    Node p = { .op = OP_SLICE, .nin = 1, .in = { x }, .nints = 3 * x->shape.rank };
    bool whole = true;
    for (int k = 0; k < a->nidx; k++) {
        Node *tensor = NULL;
        if (!index_axis(l, a, x, k, p.ints + 3 * k, &tensor))
            return tensor ? gather(l, a, k, x, tensor) : NULL;
        whole &= p.ints[3 * k] == 0 && p.ints[3 * k + 1] == 0 && p.ints[3 * k + 2] == 0;
    }
    return whole ? x : ir_build(l->g, p);
}
