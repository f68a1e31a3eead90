/* ad_rules: one derivative rule per op (the ad_* column of ops.def). Each
 * receives the node n and the gradient g of its output, and adds the
 * gradient of each input with ad_accum. Shapes are explicit in the IR, so a
 * rule's results already have their input's shape. */
#include "ad.h"

#define RULE(text) (ad->rule = (text))
#define BIN(op, a, b) ir_binary(ad->g, OP_##op, (a), (b))
#define UN(op, a) ir_unary(ad->g, OP_##op, (a))
#define K(v) ir_const(ad->g, (v))
#define X (n->in[0])
#define Y (n->in[1])

void ad_none(AdCtx *ad, Node *n, Node *g) { (void)ad, (void)n, (void)g; }

/* d(a+b): ga = g, gb = g */
void ad_add(AdCtx *ad, Node *n, Node *g)
{
    RULE("d(a + b) = da + db: both operands receive g");
    ad_accum(ad, X, g);
    ad_accum(ad, Y, g);
}

/* d(a-b): ga = g, gb = -g */
void ad_sub(AdCtx *ad, Node *n, Node *g)
{
    RULE("d(a - b): ga = g, gb = -g");
    ad_accum(ad, X, g);
    ad_accum(ad, Y, UN(NEG, g));
}

/* d(a*b): ga = g*b, gb = g*a */
void ad_mul(AdCtx *ad, Node *n, Node *g)
{
    RULE("d(a * b): ga = g * b, gb = g * a");
    ad_accum(ad, X, BIN(MUL, g, Y));
    ad_accum(ad, Y, BIN(MUL, g, X));
}

/* d(a/b): ga = g/b, gb = -g*a/b² = -g*y/b */
void ad_div(AdCtx *ad, Node *n, Node *g)
{
    RULE("d(a / b): ga = g / b, gb = -g * (a / b) / b");
    ad_accum(ad, X, BIN(DIV, g, Y));
    if (ad->needs[Y->id])
        ad_accum(ad, Y, UN(NEG, BIN(DIV, BIN(MUL, g, n), Y)));
}

/* g's share for the larger (sel = a > b) operand: all of it, half at a tie
 * (PyTorch's torch.maximum / torch.minimum convention) */
static Node *tie_share(AdCtx *ad, Node *g, Node *wins, Node *tie)
{
    return BIN(MUL, g, BIN(ADD, wins, BIN(MUL, K(0.5), tie)));
}

/* d max(a,b): g goes to the larger, half to each at a tie */
void ad_max2(AdCtx *ad, Node *n, Node *g)
{
    RULE("d max(a, b): g flows to the larger operand (half to each on a tie)");
    Node *tie = BIN(EQ, X, Y);
    ad_accum(ad, X, tie_share(ad, g, BIN(GT, X, Y), tie));
    ad_accum(ad, Y, tie_share(ad, g, BIN(GT, Y, X), tie));
}

/* d min(a,b): g goes to the smaller, half to each at a tie */
void ad_min2(AdCtx *ad, Node *n, Node *g)
{
    RULE("d min(a, b): g flows to the smaller operand (half to each on a tie)");
    Node *tie = BIN(EQ, X, Y);
    ad_accum(ad, X, tie_share(ad, g, BIN(GT, Y, X), tie));
    ad_accum(ad, Y, tie_share(ad, g, BIN(GT, X, Y), tie));
}

/* d(-x) = -g */
void ad_neg(AdCtx *ad, Node *n, Node *g)
{
    RULE("d(-x) = -g");
    ad_accum(ad, X, UN(NEG, g));
}

/* d relu(x) = g * (x > 0): a mask */
void ad_relu(AdCtx *ad, Node *n, Node *g)
{
    RULE("d relu(x) = g * (x > 0): the mask of positive inputs (read from y = relu(x), y > 0 iff x > 0)");
    ad_accum(ad, X, BIN(MASK_GT0, g, n));
}

/* d leaky_relu(x) = g * (x > 0 ? 1 : alpha) */
void ad_leaky_relu(AdCtx *ad, Node *n, Node *g)
{
    RULE("d leaky_relu(x) = g * (x > 0 ? 1 : alpha)");
    Node *slope = BIN(ADD, K(n->f), BIN(MUL, K(1 - n->f), BIN(GT, X, K(0))));
    ad_accum(ad, X, BIN(MUL, g, slope));
}

/* d sigmoid(x) = g * y * (1 - y) */
void ad_sigmoid(AdCtx *ad, Node *n, Node *g)
{
    RULE("d sigmoid(x) = g * y * (1 - y), y = sigmoid(x)");
    ad_accum(ad, X, BIN(MUL, g, BIN(MUL, n, BIN(SUB, K(1), n))));
}

