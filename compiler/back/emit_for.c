/* emit_for: for-loops (ir/loop.h). LOOP emits the forward loop with its
 * body, LOOP_BACK the reverse loop: each iteration, from the last, restores
 * the carried values it saved, recomputes the body, runs the body's
 * derivative, adds the gradients of what the loop reads and hands the
 * carried gradient to the iteration before. Every other loop node is
 * written by these two (em_loop_nop). The code does not grow with the
 * number of iterations. */
#include <string.h>
#include "emit.h"
#include "loop.h"

void em_loop_nop(Emit *e, Node *n) { (void)e, (void)n; }

/* The C name of loop k's counter (l<k>: names.c keeps it free). */
static const char *counter(Emit *e, int64_t k) { return arena_printf(e->g->arena, "l%lld", (long long)k); }

static const char *bound(Emit *e, LoopBound b)
{
    return b >= 0 ? arena_printf(e->g->arena, "%lld", (long long)b) : em_extent(e, b);
}

/* The single node as the pass emitting it would (fusion, kernel or loop). */
bool em_loop_skips(const Node *n) { return n->loop && n->op != OP_LOOP && n->op != OP_LOOP_BACK; }

static void emit_node(Emit *e, Node *n)
{
    if (!e->p->live[n->id])
        return;
    if (e->p->fusion_of[n->id] >= 0)
        em_fusion(e, &e->p->fusions[e->p->fusion_of[n->id]]);
    else if (e->p->mat[n->id] && !e->p->in_fusion[n->id])
        op_info[n->op].emit(e, n);
}

/* The forward body: every node of the region from the carried values to LOOP. */
static void emit_body(Emit *e, const Loop *L)
{
    for (int i = L->carry[L->ncarry - 1]->id + 1; i < L->fwd->id; i++)
        emit_node(e, e->g->nodes[i]);
}

static void copy_n(Emit *e, const char *dst, const char *src, Shape s)
{
    em_line(e, "memcpy(%s, %s, (size_t)%s * sizeof(%s));", dst, src, em_numel(e, s), e->real);
}

/* forward: c = init; for l: save c, the body, c = next; out = c */
void em_loop_fwd(Emit *e, Node *n)
{
    const Loop *L = &e->g->loops[n->ints[0]];
    const char *l = counter(e, n->ints[0]);
    em_line(e, "/* for %s in %s..%s: the body once per iteration; carries %s%s%s */", L->var, bound(e, L->lo),
            bound(e, L->hi), L->names[0], L->ncarry > 1 ? ", ..." : "", "");
    for (int j = 0; j < L->ncarry; j++) {
        em_line(e, "/* %s starts as %s */", em_buf(e, L->carry[j]), em_render(e, L->init[j], 1));
        em_fill(e, em_buf(e, L->carry[j]), L->init[j]);
    }
    em_line(e, "for (int64_t %s = %s; %s < %s; %s++) {", l, bound(e, L->lo), l, bound(e, L->hi), l);
    e->indent++;
    for (int j = 0; j < L->ncarry; j++)
        if (e->p->live[L->save[j]->id])
            copy_n(e, arena_printf(e->g->arena, "%s + %s * %s", em_buf(e, L->save[j]), l, em_numel(e, L->carry[j]->shape)),
                   em_buf(e, L->carry[j]), L->carry[j]->shape);
    emit_body(e, L);
    em_line(e, "/* the carried values of the next iteration */");
    for (int j = 0; j < L->ncarry; j++)
        copy_n(e, em_buf(e, L->carry[j]), em_ptr(e, L->next[j]), L->carry[j]->shape);
    e->indent--;
    em_line(e, "}");
    for (int j = 0; j < L->ncarry; j++)
        if (e->p->live[L->out[j]->id])
            copy_n(e, em_buf(e, L->out[j]), em_buf(e, L->carry[j]), L->carry[j]->shape);
}

/* acc += contribution; W[l]'s into slice l */
static void emit_acc(Emit *e, const Node *acc, const char *l)
{
    const char *a = em_buf(e, acc), *c = em_ptr(e, acc->in[1]);
    if (acc->op == OP_LOOP_ACC) {
        em_line(e, "for (int64_t i = 0; i < %s; i++) %s[i] += %s[i];", em_numel(e, acc->shape), a, c);
        return;
    }
    int axis = (int)acc->ints[1];
    Shape outer = { axis, { 0 } }, inner = { acc->shape.rank - axis - 1, { 0 } };
    memcpy(outer.d, acc->shape.d, sizeof(Extent) * (size_t)axis);
    memcpy(inner.d, acc->shape.d + axis + 1, sizeof(Extent) * (size_t)inner.rank);
    const char *ni = em_numel(e, inner), *ext = em_extent(e, acc->shape.d[axis]);
    if (outer.rank == 0) {
        em_line(e, "for (int64_t i = 0; i < %s; i++) %s[%s * %s + i] += %s[i];", ni, a, l, ni, c);
        return;
    }
    em_line(e, "for (int64_t o = 0; o < %s; o++)", em_numel(e, outer));
    em_line(e, "    for (int64_t i = 0; i < %s; i++) %s[(o * %s + %s) * %s + i] += %s[o * %s + i];", ni, a, ext, l, ni, c, ni);
}

/* The backward region's nodes before its last d_j (the seeds' zeros), or after it. */
static void emit_back_nodes(Emit *e, const Loop *L, bool before)
{
    int split = L->dcarry[L->ncarry - 1]->id, first = L->dcarry[0]->id;
    while (first > 0 && e->g->nodes[first - 1]->loop == L->back->loop)
        first--;
    for (int i = before ? first : split + 1; i < (before ? split : L->back->id); i++)
        if (e->g->nodes[i]->op != OP_LOOP_DCARRY)
            emit_node(e, e->g->nodes[i]);
}

