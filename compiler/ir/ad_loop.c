/* ad_loop: the derivative of a for-loop (backprop through time). The body is
 * differentiated once, as a graph of its own: the carried values at
 * iteration start are its leaves, the gradient of the values it carries on
 * (d_j) its seeds. The result is the backward region of ir/loop.h, which the
 * emitter runs from the last iteration to the first. */
#include "ad.h"
#include "loop.h"

#define RULE(text) (ad->rule = (text))

void ad_loop_copy(AdCtx *ad, Node *n, Node *g)
{
    RULE("d copy(x) = g");
    ad_accum(ad, n->in[0], g);
}

static Node *make(Graph *g, Node p, const char *rule)
{
    Node *n = ir_make(g, &p, NULL);
    if (!n)
        fail_internal("loop: %s does not fit its shape rule", op_info[p.op].name);
    if (!n->rule)
        n->rule = rule;
    return n;
}

static Node *zeros(Graph *g, Shape s) { return ir_bcast_to(g, ir_const(g, 0), s); }

/* Which forward nodes need a gradient inside the body: a carried value
 * always may (it depends on itself through the iterations). */
static bool *body_needs(AdCtx *main, const Loop *L, int n0)
{
    Graph *g = main->g;
    bool *needs = arena_alloc(g->arena, (size_t)n0 + 1);
    for (int i = 0; i < g->nfwd; i++)
        needs[i] = main->needs[i];
    for (int j = 0; j < L->ncarry; j++)
        needs[L->carry[j]->id] = true;
    for (int i = L->carry[0]->id; i < L->fwd->id; i++)
        for (int k = 0; k < g->nodes[i]->nin; k++)
            needs[i] |= needs[g->nodes[i]->in[k]->id];
    return needs;
}

/* The body's rules in reverse; W[l]'s gradients are collected, not propagated. */
static void sweep_body(AdCtx *sub, const Loop *L, Node **index_grad)
{
    Graph *g = sub->g;
    for (int i = L->fwd->id - 1; i >= L->carry[0]->id; i--) {
        Node *n = g->nodes[i];
        if (!sub->grad[i] || !sub->needs[i] || n->op == OP_LOOP_CARRY)
            continue;
        if (n->op == OP_LOOP_INDEX) {
            index_grad[i] = sub->grad[i];
            continue;
        }
        int before = g->n;
        sub->rule = NULL;
        op_info[n->op].grad(sub, n, sub->grad[i]);
        for (int k = before; k < g->n; k++)
            if (!g->nodes[k]->rule)
                g->nodes[k]->rule = sub->rule;
    }
}

/* A value the reverse loop copies into d_j must not be one of the d's. */
static Node *fresh(Graph *g, Node *x, int k, int j, int tag)
{
    if (x->loop == tag && x->op != OP_LOOP_DCARRY)
        return x;
    Node p = { .op = OP_LOOP_COPY, .nin = 1, .in = { x }, .shape = x->shape, .nints = 2, .ints = { k, j } };
    return make(g, p, "d carried value at iteration start, copied to the previous iteration");
}

static void add_acc(Graph *g, Loop *L, Node p, const char *rule)
{
    Node *n = make(g, p, rule);
    ARENA_PUSH(g->arena, L->acc, L->nacc, L->cacc, n);
}

/* The backward region of loop k; then the gradients it gives flow on. */
static void differentiate(AdCtx *main, Loop *L, int k)
{
    Graph *g = main->g;
    int n0 = g->n, tag = loop_back_tag(k);
    AdCtx sub = { g, arena_alloc(g->arena, sizeof(Node *) * (size_t)(n0 + 1)), body_needs(main, L, n0), NULL };
    Node **index_grad = arena_alloc(g->arena, sizeof(Node *) * (size_t)(n0 + 1));
    g->cur_loop = tag;
    Node back = { .op = OP_LOOP_BACK, .nin = L->ncarry, .nints = 1, .ints = { k }, .span = L->span };
    for (int j = 0; j < L->ncarry; j++) {
        Node *gout = main->grad[L->out[j]->id] ? main->grad[L->out[j]->id] : zeros(g, L->out[j]->shape);
        Node d = { .op = OP_LOOP_DCARRY, .nin = 2, .in = { gout, L->save[j] }, .shape = L->carry[j]->shape, .nints = 2,
                   .ints = { k, j }, .name = arena_printf(g->arena, "d%s", L->names[j]), .span = L->span };
        L->dcarry[j] = back.in[j] = make(g, d, "d carried value at the end of the iteration (the last: the loop's output gradient)");
    }
    for (int j = 0; j < L->ncarry; j++)
        ad_accum(&sub, L->next[j], L->dcarry[j]);
    sweep_body(&sub, L, index_grad);
    for (int j = 0; j < L->ncarry; j++)
        L->dnext[j] = fresh(g, sub.grad[L->carry[j]->id] ? sub.grad[L->carry[j]->id] : zeros(g, L->carry[j]->shape), k, j, tag);
    L->back = make(g, back, "backprop through time: the body's derivative, from the last iteration to the first");
    for (int i = 0; i < L->carry[0]->id; i++)
        if (sub.grad[i])
            add_acc(g, L, (Node){ .op = OP_LOOP_ACC, .nin = 2, .in = { L->back, sub.grad[i] }, .shape = g->nodes[i]->shape,
                                  .nints = 2, .ints = { k, i } },
                    "a tensor the loop reads: its gradients of every iteration add");
    for (int i = L->carry[0]->id; i < L->fwd->id; i++)
        if (index_grad[i])
            add_acc(g, L, (Node){ .op = OP_LOOP_ACC_INDEX, .nin = 2, .in = { L->back, index_grad[i] },
                                  .shape = g->nodes[i]->in[0]->shape, .nints = 3,
                                  .ints = { k, g->nodes[i]->ints[1], g->nodes[i]->in[0]->id } },
                    "W[l]: iteration l's gradient adds into slice l");
    Node *dinit[LOOP_MAX_CARRY];
    for (int j = 0; j < L->ncarry; j++) {
        Node p = { .op = OP_LOOP_DINIT, .nin = 2, .in = { L->back, L->dnext[j] }, .shape = L->carry[j]->shape,
                   .nints = 2, .ints = { k, j }, .span = L->span };
        dinit[j] = make(g, p, "d value before the loop: the carried gradient after the first iteration");
    }
    g->cur_loop = 0;
    L->differentiated = true;
    for (int j = 0; j < L->ncarry; j++)
        ad_accum(main, L->init[j], dinit[j]);
    for (int a = 0; a < L->nacc; a++) {
        Node *acc = L->acc[a];
        ad_accum(main, g->nodes[acc->ints[acc->op == OP_LOOP_ACC ? 1 : 2]], acc);
    }
}

void ad_loop_out(AdCtx *ad, Node *n, Node *g)
{
    (void)g;
    RULE("d loop: the body's derivative, run in reverse over the iterations (backprop through time)");
    Loop *L = &ad->g->loops[n->ints[0]];
    if (!L->differentiated)
        differentiate(ad, L, (int)n->ints[0]);
}
