/* ad: the reverse-mode driver — which nodes need a gradient, the backward
 * sweep in reverse topological order, and accumulation of repeated uses. */
#include <string.h>
#include "ad.h"

void ad_accum(AdCtx *ad, Node *x, Node *gx)
{
    if (!ad->needs[x->id])
        return;
    Graph *g = ad->g;
    int before = g->n;
    if (!ad->grad[x->id]) {
        ad->grad[x->id] = gx;
    } else {
        ad->grad[x->id] = ir_binary(g, OP_ADD, ad->grad[x->id], gx);
        if (g->n > before)
            g->nodes[g->n - 1]->rule = "accumulate: the value is used more than once, its gradients add";
    }
}

/* needs[i]: node i depends on a wrt tensor (a forward sweep, no recursion). */
static void mark_needs(Graph *g, bool *needs)
{
    for (int i = 0; i < g->ngrads; i++)
        needs[g->decls[g->grads[i].decl].node->id] = true;
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i]->nin; k++)
            needs[i] |= needs[g->nodes[i]->in[k]->id];
}

/* The seed: d T / d T = 1 for a scalar; otherwise the caller's T_grad_in. */
static Node *seed(Graph *g)
{
    if (g->target->shape.rank == 0)
        return ir_const(g, 1);
    Node p = { .op = OP_GRADIN, .shape = g->target->shape, .name = arena_printf(g->arena, "%s_grad_in", g->target_name),
               .span = g->target_span, .decl = -1 };
    g->grad_in = ir_make(g, &p, NULL);
    return g->grad_in;
}

static void run_rule(AdCtx *ad, Node *n)
{
    Graph *g = ad->g;
    int before = g->n;
    ad->rule = NULL;
    op_info[n->op].grad(ad, n, ad->grad[n->id]);
    for (int i = before; i < g->n; i++) {
        if (!g->nodes[i]->rule)
            g->nodes[i]->rule = ad->rule;
        if (!g->nodes[i]->line)   /* the backward code of a statement is on its line */
            g->nodes[i]->line = n->line;
    }
}

/* The gradient of a named tensor h is called dh in dumps and generated code. */
static void name_grads(Graph *g, AdCtx *ad, int nfwd)
{
    for (int i = 0; i < nfwd; i++) {
        Node *n = g->nodes[i], *d = ad->grad[i];
        if (n->name && d && !d->name && d->id >= nfwd && op_info[d->op].kind != K_VIEW)
            d->name = arena_printf(g->arena, "d%s", n->name);
    }
}

void ad_run(Graph *g)
{
    if (!g->target)
        return;
    g->nfwd = g->n;
    g->building = PH_BACKWARD;
    AdCtx ad = { g, NULL, NULL, NULL };
    int nfwd = g->n;
    ad.needs = arena_alloc(g->arena, (size_t)nfwd);
    ad.grad = arena_alloc(g->arena, sizeof(Node *) * (size_t)nfwd);
    mark_needs(g, ad.needs);
    ad.grad[g->target->id] = seed(g);
    for (int i = g->target->id; i >= 0; i--) {
        Node *n = g->nodes[i];
        if (ad.grad[i] && ad.needs[i] && n->nin > 0)
            run_rule(&ad, n);
    }
    name_grads(g, &ad, nfwd);
    for (int i = 0; i < g->ngrads; i++) {
        Node *leaf = g->decls[g->grads[i].decl].node;
        Node *gr = ad.grad[leaf->id];
        g->grads[i].node = gr ? gr : ir_bcast_to(g, ir_const(g, 0), leaf->shape);
    }
}
