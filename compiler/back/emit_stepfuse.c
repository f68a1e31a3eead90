/* emit_stepfuse: which GEMMs of P_step's backward pass also update the param
 * whose gradient they finish (issue 11: a step reads each parameter once).
 *
 * P_step = P_grad then P_update (SPEC §3). When the statement that writes a
 * param's NAME_grad is a GEMM fusion (C = c X + op(A) op(B), epilogue), and
 * nothing after that statement reads the param or its gradient, the step's
 * copy of the backward pass (P_backward_step_run) computes the gradient in
 * blocks of 64 rows and applies the optimizer to the same rows of the param
 * right after each block, while they are in cache (emit_kernels.c's
 * gemm_update, emit_parallel.c's P_mmu). Each gradient element is computed
 * by the same operations as in P_grad and each param element updated by the
 * same kernel as in P_update, so the result is bit-identical to them. */
#include <string.h>
#include "emit.h"

/* The statement position (node id in its pass) at which r is computed:
 * its own statement, its fusion's root, or -1 when r is computed inline
 * wherever it is read. */
static int stmt_pos(const Plan *p, const Node *r)
{
    if (p->fusion_of[r->id] >= 0)
        return r->id;
    for (int i = 0; i < p->nfusions; i++)
        if (p->fusions[i].kernel == r || p->fusions[i].colsum == r)
            return p->fusions[i].root->id;
    if (p->mat[r->id] && !p->in_fusion[r->id])
        return r->id;
    return -1;
}

static bool reads(const Node *u, const Node *x)
{
    for (int k = 0; k < u->nin; k++)
        if (u->in[k] == x)
            return true;
    return false;
}

/* true when the value of x may be read after the backward statement at
 * `at`: by a later statement of the pass, by a node computed inline in one,
 * or by a copy at the pass's end. seen (by id): nodes already looked at,
 * whose answer was false (each node once: linear in the graph). */
static bool used_after(const Plan *p, const Node *x, int at, bool *seen)
{
    const Graph *g = p->g;
    if (seen[x->id])
        return false;
    seen[x->id] = true;
    for (int i = 0; i < p->ncopies; i++)
        if (p->copies[i].node == x && p->copies[i].phase == PH_BACKWARD)
            return true;
    for (int i = 0; i < g->n; i++) {
        const Node *u = g->nodes[i];
        if (!p->live[i] || !reads(u, x))
            continue;
        const int pos = stmt_pos(p, u);
        if (pos >= 0 ? u->phase == PH_BACKWARD && pos > at : used_after(p, u, at, seen))
            return true;
    }
    return false;
}

/* true when n is the param node of decl d or computed inline from it
 * (seen: nodes already found not to be; each node once) */
static bool from_param(const Plan *p, const Node *n, int d, bool *seen)
{
    if (!n || seen[n->id])
        return false;
    seen[n->id] = true;
    if (n->op == OP_PARAM)
        return n->decl == d;
    if (p->mat[n->id] && stmt_pos(p, n) >= 0)
        return false;
    for (int k = 0; k < n->nin; k++)
        if (from_param(p, n->in[k], d, seen))
            return true;
    return false;
}

/* The gradient index i (g->grads) whose param update P_step fuses into the
 * GEMM fusion f, or -1. scaled: f's addend is c X over a whole buffer (or
 * there is none), the form the blocked GEMM writes block by block. */
