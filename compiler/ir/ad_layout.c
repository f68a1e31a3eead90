/* ad_layout: derivative rules of the layout and indexing ops. Each moves g
 * back to where its elements came from: a permutation by its inverse, a slice
 * scattered into zeros, a concat split into slices, a gather added into rows. */
#include <string.h>
#include "ad.h"
#include "dims.h"
#include "layout.h"

#define RULE(text) (ad->rule = (text))
#define X (n->in[0])

/* d permute(x) = g permuted back (a swap of two axes is its own inverse) */
void ad_permute(AdCtx *ad, Node *n, Node *g)
{
    RULE("d transpose(x, a, b) = transpose(g, a, b)");
    int inv[MAX_RANK];
    for (int i = 0; i < n->nints; i++)
        inv[n->ints[i]] = i;
    ad_accum(ad, X, ir_permute(ad->g, g, inv));
}

/* d x[s] = g scattered into zeros of x's shape at s */
void ad_slice(AdCtx *ad, Node *n, Node *g)
{
    RULE("d x[s] = zeros of x's shape with g written at s");
    Node p = { .op = OP_UNSLICE, .nin = 1, .in = { g }, .shape = X->shape, .nints = n->nints };
    memcpy(p.ints, n->ints, sizeof(int64_t) * (size_t)n->nints);
    ad_accum(ad, X, ir_build(ad->g, p));
}

/* d concat(a, b, ..., axis=k): each operand receives its slice of g along k */
void ad_concat(AdCtx *ad, Node *n, Node *g)
{
    RULE("d concat(a, b, ..., axis=k): each operand receives its slice of g along axis k");
    int ax = (int)n->ints[0];
    DimPoly off = dims_const(0);   /* N + M: offsets 0 and N */
    for (int i = 0; i < n->nin; i++) {
        Extent len = n->in[i]->shape.d[ax], at = 0;
        if (off.n)
            dims_extent(ad->g, off, &at);   /* part of the concat's extent: representable */
        ad_accum(ad, n->in[i], ir_slice_axis(ad->g, g, ax, at, len));
        off = dims_add(off, dims_poly(ad->g, len));
    }
}

/* d E[ids]: dE = rows of g added at the ids (repeated ids accumulate) */
void ad_gather(AdCtx *ad, Node *n, Node *g)
{
    RULE("d E[ids]: dE[ids[p]] += g[p] for every position p of ids (repeats add up)");
    ad_accum(ad, X, ir_build(ad->g, (Node){ .op = OP_SCATTER_ADD, .nin = 2, .in = { g, n->in[1] }, .shape = X->shape }));
}
