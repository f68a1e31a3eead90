/* ad_bmm: derivative rules of issue 9's batched-matmul group — batched @,
 * softmax and log_softmax over any axis, var, causal. */
#include "ad.h"

#define RULE(text) (ad->rule = (text))
#define BIN(op, a, b) ir_binary(ad->g, OP_##op, (a), (b))
#define K(v) ir_const(ad->g, (v))
#define X (n->in[0])
#define Y (n->in[1])

void ad_bmatmul(AdCtx *ad, Node *n, Node *g);

/* x @ y with the last two axes of x (tx) / y (ty) swapped: one MATMUL node */
static Node *mm(AdCtx *ad, Node *x, bool tx, Node *y, bool ty)
{
    ShapeErr err;
    Node *r = ir_make(ad->g, &(Node){ .op = OP_MATMUL, .nin = 2, .in = { x, y }, .ta = tx, .tb = ty }, &err);
    if (!r)
        fail_internal("batched matmul gradient: %s", err.msg);
    return r;
}

/* v summed over the axes it has beyond `to` and those `to` has at extent 1
 * (the axes a broadcast stretched), reshaped to `to` */
static Node *sum_to(AdCtx *ad, Node *v, Shape to)
{
    int lead = v->shape.rank - to.rank, axes = (1 << lead) - 1;
    for (int i = lead; i < v->shape.rank; i++)
        if (to.d[i - lead] == 1 && v->shape.d[i] != 1)
            axes |= 1 << i;
    return ir_reshape(ad->g, ir_reduce(ad->g, OP_SUM, v, axes), to);
}

/* Σ over the batch of op(x) @ op(y): a matrix, for an operand the batch was broadcast over */
static Node *mm_sum(AdCtx *ad, Node *x, bool tx, Node *y, bool ty)
{
    ShapeErr err;
    Node *r = ir_make(ad->g, &(Node){ .op = OP_MATMUL_SUM, .nin = 2, .in = { x, y }, .ta = tx, .tb = ty }, &err);
    if (!r)
        fail_internal("batched matmul gradient: %s", err.msg);
    return r;
}

/* C = op(A) @ op(B), batched: gA = g @ op(B)ᵀ, gB = op(A)ᵀ @ g, each summed over
 * the batch axes its operand was broadcast along; a plain-matrix operand's
 * gradient is the batch-summed product (matmul_batch_sum: Aᵀ @ g is one GEMM
 * with the batch folded into the inner dimension). With ta, gA is built
 * transposed (op(B) @ gᵀ), with tb gB (gᵀ @ op(A)): no transpose copies. */
void ad_bmatmul(AdCtx *ad, Node *n, Node *g)
{
    RULE("d(A @ B), batched: gA = g @ Bᵀ, gB = Aᵀ @ g, each summed over the batch axes it was broadcast along "
         "(a matrix operand: one GEMM over the batch folded into its inner dimension)");
    bool ta = n->ta, tb = n->tb;
    if (ad->needs[X->id]) {
        Node *ga;
        if (X->shape.rank == 2)
            ga = ta ? mm_sum(ad, Y, tb, g, true) : mm_sum(ad, g, false, Y, !tb);
        else
            ga = sum_to(ad, ta ? mm(ad, Y, tb, g, true) : mm(ad, g, false, Y, !tb), X->shape);
        ad_accum(ad, X, ga);
    }
    if (ad->needs[Y->id]) {
        Node *gb;
        if (Y->shape.rank == 2)
            gb = tb ? mm_sum(ad, g, true, X, ta) : mm_sum(ad, X, !ta, g, false);
        else
            gb = sum_to(ad, tb ? mm(ad, g, true, X, ta) : mm(ad, X, !ta, g, false), Y->shape);
        ad_accum(ad, Y, gb);
    }
}

/* the only axis set in n->axes */
static int axis_of(const Node *n)
{
    int k = 0;
    while (!(n->axes & 1 << k))
        k++;
    return k;
}

/* v (the shape of n's input) summed over `axes` and broadcast back */
static Node *sum_back(AdCtx *ad, Node *v, int axes)
{
    int8_t map[MAX_RANK];
    for (int i = 0, k = 0; i < v->shape.rank; i++)
        map[i] = (int8_t)(axes & 1 << i ? -1 : k++);
    return ir_bcast_map(ad->g, ir_reduce(ad->g, OP_SUM, v, axes), v->shape, map);
}

/* d softmax(x, axis=k) = y * (g - Σ_k g*y) */
void ad_softmax_ax(AdCtx *ad, Node *n, Node *g)
{
    RULE("d softmax(x, axis=k) = y * (g - sum(g * y, axis=k)), y = softmax(x, axis=k)");
    ad_accum(ad, X, ir_make(ad->g, &(Node){ .op = OP_SOFTMAX_AX_GRAD, .nin = 2, .in = { n, g }, .axes = n->axes }, NULL));
}

/* d log_softmax(x, axis=k) = g - exp(y) * Σ_k g */
void ad_log_softmax_ax(AdCtx *ad, Node *n, Node *g)
{
    RULE("d log_softmax(x, axis=k) = g - softmax(x, axis=k) * sum(g, axis=k)");
    ad_accum(ad, X, BIN(SUB, g, BIN(MUL, ir_unary(ad->g, OP_EXP, n), sum_back(ad, g, 1 << axis_of(n)))));
}

/* d var(x) = g * 2 (x - mean(x)) / n, n the count of the reduced elements */
void ad_var(AdCtx *ad, Node *n, Node *g)
{
    RULE("d var(x) = g * 2 * (x - mean(x)) / n, n the number of elements each variance reduces");
    Shape counted = { 0, { 0 } };
    int8_t map[MAX_RANK];
    for (int i = 0, k = 0; i < X->shape.rank; i++) {
        map[i] = (int8_t)(n->axes & 1 << i ? -1 : k++);
        if (n->axes & 1 << i)
            counted.d[counted.rank++] = X->shape.d[i];
    }
    Node *cnt = ir_count(ad->g, counted);
    Node *mean = BIN(DIV, ir_reduce(ad->g, OP_SUM, X, n->axes), cnt);
    Node *dev = BIN(SUB, X, ir_bcast_map(ad->g, mean, X->shape, map));
    Node *scale = BIN(DIV, BIN(MUL, K(2), g), cnt);
    ad_accum(ad, X, BIN(MUL, ir_bcast_map(ad->g, scale, X->shape, map), dev));
}

/* d causal(s) = g on and below the diagonal, 0 above */
void ad_causal(AdCtx *ad, Node *n, Node *g)
{
    RULE("d causal(s) = g where j <= i (on and below the diagonal), 0 above it");
    ad_accum(ad, X, ir_make(ad->g, &(Node){ .op = OP_CAUSAL_GRAD, .nin = 1, .in = { g } }, NULL));
}
