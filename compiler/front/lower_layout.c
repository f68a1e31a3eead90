/* lower_layout: transpose(x, a, b), reshape(x, [...]) and concat(..., axis=k). */
#include <math.h>
#include <string.h>
#include "dims.h"
#include "layout.h"
#include "lower_layout.h"

static void error_at(Lower *l, const Ast *at, const char *msg)
{
    diag_error(l->diags, at->span, "%s", msg);
    lower_def_notes(l);
}

bool lower_axis(Lower *l, const Ast *at, double k, const Ast *xa, const Node *x, int *out)
{
    int r = x->shape.rank;
    if (k != floor(k) || k < -r || k >= r) {
        error_at(l, at, arena_printf(l->arena, "axis %g is out of range for %s (rank %d: expected %d..%d)", k,
                                     lower_describe(l, xa, x), r, -r, r - 1));
        return false;
    }
    *out = (int)(k < 0 ? k + r : k);
    return true;
}

static bool float_operand(Lower *l, const Ast *at, const char *fn, const Ast *xa, const Node *x)
{
    if (!x->is_int)
        return true;
    error_at(l, at, arena_printf(l->arena, "%s of %s: " LOWER_INT_USE,
                                 fn, lower_describe(l, xa, x)));
    return false;
}

Node *lower_transpose(Lower *l, const Ast *call, Node *x, const Ast *xa, const double *ab, const Ast *const *aab)
{
    int a, b;
    if (!float_operand(l, call, "transpose", xa, x))
        return NULL;
    if (x->shape.rank < 2) {
        error_at(l, call, arena_printf(l->arena, "transpose(x, a, b) swaps two axes of a tensor of rank 2 to 4, found %s",
                                       lower_describe(l, xa, x)));
        return NULL;
    }
    if (!lower_axis(l, aab[0], ab[0], xa, x, &a) || !lower_axis(l, aab[1], ab[1], xa, x, &b))
        return NULL;
    return ir_swap_axes(l->g, x, a, b);
}

/* ---- reshape ---- */

/* An extent of the list is one term: c times a product of declared dims
 * (DimTerm); c = MINUS_ONE for -1. Element counts are polynomials (dims.h). */
enum { MINUS_ONE = -1 };

static const char *term_text(Lower *l, const DimTerm *t)
{
    DimPoly p = { 1, { *t }, false };
    return dims_str(l->g, &p);
}

static const char *poly_text(Lower *l, DimPoly p) { return dims_str(l->g, &p); }

/* One extent of the list: an integer, a dim name, a product of them, or -1
 * (q->c = MINUS_ONE). false after reporting. */
static bool extent_item(Lower *l, const Ast *a, DimTerm *q)
{
    DimTerm r;
    switch (a->kind) {
    case AST_NUM:
        if (a->num != floor(a->num) || a->num < 1 || a->num > 1e12)
            break;
        if (q->c > (int64_t)1e15 / (int64_t)a->num) {
            error_at(l, a, "this reshape extent is too large");
            return false;
        }
        q->c *= (int64_t)a->num;
        return true;
    case AST_NEG:
        if (a->lhs->kind != AST_NUM || a->lhs->num != 1 || q->c != 1 || q->n)
            break;
        q->c = MINUS_ONE;
        return true;
    case AST_NAME: {
        Sym *s = symtab_find(&l->syms, a->name);
        if (!s || s->kind != SYM_DIM || s->decl < 0)
            break;
        s->used = true;
        Decl *d = &l->g->decls[s->decl];
        d->used = true;
        if (d->sym < 0 && q->c > (int64_t)1e15 / d->value) {
            error_at(l, a, "this reshape extent is too large");
            return false;
        }
        if (d->sym < 0) {
            q->c *= d->value;
        } else if (q->n < DIMS_MAXDEG) {
            int j = q->n++;
            for (; j > 0 && q->sym[j - 1] > d->sym; j--)
                q->sym[j] = q->sym[j - 1];
            q->sym[j] = d->sym;
        } else {
            error_at(l, a, arena_printf(l->arena, "a reshape extent multiplies at most %d symbolic dims", DIMS_MAXDEG));
            return false;
        }
        return true;
    }
    case AST_BINARY:
        if (a->op != '*')
            break;
        r = *q;
        for (int side = 0; side < 2; side++) {
            if (!extent_item(l, side ? a->rhs : a->lhs, &r))
                return false;
            if (r.c == MINUS_ONE) {
                error_at(l, a, "-1 stands alone as an extent, not in a product");
                return false;
            }
        }
        *q = r;
        return true;
    default: break;
    }
    error_at(l, a, "a reshape extent is a positive integer, a dim name, a product of them (N * T), or -1");
    return false;
}

