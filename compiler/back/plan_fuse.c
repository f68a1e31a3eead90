/* plan_fuse: kernels that finish their result in one pass — the GEMM
 * epilogue (bias, relu, the relu mask of backward, accumulation into an
 * addend) and the scaled softmax cross-entropy gradient — each optionally
 * summing its result's columns (a bias gradient) on the way — and the causal
 * softmax (scaled scores) with its gradient, a pass per row. */
#include "plan.h"

static bool live_same_phase(const Plan *p, const Node *a, const Node *b)
{
    return p->live[a->id] && p->live[b->id] && a->phase == b->phase && a->loop == b->loop;
}

/* n is a result in its own right: an output, the target or a gradient, whose
 * value must exist after the pass (emit copies it to its io field). */
static bool is_result(const Plan *p, const Node *n)
{
    const Graph *g = p->g;
    bool r = g->target == n;
    for (int i = 0; i < g->noutputs; i++)
        r |= g->outputs[i].node == n;
    for (int i = 0; i < g->ngrads; i++)
        r |= g->grads[i].node == n;
    return r;
}

/* The only live consumer of n in its phase, or NULL; NULL too when n is a result,
 * which no fusion may leave without a buffer (dw11 = dh8 @ x12 both w11's gradient
 * and, plus 1, the addend of h2's: fused as E + A@B, the product had no value of its
 * own to copy into w11_grad, and the emitter crashed). */
static Node *sole_consumer(const Plan *p, const Node *n, const int *consumer)
{
    if (p->uses[n->id] != 1 || consumer[n->id] < 0 || is_result(p, n))
        return NULL;
    Node *c = p->g->nodes[consumer[n->id]];
    return live_same_phase(p, n, c) ? c : NULL;
}

static bool has_pointer(const Plan *p, const Node *n)
{
    return op_has(n->op, F_DATA) || p->mat[n->id];
}

/* The other operand of a binary op c, one of whose operands is x. */
static Node *other(const Node *c, const Node *x) { return c->in[0] == x ? c->in[1] : c->in[0]; }

/* b broadcasts a vector over the rows of a matrix: [n] -> [m, n] (or over the
 * rows of a stack whose batch folds into rows: [n] -> [..., m, n]). */
static bool row_bias(const Node *b, const Node *x)
{
    int r = b->shape.rank;
    if (b->op != OP_BCAST || r < 2 || b->in[0]->shape.rank != 1 || b->map[r - 1] != 0 || b->in[0]->is_int ||
        b->in[0]->shape.d[0] != x->shape.d[r - 1])
        return false;
    for (int i = 0; i + 1 < r; i++)
        if (b->map[i] != -1)
            return false;
    return true;
}

/* A sum over every axis but the last of root (its rows' column sums), computed
 * in the same phase. */
static Node *find_colsum(const Plan *p, const Node *root)
{
    const Graph *g = p->g;
    int rows = (1 << (root->shape.rank - 1)) - 1;
    for (int i = root->id + 1; i < g->n; i++) {
        Node *n = g->nodes[i];
        if (n->op == OP_SUM && n->in[0] == root && n->axes == rows && root->shape.rank >= 2 && live_same_phase(p, root, n))
            return n;
    }
    return NULL;
}

/* A product that is one GEMM writing a [rows, n] matrix: rank 2, or a stack
 * times a matrix with the batch folded into the rows (emit_bmm.c). */
static bool one_gemm(const Node *mm)
{
    const Node *a = mm->in[0], *b = mm->in[1];
    return mm->shape.rank == 2 || (a->shape.rank > 2 && b->shape.rank == 2 && !mm->ta);
}

/* Record fusion f. with_colsum: its emitter also sums the root's columns (the GEMM's
 * epilogue, the cross-entropy gradient), so a column sum of the root joins it; the
 * causal-softmax passes compute none (joined, sum(softmax(causal(x)), axis=0) was
 * skipped and read an unwritten buffer). */
