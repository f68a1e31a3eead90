/* shape_norm: shape rules of the normalization and dropout ops (ops.def,
 * "normalization and dropout"), and the names of batchnorm's state fields.
 * The lowering (lower_expr.c) checks gamma and beta with messages in the
 * language's terms; these rules give the result shapes. */
#include <stdio.h>
#include <string.h>
#include "ir.h"

#define FAIL(...) return snprintf(err->msg, sizeof err->msg, __VA_ARGS__), false

/* [..., D] -> [..., 2]: (mean, rstd) of each row of the last axis */
bool sh_ln_stats(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape s = n->in[0]->shape;
    if (n->in[0]->is_int)
        FAIL("{0} holds int labels; layernorm needs a float tensor");
    if (s.rank < 1)
        FAIL("layernorm needs at least one axis, found the scalar {0}");
    s.d[s.rank - 1] = 2;
    *out = s;
    return true;
}

/* [N, C, ...] -> [2, C]: (mean, variance) of each channel (axis 1) */
bool sh_bn_stats(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape s = n->in[0]->shape;
    if (n->in[0]->is_int)
        FAIL("{0} holds int labels; batchnorm needs a float tensor");
    if (s.rank < 2)
        FAIL("batchnorm needs a batch axis and a channel axis (rank 2 to 4), found {0}");
    *out = (Shape){ 2, { 2, s.d[1] } };
    return true;
}

/* The result has the shape of input 0 (x, or the upstream gradient). */
bool sh_norm(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    if (n->in[0]->is_int)
        FAIL("{0} holds int labels; %s needs a float tensor", op_info[n->op].name);
    *out = n->in[0]->shape;
    return true;
}

/* The tensor a batchnorm's running statistics belong to: the name bound to
 * the batchnorm (h in h = batchnorm(...)), else "batchnorm<k>", k its index. */
const char *norm_state_of(const Graph *g, const Node *stats)
{
    for (int i = stats->id + 1; i < g->n; i++) {
        const Node *n = g->nodes[i];
        if (n->op == OP_BATCHNORM && n->in[1] == stats && n->name)
            return n->name;
    }
    return arena_printf(g->arena, "batchnorm%d", stats->decl);
}

bool ir_has_op(const Graph *g, OpKind op)
{
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i]->op == op)
            return true;
    return false;
}