/* p as one Extent: a constant, a declared dim or a derived dim (N*T). */
static bool as_extent(Lower *l, const Ast *at, DimPoly p, Extent *out)
{
    if (dims_extent(l->g, p, out))
        return true;
    error_at(l, at, arena_printf(l->arena, "the extent %s is too large to represent", poly_text(l, p)));
    return false;
}

Node *lower_reshape(Lower *l, Node *x, const Ast *xa, const Ast *list)
{
    if (list->kind != AST_LIST) {
        error_at(l, list, "reshape's extents are a list: reshape(x, [e1, e2, ...])");
        return NULL;
    }
    if (list->nargs > MAX_RANK) {
        error_at(l, list, arena_printf(l->arena, "reshape to rank %d: tensors have rank 0 to %d", list->nargs, MAX_RANK));
        return NULL;
    }
    DimTerm item[MAX_RANK];
    DimPoly known = dims_const(1), have = dims_numel(l->g, x->shape), p[MAX_RANK];
    int minus = -1;
    for (int i = 0; i < list->nargs; i++) {
        const Ast *a = list->args[i].value;
        item[i] = (DimTerm){ 1, 0, { 0 } };
        if (!extent_item(l, a, &item[i]))
            return NULL;
        if (item[i].c == MINUS_ONE && minus >= 0) {
            error_at(l, a, "reshape takes at most one -1 extent");
            return NULL;
        }
        if (item[i].c == MINUS_ONE) {
            minus = i;
            continue;
        }
        p[i] = (DimPoly){ 1, { item[i] }, false };
        known = dims_mul(known, p[i]);
    }
    if (known.n != 1 || known.bad) {
        error_at(l, list, "the product of these reshape extents is too large to represent");
        return NULL;
    }
    if (minus >= 0 && !dims_div(have, &known.t[0], &p[minus])) {
        error_at(l, list, arena_printf(l->arena, "cannot reshape %s (%s elements): no extent for -1 makes %s times it that count",
                                       lower_describe(l, xa, x), poly_text(l, have), term_text(l, &known.t[0])));
        return NULL;
    }
    if (minus < 0 && !dims_eq(&have, &known)) {
        error_at(l, list, arena_printf(l->arena, "cannot reshape %s to %s elements: it has %s", lower_describe(l, xa, x),
                                       term_text(l, &known.t[0]), poly_text(l, have)));
        return NULL;
    }
    Shape to = { list->nargs, { 0 } };
    for (int i = 0; i < list->nargs; i++)
        if (!as_extent(l, list->args[i].value, p[i], &to.d[i]))
            return NULL;
    return ir_reshape(l->g, x, to);
}

/* ---- concat ---- */

Node *lower_concat(Lower *l, const Ast *call)
{
    Node *t[64];
    const Ast *ta[64];
    int n = 0, ax = 0;
    const Ast *axis = NULL;
    for (int i = 0; i < call->nargs; i++) {
        const AstArg *arg = &call->args[i];
        if (arg->key && strcmp(arg->key, "axis") != 0) {
            diag_error(l->diags, arg->key_span, "concat has no argument '%s'", arg->key);
            return NULL;
        }
        if (arg->key) {
            axis = arg->value;
            continue;
        }
        if (n == 64) {
            error_at(l, arg->value, "concat takes at most 64 tensors");
            return NULL;
        }
        ta[n] = arg->value;
        if (!(t[n++] = lower_expr(l, arg->value)))
            return NULL;
    }
    if (n < 2) {
        error_at(l, call, "concat needs two or more tensors: concat(a, b, ..., axis=k)");
        return NULL;
    }
    double k = 0;
    if (axis && !lower_const(l, axis, &k))
        return NULL;
    if (t[0]->shape.rank == 0) {
        error_at(l, ta[0], arena_printf(l->arena, "cannot concat the scalar %s", lower_describe(l, ta[0], t[0])));
        return NULL;
    }
    if (!lower_axis(l, axis ? axis : call, k, ta[0], t[0], &ax))
        return NULL;
    for (int i = 0; i < n; i++) {   /* each against the first: messages name the two */
        Node p = { .op = OP_CONCAT, .nin = 2, .in = { t[0], t[i] }, .nints = 1, .ints = { ax } };
        const Ast *args[2] = { ta[0], ta[i] };
        ShapeErr err;
        Shape s;
        if (!op_info[OP_CONCAT].shape(l->g, &p, &s, &err)) {
            lower_shape_error(l, call->span, &err, args, p.in, 2);
            return NULL;
        }
    }
    Node *r = NULL;
    for (int i = 0; i < n;) {   /* a chain of nodes of up to MAX_IN inputs */
        Node p = { .op = OP_CONCAT, .nints = 1, .ints = { ax } };
        if (r)
            p.in[p.nin++] = r;
        while (p.nin < MAX_IN && i < n)
            p.in[p.nin++] = t[i++];
        r = ir_build(l->g, p);
    }
    return r;
}
