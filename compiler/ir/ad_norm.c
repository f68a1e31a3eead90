/* ad_norm: derivative rules of layernorm, batchnorm and dropout, each in
 * closed form: one kernel for dx (never a chain of elementwise nodes through
 * the mean and the variance), sums for the scale and the shift. */
#include "ad.h"

#define RULE(text) (ad->rule = (text))

static Node *node4(AdCtx *ad, OpKind op, Node *a, Node *b, Node *c, Node *d, double f)
{
    Node p = { .op = op, .nin = op_info[op].arity, .in = { a, b, c, d }, .f = f };
    return ir_make(ad->g, &p, NULL);
}

/* dx from the op's grad kernel, dgamma = Σ g·x̂ and dbeta = Σ g over the axes in `axes` */
static void norm_grads(AdCtx *ad, Node *n, Node *g, OpKind grad, OpKind xhat, int axes)
{
    Node *x = n->in[0], *st = n->in[1], *gamma = n->in[2], *beta = n->in[3];
    if (ad->needs[x->id])
        ad_accum(ad, x, node4(ad, grad, g, x, st, gamma, n->f));
    if (ad->needs[gamma->id]) {
        Node *xh = node4(ad, xhat, x, st, NULL, NULL, n->f);
        ad_accum(ad, gamma, ir_reduce(ad->g, OP_SUM, ir_binary(ad->g, OP_MUL, g, xh), axes));
    }
    if (ad->needs[beta->id])
        ad_accum(ad, beta, ir_reduce(ad->g, OP_SUM, g, axes));
}

void ad_layernorm(AdCtx *ad, Node *n, Node *g)
{
    RULE("d layernorm(x, γ, β), per row of the last axis, x̂ = (x - mean)·rstd, ĝ = g·γ: "
         "dx = rstd·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)); dγ = Σ_rows g·x̂, dβ = Σ_rows g");
    int rank = n->shape.rank;
    norm_grads(ad, n, g, OP_LN_GRAD, OP_LN_XHAT, (1 << (rank - 1)) - 1);
}

void ad_batchnorm(AdCtx *ad, Node *n, Node *g)
{
    RULE("d batchnorm(x, γ, β), per channel (axis 1) over the batch, x̂ = (x - mean)·rstd, rstd = 1/sqrt(var + eps), "
         "ĝ = g·γ: dx = rstd·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)); dγ = Σ g·x̂, dβ = Σ g");
    int rank = n->shape.rank;
    norm_grads(ad, n, g, OP_BN_GRAD, OP_BN_XHAT, ((1 << rank) - 1) & ~2);
}

void ad_dropout(AdCtx *ad, Node *n, Node *g)
{
    RULE("d dropout(x, p) = g·mask/(1 - p): forward's mask, recomputed from (seed, step, element)");
    Node p = { .op = OP_DROPOUT, .nin = 1, .in = { g }, .f = n->f, .decl = n->decl };
    ad_accum(ad, n->in[0], ir_make(ad->g, &p, NULL));
}