static void add_fusion(Plan *p, Fusion f, bool with_colsum)
{
    f.colsum = with_colsum ? find_colsum(p, f.root) : NULL;
    ARENA_PUSH(p->g->arena, p->fusions, p->nfusions, p->cfusions, f);
    p->fusion_of[f.root->id] = p->nfusions - 1;
    p->mat[f.kernel->id] = false;
    p->mat[f.root->id] = true;   /* (the kernel itself when only a sum of squares joins it) */
    p->in_fusion[f.kernel->id] = f.kernel != f.root;
    if (f.colsum)
        p->in_fusion[f.colsum->id] = true;
}

/* A full sum(B * B) or sum(B²) over param B, after the product mm = A @ B in its
 * phase, whose product is fused into the sum's loop, when A can be one row (its rows a
 * symbolic dim or 1): at batch 1 the GEMM reads B once for both (emit: P_gemm and P_dot
 * in blocks of B's rows while they are in L1; the L2 term's second pass over W1 was
 * 15-17 % of the 784-256-10 MLP's step). NULL when there is none, or B is the weight of
 * an earlier product's sumsq already. */
static Node *find_sumsq(const Plan *p, const Node *mm)
{
    const Node *a = mm->in[0], *b = mm->in[1];
    if (mm->shape.rank != 2 || a->shape.rank != 2 || mm->ta || mm->tb || b->op != OP_PARAM || mm->loop ||
        a->shape.d[0] > 1)
        return NULL;
    for (int k = 0; k < p->nfusions; k++)
        if (p->fusions[k].sumsq && p->fusions[k].kernel->in[1] == b)
            return NULL;
    const Graph *g = p->g;
    for (int i = mm->id + 1; i < g->n; i++) {
        Node *n = g->nodes[i], *x = n->op == OP_SUM ? n->in[0] : NULL;
        if (x && n->shape.rank == 0 && live_same_phase(p, mm, n) && !p->mat[x->id] && !n->loop &&
            ((x->op == OP_MUL && x->in[0] == b && x->in[1] == b) || (x->op == OP_SQUARE && x->in[0] == b)))
            return n;
    }
    return NULL;
}

/* root = mask(relu(A@B + bias)) or E + A@B */
static void fuse_gemm(Plan *p, Node *mm, const int *consumer)
{
    Fusion f = { .root = mm, .kernel = mm, .sumsq = find_sumsq(p, mm) };
    Node *c = one_gemm(mm) ? sole_consumer(p, mm, consumer) : NULL;
    if (c && (p->fusion_of[c->id] >= 0 || p->in_fusion[c->id]))
        return;   /* A@B + C@D: the first product takes the sum, the second is its addend */
    if (c && c->op == OP_ADD && row_bias(other(c, mm), mm) && has_pointer(p, other(c, mm)->in[0])) {
        f.bias = other(c, mm)->in[0];
        f.root = c;
    } else if (c && c->op == OP_ADD && shape_eq(other(c, mm)->shape, mm->shape) && other(c, mm) != mm) {
        f.sumsq = NULL;   /* C = E + A@B: P_gemm's beta = 1 */
        f.addend = other(c, mm);
        f.root = c;
        add_fusion(p, f, true);
        return;
    }
    if (f.root != mm)
        c = sole_consumer(p, f.root, consumer);
    Node *bias_add = f.root;
    if (c && c->op == OP_RELU && c->in[0] == f.root) {
        f.relu = true;
        f.root = c;
    } else if (c && c->op == OP_MASK_GT0 && c->in[0] == f.root && has_pointer(p, c->in[1])) {
        f.mask = c->in[1];
        f.root = c;
    }
    if (bias_add != mm && bias_add != f.root) {   /* computed inside the pass, no buffer */
        p->in_fusion[bias_add->id] = true;
        p->mat[bias_add->id] = false;
    }
    if (f.root != mm || f.sumsq)
        add_fusion(p, f, true);
}

/* The rank-0 factor of c = x * scale (either side, through broadcasts), or NULL. */
static Node *scale_of(const Node *c, const Node *x)
{
    if (c->op != OP_MUL || !shape_eq(x->shape, c->shape))
        return NULL;
    Node *s = other(c, x);
    while (s->op == OP_BCAST)
        s = s->in[0];
    return s->shape.rank == 0 && s != x ? s : NULL;
}

