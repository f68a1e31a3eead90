/* verify: the IR's invariants, checked between passes in debug builds. */
#include <stdio.h>
#include "ir.h"

/* Why n breaks an invariant, into msg; false when it holds them all. */
static bool node_broken(const Graph *g, int i, char *msg, size_t len)
{
    const Node *n = g->nodes[i];
    if (!n || n->id != i)
        return snprintf(msg, len, "node %d: id %d out of place", i, n ? n->id : -1), true;
    if ((unsigned)n->op >= OP_COUNT_)
        return snprintf(msg, len, "node %d: op %d unknown", i, (int)n->op), true;
    const OpInfo *op = &op_info[n->op];
    if (n->nin < 0 || n->nin > MAX_IN || (op->arity != ARITY_N && n->nin != op->arity))
        return snprintf(msg, len, "node %d: %s with %d inputs (arity %d)", i, op->name, n->nin, op->arity), true;
    for (int k = 0; k < n->nin; k++) {
        const Node *x = n->in[k];
        if (!x || x->id < 0 || x->id >= g->n || g->nodes[x->id] != x)
            return snprintf(msg, len, "node %d: input %d dangles", i, k), true;
        if (x->id >= i)
            return snprintf(msg, len, "node %d: input %d is node %d, not before it", i, k, x->id), true;
    }
    Shape s;
    ShapeErr err;
    if (!op->shape(g, n, &s, &err))
        return snprintf(msg, len, "node %d: %s fails its shape rule: %s", i, op->name, err.msg), true;
    if (!shape_eq(s, n->shape))
        return snprintf(msg, len, "node %d: %s has shape %s, its rule gives %s", i, op->name,
                        shape_str(g, n->shape), shape_str(g, s)), true;
    return false;
}

bool ir_verify(const Graph *g, char *msg, size_t len)
{
    for (int i = 0; i < g->n; i++)
        if (node_broken(g, i, msg, len))
            return false;
    for (int i = 0; i < g->noutputs; i++)
        if (!g->outputs[i].node || g->nodes[g->outputs[i].node->id] != g->outputs[i].node)
            return snprintf(msg, len, "output '%s' dangles", g->outputs[i].name), false;
    return true;
}

void ir_check(const Graph *g, const char *after)
{
#ifndef NDEBUG
    char msg[512];
    if (!ir_verify(g, msg, sizeof msg))
        fail_internal("IR invalid after %s: %s", after, msg);
#else
    (void)g;
    (void)after;
#endif
}
