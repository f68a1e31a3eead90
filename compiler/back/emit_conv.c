/* emit_conv: convolution and pooling. Each op is one call of a support
 * kernel (runtime/bp_kernels.inc: im2col + the model's GEMM, col2im, the
 * pools); the per-image im2col columns live in the workspace's scratch area
 * (em_conv_scratch sizes it, emit_c.c lays it out after the regions). */
#include <string.h>
#include "emit.h"

/* The columns [C*KH*KW, OH*OW] one image of a conv node needs, as extents
 * whose product is the count; false for an op without scratch. */
static bool col_shape(const Node *n, Shape *s)
{
    const Node *a = n->in[0], *b = n->in[1];
    switch (n->op) {
    case OP_CONV2D:   /* x, w → y */
        *s = (Shape){ 4, { a->shape.d[1], b->shape.d[2] * b->shape.d[3], n->shape.d[2], n->shape.d[3] } };
        return true;
    case OP_CONV2D_DW:   /* dy, x → dw */
        *s = (Shape){ 4, { b->shape.d[1], n->ints[2] * n->ints[3], a->shape.d[2], a->shape.d[3] } };
        return true;
    case OP_CONV2D_DX:   /* dy, w → dx */
        *s = (Shape){ 4, { b->shape.d[1], b->shape.d[2] * b->shape.d[3], a->shape.d[2], a->shape.d[3] } };
        return true;
    default: return false;
    }
}

/* One image's columns of conv node n (C*KH*KW x OH*OW), or NULL for an op without them. */
static const char *cols_of(Emit *e, const Node *n)
{
    Shape s;
    return col_shape(n, &s) ? em_numel(e, s) : NULL;
}

/* A convolution that splits by images (each image its own GEMM and its own columns):
 * the forward and the input gradient. The filter gradient sums over images and stays one
 * call, so that its sum keeps the serial order. */
static bool by_image(const Node *n) { return n->op == OP_CONV2D || n->op == OP_CONV2D_DX; }

const char *em_conv_scratch(Emit *e, const Node *n)
{
    const char *c = cols_of(e, n);
    if (!c || !by_image(n))
        return c;
    return arena_printf(e->g->arena, "%s_slots(%s) * %s", e->P, c, c);
}

void em_conv_slots(Emit *e)
{
    bool any = false;
    for (int i = 0; i < e->g->n; i++)
        any |= e->p->live[i] && by_image(e->g->nodes[i]);
    if (!any)
        return;
    em_line(e, "/* the scratch slots of a convolution whose images' columns hold elems values: one for each");
    em_line(e, " * task of its split by images (at most 8, and 4 MiB in all when they are smaller; at least 1) */");
    em_fit_fn(e, "slots", 8, 4194304);
}

void em_fit_fn(Emit *e, const char *name, int most, long bytes)
{
    em_line(e, "static int64_t %s_%s(int64_t elems)", e->P, name);
    em_line(e, "{");
    em_line(e, "    const int64_t fit = (int64_t)(%ld / sizeof(%s)) / (elems > 0 ? elems : 1);", bytes, e->real);
    em_line(e, "    return fit < 1 ? 1 : fit > %d ? %d : fit;", most, most);
    em_line(e, "}");
}

const char *em_conv_args(Emit *e, const Node *n)
{
    long long a = n->nints > 0 ? n->ints[0] : 0, b = n->nints > 1 ? n->ints[1] : 0;
    switch (n->op) {
    case OP_CONV2D:
    case OP_CONV2D_DW:
    case OP_CONV2D_DX: return arena_printf(e->g->arena, ", stride=%lld, pad=%lld", a, b);
    case OP_MAXPOOL:
    case OP_MAXPOOL_GRAD:
    case OP_AVGPOOL:
    case OP_AVGPOOL_GRAD: return arena_printf(e->g->arena, ", %lld, stride=%lld", a, b);
    default: return "";
    }
}

const char *em_scratch(Emit *e)
{
    e->scratch_used = true;
    return arena_printf(e->g->arena, "(%s *)(base + off[%d])", e->real, e->p->nregions);
}

/* The kernel named name, with the GEMM and the im2col or col2im it calls (each with its
 * _run helper) carried along (only those: clang warns of an unused static function). */
static const char *conv_kernel(Emit *e, const char *name)
{
    if (e->gemm != BPC_GEMM_RUNTIME)
        em_kernel(e, "gemm");
    if (strcmp(name, "conv2d_dx") == 0) {
        em_kernel(e, "col2im_run");
        em_kernel(e, "col2im");
    } else {
        em_kernel(e, "im2col_run");
        em_kernel(e, "im2col");
    }
    return em_kernel(e, name);
}

/* ptr (node a's buffer) from index lo of its axis-1 on: its images (axis 1) or planes (axis 2) */
static const char *from_lo(Emit *e, const char *ptr, const Node *a, int axis)
{
    Shape tail = { 0, { 0 } };
    for (int k = axis; k < a->shape.rank; k++)
        tail.d[tail.rank++] = a->shape.d[k];
    return arena_printf(e->g->arena, "%s + lo * %s", ptr, em_numel(e, tail));
}