/* root = xent_grad(s, y) * scale */
static void fuse_xent_grad(Plan *p, Node *xg, const int *consumer)
{
    Node *c = sole_consumer(p, xg, consumer), *s = c ? scale_of(c, xg) : NULL;
    if (s)
        add_fusion(p, (Fusion){ .root = c, .kernel = xg, .scale = s }, true);
}

/* A softmax over the last axis of n's result. */
static bool last_axis_softmax(const Node *n)
{
    return n->op == OP_SOFTMAX || (n->op == OP_SOFTMAX_AX && n->axes == 1 << (n->shape.rank - 1));
}

/* root = softmax(causal(s * scale)) or softmax(causal(s)), s a buffer and scale
 * a rank-0 factor: one pass over each row's unmasked entries (emit_bmm.c) */
static void fuse_causal_softmax(Plan *p, Node *cm, const int *consumer)
{
    Node *c = sole_consumer(p, cm, consumer), *x = cm->in[0];
    if (!c || !last_axis_softmax(c) || p->fusion_of[c->id] >= 0 || p->in_fusion[c->id])
        return;
    Fusion f = { .root = c, .kernel = cm };
    if (x->op == OP_MUL && sole_consumer(p, x, consumer) == cm && p->fusion_of[x->id] < 0 && !p->in_fusion[x->id]) {
        for (int k = 0; k < 2 && !f.scale; k++)
            if (has_pointer(p, x->in[k]))
                f.scale = scale_of(x, x->in[k]);
        if (f.scale) {   /* computed inside the pass, no buffer */
            p->in_fusion[x->id] = true;
            p->mat[x->id] = false;
        }
    }
    if (f.scale || has_pointer(p, x))
        add_fusion(p, f, false);
}

/* root = causal_grad(softmax_axis_grad(y, g)) * scale, or without the factor, over the
 * last axis, y and g buffers: one pass over each row (emit_bmm.c), the backward of
 * fuse_causal_softmax */
static void fuse_causal_softmax_grad(Plan *p, Node *sg, const int *consumer)
{
    Node *cg = sole_consumer(p, sg, consumer);
    if (sg->axes != 1 << (sg->shape.rank - 1) || !cg || cg->op != OP_CAUSAL_GRAD || p->fusion_of[cg->id] >= 0 ||
        p->in_fusion[cg->id] || !has_pointer(p, sg->in[0]) || !has_pointer(p, sg->in[1]))
        return;
    Fusion f = { .root = cg, .kernel = sg };
    Node *c = sole_consumer(p, cg, consumer);
    if (c && p->fusion_of[c->id] < 0 && !p->in_fusion[c->id] && (f.scale = scale_of(c, cg))) {
        f.root = c;
        p->in_fusion[cg->id] = true;   /* computed inside the pass, no buffer */
        p->mat[cg->id] = false;
    }
    add_fusion(p, f, false);
}

void plan_fuse(Plan *p, const int *consumer)
{
    Graph *g = p->g;
    p->fusion_of = arena_alloc(g->arena, sizeof(int) * (size_t)(g->n + 1));
    p->in_fusion = arena_alloc(g->arena, (size_t)g->n + 1);
    for (int i = 0; i < g->n; i++)
        p->fusion_of[i] = -1;
    if (!p->fuse)
        return;
    for (int i = 0; i < g->n; i++) {
        Node *n = g->nodes[i];
        if (!p->live[i] || p->fusion_of[i] >= 0)
            continue;
        if (n->op == OP_MATMUL)
            fuse_gemm(p, n, consumer);
        else if (n->op == OP_XENT_GRAD)
            fuse_xent_grad(p, n, consumer);
        else if (n->op == OP_CAUSAL)
            fuse_causal_softmax(p, n, consumer);
        else if (n->op == OP_SOFTMAX_AX_GRAD)
            fuse_causal_softmax_grad(p, n, consumer);
    }
}
