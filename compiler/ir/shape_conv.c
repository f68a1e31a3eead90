/* shape_conv: the shape rules of convolution and pooling (NCHW, as PyTorch).
 * Output extents are floor((H + 2·pad − K) / stride) + 1, so the image
 * extents H, W and the kernel extents must be constants; N, C and F may be
 * symbolic dims. */
#include <stdio.h>
#include "ir.h"

#define FAIL(...) return snprintf(err->msg, sizeof err->msg, __VA_ARGS__), false

/* conv2d(x[N,C,H,W], w[F,C,KH,KW]) with ints [stride, pad] → [N, F, OH, OW] */
bool sh_conv2d(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    Shape x = n->in[0]->shape, w = n->in[1]->shape;
    int64_t s = n->ints[0], p = n->ints[1];
    if (x.rank != 4)
        FAIL("conv2d of {0}: the input must have rank 4 [N, C, H, W], not rank %d", x.rank);
    if (w.rank != 4)
        FAIL("conv2d with filter {1}: the filter must have rank 4 [F, C, KH, KW], not rank %d", w.rank);
    char cx[32], cw[32];
    if (x.d[1] != w.d[1])
        FAIL("conv2d of {0} with {1}: channel mismatch: the input has %s channels (axis 1), the filter %s",
             extent_str(g, x.d[1], cx, sizeof cx), extent_str(g, w.d[1], cw, sizeof cw));
    if (s < 1 || p < 0)
        FAIL("conv2d: stride must be >= 1 and pad >= 0 (got stride=%lld, pad=%lld)", (long long)s, (long long)p);
    if (x.d[2] < 0 || x.d[3] < 0 || w.d[2] < 0 || w.d[3] < 0)
        FAIL("conv2d of {0} with {1}: the image and kernel extents (axes 2, 3) must be constants");
    if (w.d[2] > x.d[2] + 2 * p || w.d[3] > x.d[3] + 2 * p)
        FAIL("conv2d of {0} with {1}: the kernel (%lldx%lld) is larger than the padded input (%lldx%lld)",
             (long long)w.d[2], (long long)w.d[3], (long long)(x.d[2] + 2 * p), (long long)(x.d[3] + 2 * p));
    *out = (Shape){ 4, { x.d[0], w.d[0], (x.d[2] + 2 * p - w.d[2]) / s + 1, (x.d[3] + 2 * p - w.d[3]) / s + 1 } };
    return true;
}

/* conv2d_dw(dy[N,F,OH,OW], x[N,C,H,W]) with ints [stride, pad, KH, KW] → [F, C, KH, KW] */
bool sh_conv2d_dw(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape dy = n->in[0]->shape, x = n->in[1]->shape;
    if (dy.rank != 4 || x.rank != 4 || dy.d[0] != x.d[0] || n->nints != 4)
        FAIL("conv2d_dw: operands {0} and {1} do not fit");
    *out = (Shape){ 4, { dy.d[1], x.d[1], n->ints[2], n->ints[3] } };
    return true;
}

/* conv2d_dx(dy[N,F,OH,OW], w[F,C,KH,KW]) with ints [stride, pad, H, W] → [N, C, H, W] */
bool sh_conv2d_dx(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape dy = n->in[0]->shape, w = n->in[1]->shape;
    if (dy.rank != 4 || w.rank != 4 || dy.d[1] != w.d[0] || n->nints != 4)
        FAIL("conv2d_dx: operands {0} and {1} do not fit");
    *out = (Shape){ 4, { dy.d[0], w.d[1], n->ints[2], n->ints[3] } };
    return true;
}

/* maxpool2d / avgpool2d(x[N,C,H,W]) with ints [k, stride] → [N, C, OH, OW] */
bool sh_pool(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape x = n->in[0]->shape;
    int64_t k = n->ints[0], s = n->ints[1];
    const char *name = op_info[n->op].name;
    if (x.rank != 4)
        FAIL("%s of {0}: the input must have rank 4 [N, C, H, W], not rank %d", name, x.rank);
    if (k < 1 || s < 1)
        FAIL("%s: k and stride must be >= 1 (got k=%lld, stride=%lld)", name, (long long)k, (long long)s);
    if (x.d[2] < 0 || x.d[3] < 0)
        FAIL("%s of {0}: the image extents (axes 2, 3) must be constants", name);
    if (k > x.d[2] || k > x.d[3])
        FAIL("%s of {0}: the window (%lldx%lld) is larger than the image (%lldx%lld)", name, (long long)k, (long long)k,
             (long long)x.d[2], (long long)x.d[3]);
    *out = (Shape){ 4, { x.d[0], x.d[1], (x.d[2] - k) / s + 1, (x.d[3] - k) / s + 1 } };
    return true;
}

/* maxpool2d_grad(dy, x) → x's shape; avgpool2d_grad(dy) with ints [k, stride, H, W] → [N, C, H, W] */
bool sh_pool_grad(const Graph *g, const Node *n, Shape *out, ShapeErr *err)
{
    (void)g;
    Shape dy = n->in[0]->shape;
    if (dy.rank != 4)
        FAIL("%s: the gradient {0} must have rank 4", op_info[n->op].name);
    if (n->op == OP_MAXPOOL_GRAD)
        *out = n->in[1]->shape;
    else
        *out = (Shape){ 4, { dy.d[0], dy.d[1], n->ints[2], n->ints[3] } };
    return true;
}
