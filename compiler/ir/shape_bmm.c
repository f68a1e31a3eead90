/* shape_bmm: the shape rules of issue 9's batched-matmul group — batched @
 * (NumPy matmul broadcasting of the leading axes) and causal. */
#include <stdio.h>
#include "ir.h"

#define FAIL(...) return snprintf(err->msg, sizeof err->msg, __VA_ARGS__), false

bool sh_bmatmul(const Graph *g, const Node *n, Shape *out, ShapeErr *err);

/* The leading (batch) axes of s: all but the last two. */
static Shape batch_of(Shape s)
{
    Shape b = s;
    b.rank = s.rank - 2;
    return b;
}

/* [..., m, k] @ [..., k, n] → [batch, m, n], the batch axes broadcast as NumPy's
 * matmul does; ta/tb: the last two axes of that operand are swapped. */
bool sh_bmatmul(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    Shape a = n->in[0]->shape, b = n->in[1]->shape, batch;
    if (a.rank < 2 || b.rank < 2)
        FAIL("cannot multiply {0} by {1}: a batched @ takes matrices or stacks of them (rank 2 to 4), found rank %d",
             a.rank < 2 ? a.rank : b.rank);
    Extent m = a.d[a.rank - (n->ta ? 1 : 2)], ak = a.d[a.rank - (n->ta ? 2 : 1)];
    Extent bk = b.d[b.rank - (n->tb ? 1 : 2)], nn = b.d[b.rank - (n->tb ? 2 : 1)];
    char e0[32], e1[32];
    if (ak != bk)
        FAIL("cannot multiply {0} by {1}: inner dimensions %s and %s differ", extent_str(g, ak, e0, sizeof e0),
             extent_str(g, bk, e1, sizeof e1));
    if (!shape_broadcast(batch_of(a), batch_of(b), &batch))
        FAIL("cannot multiply {0} by {1}: batch dimensions %s and %s do not broadcast", shape_str(g, batch_of(a)),
             shape_str(g, batch_of(b)));
    *out = batch;
    out->d[out->rank++] = m;
    out->d[out->rank++] = nn;
    return true;
}

/* causal(s[..., T, T]): the same shape; the last two extents equal */
bool sh_causal(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    Shape s = n->in[0]->shape;
    if (n->in[0]->is_int)
        FAIL("{0} holds int labels; causal needs a float tensor");
    if (s.rank < 2 || s.d[s.rank - 1] != s.d[s.rank - 2])
        FAIL("causal masks square matrices s[..., T, T], found {0}");
    (void)g;
    *out = s;
    return true;
}

/* Σ over the batch of op(A) @ op(B): [m, n] (the gradient of a matrix operand
 * of a batched @) */
bool sh_matmul_sum(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    if (!sh_bmatmul(g, n, out, err))
        return false;
    out->d[0] = out->d[out->rank - 2];
    out->d[1] = out->d[out->rank - 1];
    out->rank = 2;
    return true;
}
