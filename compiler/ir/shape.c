/* shape: the shape rule of every op (the sh_* column of ops.def) and the
 * shape helpers. A rule computes the result shape or explains, with {0} and
 * {1} standing for the operands, why the operands do not fit. */
#include <stdio.h>
#include <string.h>
#include "dims.h"
#include "ir.h"

#define FAIL(...) return snprintf(err->msg, sizeof err->msg, __VA_ARGS__), false

Shape shape_of(int rank, const Extent *d)
{
    Shape s = { rank, { 0 } };
    for (int i = 0; i < rank; i++)
        s.d[i] = d[i];
    return s;
}

bool shape_eq(Shape a, Shape b)
{
    if (a.rank != b.rank)
        return false;
    for (int i = 0; i < a.rank; i++)
        if (a.d[i] != b.d[i])
            return false;
    return true;
}

/* NumPy: trailing axes aligned; an extent 1 or an absent axis stretches. */
bool shape_broadcast(Shape a, Shape b, Shape *out)
{
    Shape r = { a.rank > b.rank ? a.rank : b.rank, { 0 } };
    for (int i = 0; i < r.rank; i++) {
        int ia = a.rank - r.rank + i, ib = b.rank - r.rank + i;
        Extent ea = ia >= 0 ? a.d[ia] : 1, eb = ib >= 0 ? b.d[ib] : 1;
        if (ea != eb && ea != 1 && eb != 1)
            return false;
        r.d[i] = ea == 1 ? eb : ea;
    }
    *out = r;
    return true;
}

/* Leaves and views whose shape the builder sets in the prototype. */
bool sh_decl(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g, (void)err;
    *out = n->shape;
    return true;
}

bool sh_scalar(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g, (void)n, (void)err;
    *out = (Shape){ 0, { 0 } };
    return true;
}

static bool sh_bcast(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape in = n->in[0]->shape, to = n->shape;
    int seen = 0;
    for (int i = 0; i < to.rank; i++) {
        int k = n->map[i];
        if (k < 0)
            continue;
        if (k >= in.rank || (seen & 1 << k) || (in.d[k] != 1 && in.d[k] != to.d[i]))
            FAIL("cannot broadcast {0} to the shape of {1}");
        seen |= 1 << k;
    }
    for (int k = 0; k < in.rank; k++)
        if (!(seen & 1 << k) && in.d[k] != 1)
            FAIL("cannot broadcast {0} to the shape of {1}");
    *out = to;
    return true;
}

/* The element counts as polynomials over the symbolic dims must agree
 * ([N*T, D] is [N, T, D]; [N+M] is not [N, M]). */
static bool sh_reshape(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    DimPoly a = dims_numel(g, n->in[0]->shape), b = dims_numel(g, n->shape);
    if (!dims_eq(&a, &b))
        FAIL("cannot reshape {0}: the element counts differ");
    *out = n->shape;
    return true;
}

bool sh_attr(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    return n->op == OP_BCAST ? sh_bcast(g, n, out, err) : sh_reshape(g, n, out, err);
}

bool sh_transpose(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    (void)err;
    Shape in = n->in[0]->shape;
    out->rank = in.rank;
    for (int i = 0; i < in.rank; i++)
        out->d[i] = in.d[in.rank - 1 - i];
    return true;
}

bool sh_same(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    for (int i = 0; i < n->nin; i++)
        if (n->in[i]->is_int)
            FAIL("{%d} holds int labels; arithmetic needs float tensors", i);
    if (n->nin == 2 && !shape_eq(n->in[0]->shape, n->in[1]->shape))
        FAIL("shapes of {0} and {1} differ");
    *out = n->in[0]->shape;
    return true;
}

bool sh_reduce(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape in = n->in[0]->shape;
    if (n->in[0]->is_int)
        FAIL("{0} holds int labels; a reduction needs a float tensor");
    out->rank = 0;
    for (int i = 0; i < in.rank; i++)
        if (!(n->axes & 1 << i))
            out->d[out->rank++] = in.d[i];
    return true;
}

