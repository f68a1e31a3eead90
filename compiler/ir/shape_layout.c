/* shape_layout: the shape rules of the layout and indexing ops (ops.def,
 * "layout and indexing"): axis permutations, slices and their scatter back,
 * concatenation, and the gather of rows by int ids with its scatter-add. */
#include <stdio.h>
#include "dims.h"
#include "ir.h"

#define FAIL(...) return snprintf(err->msg, sizeof err->msg, __VA_ARGS__), false

/* ints[0..rank): output axis i reads input axis ints[i] (a permutation). */
bool sh_permute(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape in = n->in[0]->shape;
    int seen = 0;
    if (n->nints != in.rank)
        FAIL("a permutation of {0} needs %d axes, found %d", in.rank, n->nints);
    for (int i = 0; i < in.rank; i++) {
        int64_t k = n->ints[i];
        if (k < 0 || k >= in.rank || (seen & 1 << k))
            FAIL("the axes of a permutation of {0} must be 0..%d, each once", in.rank - 1);
        seen |= 1 << k;
        out->d[i] = in.d[k];
    }
    out->rank = in.rank;
    return true;
}

/* A slice's axis k: ints[3k] start, ints[3k+1] stop, ints[3k+2] 1 when an
 * integer index drops the axis (start is the index, stop start + 1). start =
 * stop = 0 and no drop is the whole axis (any extent). On a constant extent d,
 * 0 <= start < stop <= d. On a symbolic one the bounds are constant, both
 * non-negative (0 <= start < stop) or both counted from the end (start < stop
 * <= 0, d + start the first index, a stop of 0 the end); the generated code
 * checks that the dim is large enough (Decl.at_least). ints[3k+2] = SLICE_EXT
 * (any axis): start is an Extent offset (a constant >= 0 or a symbolic or
 * derived dim) and stop the result's extent, with extent - start - stop >= 0
 * whenever the run-time dim checks pass (dims_surely_nonneg; x[1:] on N:
 * offset 1, extent N - 1; the slices of a concat's gradient along N + M: 0
 * and N, N and M; along 1 + (T - 1): 0 and 1, 1 and T - 1). The sliced
 * shape of `in`, or false. */
static bool slice_shape(const Graph *g, Shape in, const Node *n, Shape *out, ShapeErr *err)
{
    if (n->nints != 3 * in.rank)
        FAIL("a slice of {0} needs 3 ints per axis");
    out->rank = 0;
    for (int k = 0; k < in.rank; k++) {
        int64_t lo = n->ints[3 * k], hi = n->ints[3 * k + 1], drop = n->ints[3 * k + 2];
        if (drop == SLICE_EXT) {
            DimPoly rest = dims_add(dims_poly(g, in.d[k]), dims_mul(dims_const(-1), dims_add(lo ? dims_poly(g, lo) : dims_const(0),
                                                                                          dims_poly(g, hi))));
            if (hi == 0 || !dims_surely_nonneg(g, &rest))
                FAIL("slice out of range on axis %d of {0}", k);
            out->d[out->rank++] = hi;
            continue;
        }
        if (!drop && lo == 0 && hi == 0) {
            out->d[out->rank++] = in.d[k];
            continue;
        }
        bool ok = in.d[k] > 0 ? lo >= 0 && lo < hi && hi <= in.d[k] : lo < hi && (lo >= 0 || hi <= 0);
        if (!ok || (drop && hi != lo + 1))
            FAIL("index out of range on axis %d of {0}", k);
        if (!drop)
            out->d[out->rank++] = hi - lo;
    }
    return true;
}

bool sh_slice(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    return slice_shape(g, n->in[0]->shape, n, out, err);
}

/* The scatter of a slice's gradient: the result (shape in the prototype,
 * the sliced tensor's) sliced by ints is input 0's shape. */
bool sh_unslice(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    Shape s;
    if (!slice_shape(g, n->shape, n, &s, err))
        return false;
    if (!shape_eq(s, n->in[0]->shape))
        FAIL("{0} is not the slice this scatters back");
    *out = n->shape;
    return true;
}

/* concat along ints[0]: equal ranks and extents but on that axis, whose
 * extents add up (N + M, N + 3: a derived dim when not constant). */
bool sh_concat(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    Shape a = n->in[0]->shape;
    int ax = (int)n->ints[0];
    if (n->nin < 2 || n->nints != 1 || ax < 0 || ax >= a.rank)
        FAIL("concat needs two or more tensors of rank >= 1 and an axis in range");
    *out = a;
    DimPoly sum = dims_const(0);
    for (int i = 0; i < n->nin; i++) {
        Shape b = n->in[i]->shape;
        if (n->in[i]->is_int)
            FAIL("{%d} holds int labels; concat needs float tensors", i);
        if (b.rank != a.rank)
            FAIL("cannot concat {0} and {%d}: ranks %d and %d differ", i, a.rank, b.rank);
        for (int k = 0; k < a.rank; k++)
            if (k != ax && b.d[k] != a.d[k]) {
                char e0[32], e1[32];
                FAIL("cannot concat {0} and {%d} along axis %d: axis %d differs (%s and %s)", i, ax, k,
                     extent_str(g, a.d[k], e0, sizeof e0), extent_str(g, b.d[k], e1, sizeof e1));
            }
        sum = dims_add(sum, dims_poly(g, b.d[ax]));
    }
    if (!dims_extent(g, sum, &out->d[ax]))
        FAIL("cannot concat along axis %d: the sum of the extents is too large to represent", ax);
    return true;
}

/* E[ids]: ids' shape followed by E's shape without axis 0. */
static bool gather_shape(Shape e, const Node *ids, Shape *out, ShapeErr *err, const char *what)
{
    if (!ids->is_int)
        FAIL("cannot index %s with the float tensor {1}: a gather takes int ids (declared `input ids[...] : int`)", what);
    if (e.rank < 1)
        FAIL("cannot gather rows of the scalar %s", what);
    if (ids->shape.rank + e.rank - 1 > MAX_RANK)
        FAIL("%s[{1}] would have rank %d; tensors have rank 0 to %d", what, ids->shape.rank + e.rank - 1, MAX_RANK);
    *out = ids->shape;
    for (int k = 1; k < e.rank; k++)
        out->d[out->rank++] = e.d[k];
    return true;
}

bool sh_gather(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    if (n->in[0]->is_int)
        FAIL("cannot index {0}: it holds int labels");
    return gather_shape(n->in[0]->shape, n->in[1], out, err, "{0}");
}

/* The gradient of a gather: rows of the result (the table's shape, in the
 * prototype) accumulate input 0's rows at the ids. */
bool sh_scatter(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape s;
    if (!gather_shape(n->shape, n->in[1], &s, err, "the table"))
        return false;
    if (!shape_eq(s, n->in[0]->shape))
        FAIL("{0} is not the shape of the gather this scatters back");
    *out = n->shape;
    return true;
}