/* d gelu(x) = g * (Φ(x) + x φ(x)): Φ the normal CDF, φ its density; Φ(x) = y / x from
 * the forward's y = gelu(x) (no second erf), near 0 its Taylor line (ops.def GELU_GRAD) */
void ad_gelu(AdCtx *ad, Node *n, Node *g)
{
    RULE("d gelu(x) = g * (Φ(x) + x * φ(x)), Φ the normal CDF, φ its density; Φ(x) = gelu(x) / x");
    ad_accum(ad, X, BIN(MUL, g, BIN(GELU_GRAD, X, n)));
}

/* d tanh(x) = g * (1 - y²) */
void ad_tanh(AdCtx *ad, Node *n, Node *g)
{
    RULE("d tanh(x) = g * (1 - y²), y = tanh(x)");
    ad_accum(ad, X, BIN(MUL, g, BIN(SUB, K(1), UN(SQUARE, n))));
}

/* d exp(x) = g * y */
void ad_exp(AdCtx *ad, Node *n, Node *g)
{
    RULE("d exp(x) = g * exp(x)");
    ad_accum(ad, X, BIN(MUL, g, n));
}

/* d log(x) = g / x */
void ad_log(AdCtx *ad, Node *n, Node *g)
{
    RULE("d log(x) = g / x");
    ad_accum(ad, X, BIN(DIV, g, X));
}

/* d sqrt(x) = g / (2 y) */
void ad_sqrt(AdCtx *ad, Node *n, Node *g)
{
    RULE("d sqrt(x) = g / (2 sqrt(x))");
    ad_accum(ad, X, BIN(DIV, g, BIN(MUL, K(2), n)));
}

/* d |x| = g * sign(x) */
void ad_abs(AdCtx *ad, Node *n, Node *g)
{
    RULE("d |x| = g * sign(x)");
    ad_accum(ad, X, BIN(MUL, g, UN(SIGN, X)));
}

/* d x^c = g * c * x^(c-1) */
void ad_powc(AdCtx *ad, Node *n, Node *g)
{
    RULE("d x**c = g * c * x**(c-1)");
    ad_accum(ad, X, BIN(MUL, g, BIN(MUL, K(n->f), ir_unary_attr(ad->g, OP_POWC, X, n->f - 1))));
}

/* d x² = g * 2x */
void ad_square(AdCtx *ad, Node *n, Node *g)
{
    RULE("d x² = g * 2x");
    ad_accum(ad, X, BIN(MUL, g, BIN(MUL, K(2), X)));
}

/* d broadcast(x) = sum of g over the stretched axes, reshaped to x */
void ad_bcast(AdCtx *ad, Node *n, Node *g)
{
    RULE("d broadcast(x) = g summed over the stretched axes");
    int axes = 0;
    for (int i = 0; i < n->shape.rank; i++)
        if (n->map[i] < 0 || X->shape.d[n->map[i]] != n->shape.d[i])
            axes |= 1 << i;
    ad_accum(ad, X, ir_reshape(ad->g, ir_reduce(ad->g, OP_SUM, g, axes), X->shape));
}

/* d xᵀ = gᵀ */
void ad_transpose(AdCtx *ad, Node *n, Node *g)
{
    RULE("d xᵀ = gᵀ");
    ad_accum(ad, X, ir_transpose(ad->g, g));
}

/* d reshape(x) = reshape(g) back */
void ad_reshape(AdCtx *ad, Node *n, Node *g)
{
    RULE("d reshape(x) = g reshaped back");
    ad_accum(ad, X, ir_reshape(ad->g, g, X->shape));
}

/* The map that broadcasts a reduction's result back over its input. */
static Node *unreduce(AdCtx *ad, Node *n, Node *v)
{
    int8_t map[MAX_RANK];
    for (int i = 0, k = 0; i < X->shape.rank; i++)
        map[i] = (int8_t)(n->axes & 1 << i ? -1 : k++);
    return ir_bcast_map(ad->g, v, X->shape, map);
}

/* d sum(x, axes) = g broadcast back over the summed axes */
void ad_sum(AdCtx *ad, Node *n, Node *g)
{
    RULE("d sum(x) = g broadcast back over the summed axes");
    ad_accum(ad, X, unreduce(ad, n, g));
}

/* d max(x, axes) = g at the arg-max, shared equally among tied maxima
 * (PyTorch's amax): gx = g * [x == max] / count of [x == max] */
void ad_maxr(AdCtx *ad, Node *n, Node *g)
{
    RULE("d max(x) = g at the arg-max, shared equally among tied maxima, 0 elsewhere");
    Node *hit = BIN(EQ, X, unreduce(ad, n, n));
    Node *ties = ir_reshape(ad->g, ir_reduce(ad->g, OP_SUM, hit, n->axes), n->shape);
    ad_accum(ad, X, BIN(MUL, unreduce(ad, n, BIN(DIV, g, ties)), hit));
}

