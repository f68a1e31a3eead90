/* layout: builders of the layout and indexing ops, with their local
 * simplifications (a permutation of a permutation composes, an identity
 * permutation or whole slice is its operand). */
#include "layout.h"

Node *ir_build(Graph *g, Node proto)
{
    ShapeErr err;
    Node *n = ir_make(g, &proto, &err);
    if (!n)
        fail_internal("%s: %s", op_info[proto.op].name, err.msg);
    return n;
}

Node *ir_permute(Graph *g, Node *x, const int *perm)
{
    int p[MAX_RANK];
    int r = x->shape.rank;
    for (int i = 0; i < r; i++)
        p[i] = perm[i];
    if (x->op == OP_PERMUTE) {   /* out i reads x axis p[i], which reads x->in axis ints[p[i]] */
        for (int i = 0; i < r; i++)
            p[i] = (int)x->ints[p[i]];
        x = x->in[0];
    }
    bool identity = true;
    for (int i = 0; i < r; i++)
        identity &= p[i] == i;
    if (identity)
        return x;
    if (r == 2)
        return ir_transpose(g, x);
    Node n = { .op = OP_PERMUTE, .nin = 1, .in = { x }, .nints = r };
    for (int i = 0; i < r; i++)
        n.ints[i] = p[i];
    return ir_build(g, n);
}

Node *ir_swap_axes(Graph *g, Node *x, int a, int b)
{
    int p[MAX_RANK];
    for (int i = 0; i < x->shape.rank; i++)
        p[i] = i == a ? b : i == b ? a : i;
    return ir_permute(g, x, p);
}

Node *ir_slice_axis(Graph *g, Node *x, int ax, Extent off, Extent len)
{
    if (off == 0 && len == x->shape.d[ax])
        return x;
    Node n = { .op = OP_SLICE, .nin = 1, .in = { x }, .nints = 3 * x->shape.rank };
    bool fixed = x->shape.d[ax] > 0 && off >= 0 && len > 0;
    n.ints[3 * ax] = off;
    n.ints[3 * ax + 1] = fixed ? off + len : len;
    n.ints[3 * ax + 2] = fixed ? 0 : SLICE_EXT;
    return ir_build(g, n);
}