/* kernel(N, C, H, W, F, KH, KW, stride, pad, a, b, out, col) for image x[N,C,H,W], filter
 * w[F,C,KH,KW]. By images (forward, input gradient): ranges of images may run on the host's
 * threads (emit_rows.c), each in blocks of grain images with its own slot of the scratch;
 * the blocks are whole slots' worth, so block lo / grain is the task's own slot. */
static void conv_call(Emit *e, Node *n, const char *name, Shape x, Shape w, const Node *a, const Node *b)
{
    em_comment(e, n);
    const char *k = conv_kernel(e, name), *col = em_scratch(e), *images = em_extent(e, x.d[0]), *count = images;
    const char *in = em_ptr(e, a), *out = em_buf(e, n);
    if (by_image(n)) {
        const char *c = cols_of(e, n);
        const char *grain = arena_printf(e->g->arena, "(%s + %s_slots(%s) - 1) / %s_slots(%s)", images, e->P, c, e->P, c);
        if (em_rows_claim(e, n, images, n->shape, grain)) {
            count = "hi - lo";
            in = from_lo(e, in, a, 1);
            out = from_lo(e, out, n, 1);
            em_line(e, "const int64_t slot = lo / (%s);   /* the task's columns */", grain);
            col = arena_printf(e->g->arena, "%s + slot * %s", col, c);
        }
    }
    em_line(e, "%s(%s, %s, %s, %s, %s, %s, %s, %lld, %lld, %s, %s, %s, %s);", k, count, em_extent(e, x.d[1]),
            em_extent(e, x.d[2]), em_extent(e, x.d[3]), em_extent(e, w.d[0]), em_extent(e, w.d[2]), em_extent(e, w.d[3]),
            (long long)n->ints[0], (long long)n->ints[1], in, em_ptr(e, b), out, col);
}

void em_conv2d(Emit *e, Node *n) { conv_call(e, n, "conv2d", n->in[0]->shape, n->in[1]->shape, n->in[0], n->in[1]); }
void em_conv2d_dw(Emit *e, Node *n) { conv_call(e, n, "conv2d_dw", n->in[1]->shape, n->shape, n->in[0], n->in[1]); }
void em_conv2d_dx(Emit *e, Node *n) { conv_call(e, n, "conv2d_dx", n->shape, n->in[1]->shape, n->in[0], n->in[1]); }

/* Node a's pointer, from plane lo on when the planes are split (rows) */
static const char *plane_ptr(Emit *e, const char *ptr, const Node *a, bool rows)
{
    return rows ? from_lo(e, ptr, a, 2) : ptr;
}

/* kernel(N*C, H, W, k, stride, a, [b,] out) over the planes of image shape x; each plane
 * is pooled on its own, so ranges of planes may run on the host's threads (emit_rows.c) */
static void pool_call(Emit *e, Node *n, const char *name, Shape x, const Node *a, const Node *b)
{
    em_comment(e, n);
    Shape planes = { 2, { x.d[0], x.d[1] } };
    const char *count = em_numel(e, planes);
    const bool rows = em_rows_claim(e, n, count, x, "1");
    const char *in = plane_ptr(e, em_ptr(e, a), a, rows);
    if (b)
        in = arena_printf(e->g->arena, "%s, %s", in, plane_ptr(e, em_ptr(e, b), b, rows));
    em_line(e, "%s(%s, %s, %s, %lld, %lld, %s, %s);", em_kernel(e, name), rows ? "hi - lo" : count,
            em_extent(e, x.d[2]), em_extent(e, x.d[3]), (long long)n->ints[0], (long long)n->ints[1], in,
            plane_ptr(e, em_buf(e, n), n, rows));
}

void em_maxpool(Emit *e, Node *n) { pool_call(e, n, "maxpool", n->in[0]->shape, n->in[0], NULL); }
void em_avgpool(Emit *e, Node *n) { pool_call(e, n, "avgpool", n->in[0]->shape, n->in[0], NULL); }
void em_avgpool_grad(Emit *e, Node *n) { pool_call(e, n, "avgpool_grad", n->shape, n->in[0], NULL); }
void em_maxpool_grad(Emit *e, Node *n) { pool_call(e, n, "maxpool_grad", n->shape, n->in[1], n->in[0]); }

/* The extents of s from axis lo to hi (exclusive) as one count. */
static const char *span(Emit *e, Shape s, int lo, int hi)
{
    Shape t = { 0, { 0 } };
    for (int k = lo; k < hi; k++)
        t.d[t.rank++] = s.d[k];
    return t.rank ? em_numel(e, t) : "1";
}

bool em_sum_mid(Emit *e, Node *n, const char *out)
{
    const Shape x = n->in[0]->shape;
    int k0 = 0, k1;
    while (k0 < x.rank && n->axes & 1u << k0)
        k0++;
    for (k1 = k0; k1 < x.rank && !(n->axes & 1u << k1);)
        k1++;
    for (int k = k1; k < x.rank; k++)
        if (!(n->axes & 1u << k))
            return false;   /* kept axes not one run */
    if (k0 == x.rank || k1 == x.rank)
        return false;       /* nothing kept, or no reduced axis after the run: the loop is fine */
    em_line(e, "%s(%s, %s, %s, %s, %s);", em_kernel(e, "sum_mid"), span(e, x, 0, k0), span(e, x, k0, k1),
            span(e, x, k1, x.rank), em_ptr(e, n->in[0]), out);
    return true;
}
