/* plan_loop: lifetimes across for-loops. A loop's forward region runs once
 * per iteration and its backward region recomputes the forward one, so the
 * schedule's order inside them is not the order of execution: every node of
 * either region, and every node they read, is kept alive until the end of
 * the loop's last region. No buffer of a loop is then shared with anything
 * that runs while the loop does. */
#include "loop.h"
#include "plan.h"

static void extend(int *last, int id, int end)
{
    if (last[id] < end)
        last[id] = end;
}

void plan_loop_lifetimes(const Plan *p, int *last)
{
    const Graph *g = p->g;
    if (!g->nloops)
        return;
    int *end = arena_alloc(g->arena, sizeof(int) * (size_t)g->nloops);
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i]->loop)
            end[loop_index_of(g->nodes[i])] = i;
    for (int i = 0; i < g->n; i++) {
        const Node *n = g->nodes[i];
        if (!n->loop || !p->live[i])
            continue;
        int e = end[loop_index_of(n)];
        extend(last, i, e);
        for (int k = 0; k < n->nin; k++)
            extend(last, n->in[k]->id, e);
    }
}

void plan_loop_live(Plan *p, const Node *n)
{
    if (n->op != OP_LOOP && n->op != OP_LOOP_BACK)
        return;
    const Loop *L = &p->g->loops[n->ints[0]];
    for (int j = 0; j < L->ncarry; j++) {
        p->live[L->carry[j]->id] = p->live[L->next[j]->id] = true;
        if (n->op == OP_LOOP_BACK)
            p->live[L->dcarry[j]->id] = p->live[L->dnext[j]->id] = p->live[L->save[j]->id] = true;
    }
}