/* backward: d = d out; acc = 0; for l from the last: c = saved[l], the body,
 * its derivative, acc += ..., d = d c; d init = d */
void em_loop_back(Emit *e, Node *n)
{
    const Loop *L = &e->g->loops[n->ints[0]];
    const char *l = counter(e, n->ints[0]);
    em_line(e, "/* for %s in %s..%s, backward: from the last iteration to the first */", L->var, bound(e, L->lo),
            bound(e, L->hi));
    emit_back_nodes(e, L, true);
    for (int j = 0; j < L->ncarry; j++) {
        em_line(e, "/* %s starts as the gradient of the loop's %s */", em_buf(e, L->dcarry[j]), L->names[j]);
        em_fill(e, em_buf(e, L->dcarry[j]), L->dcarry[j]->in[0]);
    }
    for (int a = 0; a < L->nacc; a++)
        if (e->p->live[L->acc[a]->id])
            em_line(e, "memset(%s, 0, (size_t)%s * sizeof(%s));", em_buf(e, L->acc[a]), em_numel(e, L->acc[a]->shape), e->real);
    em_line(e, "for (int64_t %s = %s - 1; %s >= %s; %s--) {", l, bound(e, L->hi), l, bound(e, L->lo), l);
    e->indent++;
    em_line(e, "/* the carried values this iteration started from, and its body again */");
    for (int j = 0; j < L->ncarry; j++)
        copy_n(e, em_buf(e, L->carry[j]),
               arena_printf(e->g->arena, "%s + %s * %s", em_buf(e, L->save[j]), l, em_numel(e, L->carry[j]->shape)),
               L->carry[j]->shape);
    emit_body(e, L);
    em_line(e, "/* the body's derivative */");
    emit_back_nodes(e, L, false);
    for (int a = 0; a < L->nacc; a++)
        if (e->p->live[L->acc[a]->id])
            emit_acc(e, L->acc[a], l);
    em_line(e, "/* the carried gradients, for the iteration before */");
    for (int j = 0; j < L->ncarry; j++)
        copy_n(e, em_buf(e, L->dcarry[j]), em_ptr(e, L->dnext[j]), L->carry[j]->shape);
    e->indent--;
    em_line(e, "}");
    for (int i = n->id + 1; i < e->g->n && e->g->nodes[i]->loop == n->loop; i++)
        if (e->g->nodes[i]->op == OP_LOOP_DINIT && e->p->live[i])
            copy_n(e, em_buf(e, e->g->nodes[i]), em_buf(e, L->dcarry[e->g->nodes[i]->ints[1]]), e->g->nodes[i]->shape);
}

/* W[l]: slice l of axis `axis`, copied (kernels read it as a buffer) */
void em_loop_index(Emit *e, Node *n)
{
    int axis = (int)n->ints[1];
    const Node *w = n->in[0];
    Shape outer = { axis, { 0 } }, inner = { w->shape.rank - axis - 1, { 0 } };
    memcpy(outer.d, w->shape.d, sizeof(Extent) * (size_t)axis);
    memcpy(inner.d, w->shape.d + axis + 1, sizeof(Extent) * (size_t)inner.rank);
    const char *ni = em_numel(e, inner), *ext = em_extent(e, w->shape.d[axis]), *l = counter(e, n->ints[0]);
    em_comment(e, n);
    if (outer.rank == 0) {
        em_line(e, "memcpy(%s, %s + %s * %s, (size_t)%s * sizeof(%s));", em_buf(e, n), em_ptr(e, w), l, ni, ni, e->real);
        return;
    }
    em_line(e, "for (int64_t o = 0; o < %s; o++)", em_numel(e, outer));
    em_line(e, "    memcpy(%s + o * %s, %s + (o * %s + %s) * %s, (size_t)%s * sizeof(%s));", em_buf(e, n), ni,
            em_ptr(e, w), ext, l, ni, ni, e->real);
}

/* a copy, so that the carried values of the next iteration never alias */
void em_loop_copy(Emit *e, Node *n) { em_copy(e, em_buf(e, n), n->in[0]); }

/* ---- explain ---- */

static const char *bounds_text(Emit *e, const Loop *L)
{
    char a[64], b[64];
    return arena_printf(e->g->arena, "%s..%s", L->lo >= 0 ? arena_printf(e->g->arena, "%lld", (long long)L->lo) : extent_str(e->g, L->lo, a, sizeof a),
                        L->hi >= 0 ? arena_printf(e->g->arena, "%lld", (long long)L->hi) : extent_str(e->g, L->hi, b, sizeof b));
}

bool explain_loop(Emit *e, const Node *n, FILE *out)
{
    if (!n->loop)
        return false;
    const Loop *L = &e->g->loops[loop_index_of(n)];
    bool back = loop_is_back(n);
    const Node *first = back ? L->dcarry[0] : L->carry[0];
    if (n == first) {
        fprintf(out, "%*s  for %s in %s%s {   # %s\n", 4 * e->indent, "", L->var, bounds_text(e, L), back ? ", in reverse" : "",
                back ? "each iteration restores its carried values, recomputes the body, then runs this"
                     : "the carried values are saved per iteration, for the backward pass");
        e->indent++;
    }
    if (n->op == OP_LOOP || n->op == OP_LOOP_BACK) {
        e->indent--;
        fprintf(out, "%*s  }\n", 4 * e->indent, "");
        return true;
    }
    return n->op == OP_LOOP_SAVE;
}