bool sh_bmatmul(const Graph *g, const Node *n, Shape *out, ShapeErr *err);   /* shape_bmm.c */

/* [m,k]@[k,n]→[m,n], [k]@[k,n]→[n], [m,k]@[k]→[m], [k]@[k]→[] (ta/tb: transposed rank-2 inputs);
 * an operand of rank 3-4: the batched product of shape_bmm.c */
bool sh_matmul(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    Shape a = n->in[0]->shape, b = n->in[1]->shape;
    if (n->in[0]->is_int || n->in[1]->is_int)
        FAIL("cannot multiply {0} by {1}: int labels are not a matrix");
    if (a.rank > 2 || b.rank > 2)
        return sh_bmatmul(g, n, out, err);
    if (a.rank < 1 || b.rank < 1)
        FAIL("cannot multiply {0} by {1}: @ takes vectors, matrices and stacks of matrices (rank 1 to 4), found ranks %d and %d",
             a.rank, b.rank);
    Extent ak = a.rank == 1 ? a.d[0] : n->ta ? a.d[0] : a.d[1];
    Extent bk = b.rank == 1 ? b.d[0] : n->tb ? b.d[1] : b.d[0];
    if (ak != bk)
    {
        char e0[32], e1[32];
        FAIL("cannot multiply {0} by {1}: inner dimensions %s and %s differ",
             extent_str(g, ak, e0, sizeof e0), extent_str(g, bk, e1, sizeof e1));
    }
    out->rank = 0;
    if (a.rank == 2)
        out->d[out->rank++] = n->ta ? a.d[1] : a.d[0];
    if (b.rank == 2)
        out->d[out->rank++] = n->tb ? b.d[0] : b.d[1];
    return true;
}

bool sh_rows(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    if (n->in[0]->is_int)
        FAIL("{0} holds int labels; %s needs a float tensor", op_info[n->op].name);
    if (n->in[0]->shape.rank < 1)
        FAIL("%s needs at least one axis, found the scalar {0}", op_info[n->op].name);
    *out = n->in[0]->shape;
    return true;
}

/* scores[N, C] with labels y[N] : int */
static bool sh_labels(const Node *n, ShapeErr *err)
{
    Shape s = n->in[0]->shape, y = n->in[1]->shape;
    if (n->in[0]->is_int || s.rank < 2)
        FAIL("expected scores of shape [N, C] as the first argument, found {0}");
    if (!n->in[1]->is_int)
        FAIL("expected int labels (declared `input y[N] : int`) as the second argument, found the float tensor {1}");
    /* scores [..., C] take labels [...]: one per row, every leading axis a row axis */
    bool same = y.rank == s.rank - 1;
    for (int k = 0; same && k < y.rank; k++)
        same = y.d[k] == s.d[k];
    if (!same)
        FAIL("expected one label per row of {0}, found {1}");
    return true;
}

bool sh_loss(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    *out = (Shape){ 0, { 0 } };
    return sh_labels(n, err);
}

bool sh_loss_grad(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    *out = n->in[0]->shape;
    return sh_labels(n, err);
}

const char *extent_str(const Graph *g, Extent e, char *buf, size_t len)
{
    if (e > 0) {
        snprintf(buf, len, "%lld", (long long)e);
        return buf;
    }
    if (dims_is_derived(e)) {
        DimPoly p = dims_poly(g, e);
        snprintf(buf, len, "%s", dims_str(g, &p));
        return buf;
    }
    const Decl *d = ir_sym_decl(g, (int)(-e - 1));
    return d ? d->name : "?";
}

const char *shape_str(const Graph *g, Shape s)
{
    char buf[256] = "[", tmp[32];
    for (int i = 0; i < s.rank; i++) {
        strncat(buf, i ? ", " : "", sizeof buf - strlen(buf) - 1);
        strncat(buf, extent_str(g, s.d[i], tmp, sizeof tmp), sizeof buf - strlen(buf) - 1);
    }
    strncat(buf, "]", sizeof buf - strlen(buf) - 1);
    return arena_strdup(g->arena, buf);
}