int em_step_upd(Emit *e, const Fusion *f, bool scaled)
{
    const Plan *p = e->p;
    const Graph *g = e->g;
    if (!e->step_fuse || f->kernel->op != OP_MATMUL || f->colsum || !scaled || p->home[f->root->id] != HOME_IO ||
        f->root->phase != PH_BACKWARD || f->kernel->in[0]->shape.rank > 2 || f->kernel->in[1]->shape.rank > 2)
        return -1;
    int gi = -1;
    for (int i = 0; i < g->ngrads; i++)
        if (g->decls[g->grads[i].decl].kind == DECL_PARAM && !strcmp(p->field[f->root->id], plan_grad_field(g, i)))
            gi = i;
    if (gi < 0)
        return -1;
    const int d = g->grads[gi].decl, at = f->root->id;
    bool *seen = arena_alloc(g->arena, (size_t)g->n + 1);
    /* the GEMM's operands, bias and mask must not be the param (its rows change block by block) */
    const Node *ins[] = { f->kernel->in[0], f->kernel->in[1], f->bias, f->mask };
    for (size_t k = 0; k < sizeof ins / sizeof *ins; k++)
        if (from_param(p, ins[k], d, seen))
            return -1;
    memset(seen, 0, (size_t)g->n + 1);
    if (used_after(p, f->root, at, seen))
        return -1;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i]->op == OP_PARAM && g->nodes[i]->decl == d && used_after(p, g->nodes[i], at, seen))
            return -1;
    return gi;
}

/* true when a backward statement other than those at a and b lies strictly between them */
static bool statement_between(const Plan *p, int a, int b)
{
    for (int i = a + 1; i < b; i++) {
        const Node *n = p->g->nodes[i];
        const int pos = p->live[i] ? stmt_pos(p, n) : -1;
        if (pos >= 0 && pos != a && pos != b && n->phase == PH_BACKWARD)
            return true;
    }
    return false;
}

/* The product that P_step's GEMM fusion u (one that updates its param: gi, em_step_upd)
 * recomputes in each of its tasks on the host's threads instead of reading it from the
 * statement before (NULL: none): u's B operand when it is a workspace tensor written by the
 * statement right before u, read by u alone (and by its own column sum), a product of
 * constant depth at most 64 (and at most 1/8 of u's rows: the recomputation is cheap) that
 * reads nothing u's update changes. Each task then reads its own copy (P_mmu): B's lines
 * never move between the cores, and the statement never writes lines the other core read
 * the step before (at batch 256 the MLP's dh_pre took 4x its one-thread time so). */
const Fusion *em_step_pre(Emit *e, const Fusion *u, int gi)
{
    const Plan *p = e->p;
    const Node *b = u->kernel->in[1];
    const Fusion *s = p->fusion_of[b->id] >= 0 ? &p->fusions[p->fusion_of[b->id]] : NULL;
    if (!e->step_fuse || gi < 0 || !s || s->kernel->op != OP_MATMUL || s->addend || s->sumsq ||
        p->home[b->id] != HOME_WS || b->phase != PH_BACKWARD || b->shape.rank != 2)
        return NULL;
    const Node *sa = s->kernel->in[0], *ua = u->kernel->in[0];
    if (sa->shape.rank != 2 || s->kernel->in[1]->shape.rank != 2 || ua->shape.rank != 2)
        return NULL;
    const Extent depth = s->kernel->ta ? sa->shape.d[0] : sa->shape.d[1];
    const Extent rows = u->kernel->ta ? ua->shape.d[1] : ua->shape.d[0];
    if (depth < 1 || depth > 64 || rows < 8 * depth)   /* (symbolic extents are negative) */
        return NULL;
    for (int i = 0; i < p->ncopies; i++)
        if (p->copies[i].node == b)
            return NULL;
    for (int i = 0; i < p->g->n; i++) {
        const Node *r = p->g->nodes[i];
        if (p->live[i] && reads(r, b) && r != u->kernel && r != s->colsum)
            return NULL;
    }
    if (statement_between(p, b->id, u->root->id))
        return NULL;
    bool *seen = arena_alloc(p->g->arena, (size_t)p->g->n + 1);
    const Node *ins[] = { s->kernel->in[0], s->kernel->in[1], s->bias, s->mask };
    for (size_t k = 0; k < sizeof ins / sizeof *ins; k++)
        if (from_param(p, ins[k], e->g->grads[gi].decl, seen))
            return NULL;
    return s;
}