static Node *as_rank2(AdCtx *ad, Node *v, Extent rows, Extent cols)
{
    return ir_reshape(ad->g, v, (Shape){ 2, { rows, cols } });
}

/* operand k of n as written (its transpose flag applied) */
static Node *operand(AdCtx *ad, Node *n, int k)
{
    bool t = k ? n->tb : n->ta;
    return t ? ir_transpose(ad->g, n->in[k]) : n->in[k];
}

void ad_bmatmul(AdCtx *ad, Node *n, Node *g);   /* ad_bmm.c */

/* d(A@B): gA = g @ Bᵀ, gB = Aᵀ @ g (vectors as 1-row / 1-column matrices);
 * rank 3-4 operands: the batched rule of ad_bmm.c */
void ad_matmul(AdCtx *ad, Node *n, Node *g)
{
    if (X->shape.rank > 2 || Y->shape.rank > 2) {
        ad_bmatmul(ad, n, g);
        return;
    }
    RULE("d(A @ B): gA = g @ Bᵀ, gB = Aᵀ @ g");
    Node *a = operand(ad, n, 0), *b = operand(ad, n, 1);
    Shape sa = a->shape, sb = b->shape;
    Extent m = sa.rank == 2 ? sa.d[0] : 1, k = sa.d[sa.rank - 1], nn = sb.rank == 2 ? sb.d[1] : 1;
    Node *G = as_rank2(ad, g, m, nn);
    if (ad->needs[n->in[0]->id]) {
        Node *B = as_rank2(ad, b, k, nn);
        Node *ga = ir_reshape(ad->g, ir_matmul(ad->g, G, ir_transpose(ad->g, B)), sa);
        ad_accum(ad, n->in[0], n->ta ? ir_transpose(ad->g, ga) : ga);
    }
    if (ad->needs[n->in[1]->id]) {
        Node *A = as_rank2(ad, a, m, k);
        Node *gb = ir_reshape(ad->g, ir_matmul(ad->g, ir_transpose(ad->g, A), G), sb);
        ad_accum(ad, n->in[1], n->tb ? ir_transpose(ad->g, gb) : gb);
    }
}

static Node *row_sum(AdCtx *ad, Node *v)
{
    int last = v->shape.rank - 1;
    Node *s = ir_reduce(ad->g, OP_SUM, v, 1 << last);
    int8_t map[MAX_RANK];
    for (int i = 0; i < v->shape.rank; i++)
        map[i] = (int8_t)(i == last ? -1 : i);
    return ir_bcast_map(ad->g, s, v->shape, map);
}

/* d softmax(x) = y * (g - Σ_row g*y) */
void ad_softmax(AdCtx *ad, Node *n, Node *g)
{
    RULE("d softmax(x) = y * (g - rowsum(g * y)), y = softmax(x)");
    ad_accum(ad, X, ir_make(ad->g, &(Node){ .op = OP_SOFTMAX_AX_GRAD, .nin = 2, .in = { n, g }, .axes = 1 << (n->shape.rank - 1) }, NULL));
}

/* d log_softmax(x) = g - exp(y) * Σ_row g */
void ad_log_softmax(AdCtx *ad, Node *n, Node *g)
{
    RULE("d log_softmax(x) = g - softmax(x) * rowsum(g)");
    ad_accum(ad, X, BIN(SUB, g, BIN(MUL, UN(EXP, n), row_sum(ad, g))));
}

/* g / N as a scalar, for the losses that average over N rows */
static Node *per_row(AdCtx *ad, Node *n, Node *g)
{
    Shape rows = X->shape;   /* the scores' leading axes: rows of [..., C] */
    rows.rank--;
    return BIN(DIV, g, ir_count(ad->g, rows));
}

/* d cross_entropy(s, y) = (softmax(s) - onehot(y)) * g / N */
void ad_xent(AdCtx *ad, Node *n, Node *g)
{
    RULE("d cross_entropy(s, y) = (softmax(s) - onehot(y)) * g / N, N the rows of s");
    Node *p = ir_make(ad->g, &(Node){ .op = OP_XENT_GRAD, .nin = 2, .in = { X, Y } }, NULL);
    ad_accum(ad, X, BIN(MUL, p, per_row(ad, n, g)));
}

/* d svm(s, y) = (margin mask, minus its row count at y) * g / N */
void ad_svm(AdCtx *ad, Node *n, Node *g)
{
    RULE("d svm(s, y): 1 where s_j - s_y + margin > 0 (j ≠ y), minus their count at y; times g / N");
    Node *m = ir_make(ad->g, &(Node){ .op = OP_SVM_GRAD, .nin = 2, .in = { X, Y }, .f = n->f }, NULL);
    ad_accum(ad, X, BIN(MUL, m, per_row(ad, n, g)));
}
