/* ad_conv: the derivative rules of convolution and pooling. conv2d's
 * backward is the two correlations, each one kernel op (not a chain of
 * elementwise nodes): dw = dy ⋆ x and dx = the full correlation of dy with
 * the flipped filter. */
#include "ad.h"

#define RULE(text) (ad->rule = (text))

/* A backward kernel node op(a, b) with the integer attributes ints[0..nints). */
static Node *kernel(AdCtx *ad, OpKind op, Node *a, Node *b, const int64_t *ints, int nints)
{
    Node p = { .op = op, .nin = op_info[op].arity, .in = { a, b }, .nints = nints };
    for (int i = 0; i < nints; i++)
        p.ints[i] = ints[i];
    ShapeErr err;
    Node *r = ir_make(ad->g, &p, &err);
    if (!r)
        fail_internal("%s: %s", op_info[op].name, err.msg);
    return r;
}

void ad_conv2d(AdCtx *ad, Node *n, Node *g)
{
    RULE("d conv2d(x, w): dw = dy ⋆ x (im2col(x) times dy, summed over the batch); "
         "dx = col2im(wᵀ dy) (the full correlation of dy with the flipped w)");
    Node *x = n->in[0], *w = n->in[1];
    if (ad->needs[w->id]) {
        const int64_t ints[4] = { n->ints[0], n->ints[1], w->shape.d[2], w->shape.d[3] };
        ad_accum(ad, w, kernel(ad, OP_CONV2D_DW, g, x, ints, 4));
    }
    if (ad->needs[x->id]) {
        const int64_t ints[4] = { n->ints[0], n->ints[1], x->shape.d[2], x->shape.d[3] };
        ad_accum(ad, x, kernel(ad, OP_CONV2D_DX, g, w, ints, 4));
    }
}

void ad_maxpool(AdCtx *ad, Node *n, Node *g)
{
    RULE("d maxpool2d(x): each window's dy goes to the first maximum of the window "
         "(row-major, as PyTorch), summed where windows overlap");
    ad_accum(ad, n->in[0], kernel(ad, OP_MAXPOOL_GRAD, g, n->in[0], n->ints, 2));
}

void ad_avgpool(AdCtx *ad, Node *n, Node *g)
{
    RULE("d avgpool2d(x): each window's dy / k² spread over the window, summed where windows overlap");
    Node *x = n->in[0];
    const int64_t ints[4] = { n->ints[0], n->ints[1], x->shape.d[2], x->shape.d[3] };
    ad_accum(ad, x, kernel(ad, OP_AVGPOOL_GRAD, g, NULL, ints, 4));
}
