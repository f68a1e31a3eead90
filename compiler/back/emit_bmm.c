/* emit_bmm: emitters of issue 9's batched-matmul group — batched @ as a loop
 * over the batch calling the model's GEMM (one GEMM when the batch folds into
 * rows), the batch-summed product of its gradient, softmax/log_softmax over
 * any axis, var, and the causal mask. */
#include "emit.h"

void em_bmatmul(Emit *e, Node *n);

static const char *const bvar[MAX_RANK] = { "i0", "i1", "i2", "i3" };

/* s without its last `drop` axes */
static Shape lead_of(Shape s, int drop)
{
    Shape r = s;
    r.rank = s.rank - drop;
    return r;
}

/* s from axis `from` on */
static Shape tail_of(Shape s, int from)
{
    Shape r = { 0, { 0 } };
    for (int i = from; i < s.rank; i++)
        r.d[r.rank++] = s.d[i];
    return r;
}

/* Offset of the matrix of operand s (rank >= 2) at the batch loop indices of bt:
 * its batch axes aligned to bt's right, an extent-1 axis read at 0 (broadcast). */
static const char *batch_offset(Emit *e, Shape bt, Shape s)
{
    int nb = s.rank - 2, skip = bt.rank - nb;
    const char *r = NULL;
    for (int j = 0; j < nb; j++) {
        const char *idx = s.d[j] == 1 ? NULL : bvar[j + skip];
        if (r)
            r = arena_printf(e->g->arena, "(%s) * %s%s%s", r, em_extent(e, s.d[j]), idx ? " + " : "", idx ? idx : "");
        else
            r = idx;
    }
    if (!r)
        return "";
    return arena_printf(e->g->arena, " + (%s) * %s", r, em_numel(e, tail_of(s, nb)));
}

/* C (= or +=, sum) op(A) @ op(B) over the broadcast batch of A and B: one GEMM
 * per batch element, or one GEMM in all when the batch folds into the rows (B a
 * matrix, A untransposed) or, summing, into the inner dimension (Aᵀ @ B of
 * whole stacks). sum: C has no batch axes and receives the sum over the batch. */
static void batched_gemm(Emit *e, const Node *n, bool sum)
{
    const Node *a = n->in[0], *b = n->in[1];
    Shape sa = a->shape, sb = b->shape, ba = lead_of(sa, 2), bb = lead_of(sb, 2), bt;
    shape_broadcast(ba, bb, &bt);
    const char *m = em_extent(e, sa.d[sa.rank - (n->ta ? 1 : 2)]), *k = em_extent(e, sa.d[sa.rank - (n->ta ? 2 : 1)]);
    const char *nn = em_extent(e, sb.d[sb.rank - (n->tb ? 2 : 1)]);
    const char *lda = em_extent(e, sa.d[sa.rank - 1]), *ldb = em_extent(e, sb.d[sb.rank - 1]);
    const char *A = em_ptr(e, a), *B = em_ptr(e, b), *C = em_buf(e, n), *gemm = e->P;
    em_kernel(e, "gemm");
    em_comment(e, n);
    if (!sum && bb.rank == 0 && !n->ta) {
        em_line(e, "%s_gemm(0, %d, %s, %s, %s, 1, %s, %s, %s, %s, 0, %s, %s);   /* the batch folded into rows */", gemm,
                n->tb, em_numel(e, lead_of(sa, 1)), nn, k, A, lda, B, ldb, C, nn);
        return;
    }
    if (sum && shape_eq(ba, bt) && shape_eq(bb, bt) && n->ta && !n->tb) {
        em_line(e, "%s_gemm(1, 0, %s, %s, %s, 1, %s, %s, %s, %s, 0, %s, %s);   /* the batch folded into the inner dimension */",
                gemm, m, nn, em_numel(e, lead_of(sa, 1)), A, lda, B, ldb, C, nn);
        return;
    }
    if (sum)
        em_line(e, "for (int64_t i = 0; i < %s; i++) %s[i] = 0;", em_numel(e, n->shape), C);
    for (int i = 0; i < bt.rank; i++) {
        em_line(e, "for (int64_t %s = 0; %s < %s; %s++)%s", bvar[i], bvar[i], em_extent(e, bt.d[i]), bvar[i],
                i + 1 == bt.rank ? " {" : "");
        e->indent++;
    }
    Shape sc = n->shape;
    if (sum)
        sc = (Shape){ 2, { 0, 0 } };
    const char *offc = sum ? "" : batch_offset(e, bt, sc);
    em_line(e, "%s_gemm(%d, %d, %s, %s, %s, 1, %s%s, %s, %s%s, %s, %d, %s%s, %s);", gemm, n->ta, n->tb, m, nn, k, A,
            batch_offset(e, bt, sa), lda, B, batch_offset(e, bt, sb), ldb, sum, C, offc, nn);
    e->indent--;
    em_line(e, "}");
    e->indent -= bt.rank - 1;
}

void em_bmatmul(Emit *e, Node *n) { batched_gemm(e, n, false); }

/* Σ over the batch of op(A) @ op(B): the gradient of a matrix operand of a batched @ */
void em_matmul_sum(Emit *e, Node *n) { batched_gemm(e, n, true); }

/* x's axes split around the contiguous axes of mask: outer, reduced (len), inner */
static void split_axes(Emit *e, Shape s, int mask, const char **outer, const char **len, const char **inner)
{
    int lo = 0, hi = s.rank - 1;
    while (lo < s.rank && !(mask & 1 << lo))
        lo++;
    while (hi > lo && !(mask & 1 << hi))
        hi--;
    Shape mid = tail_of(lead_of(s, s.rank - hi - 1), lo);
    *outer = em_numel(e, lead_of(s, s.rank - lo));
    *len = em_numel(e, mid);
    *inner = em_numel(e, tail_of(s, hi + 1));
}

/* Loops over outer and inner with `row` the strided line of x and `o` of out (if any). */
static void line_open(Emit *e, const Node *x, const char *out, const char *outer, const char *len, const char *inner)
{
    em_line(e, "for (int64_t i0 = 0; i0 < %s; i0++)", outer);
    em_line(e, "    for (int64_t i1 = 0; i1 < %s; i1++) {", inner);
    e->indent += 2;
    em_line(e, "const %s *row = %s + i0 * %s * %s + i1;", e->real, em_ptr(e, x), len, inner);
    if (out)
        em_line(e, "%s *o = %s + i0 * %s * %s + i1;", e->real, out, len, inner);
}

static void line_close(Emit *e)
{
    e->indent -= 2;
    em_line(e, "    }");
}

/* softmax: y = exp(x - max) / Σ exp(x - max); log_softmax: y = x - max - log Σ exp(x - max),
 * along axis k (stride: the extents after k); exp(-inf - max) = 0 for masked entries */
static void softmax_axis(Emit *e, Node *n, bool log_form)
{
    const char *outer, *len, *inner;
    split_axes(e, n->shape, n->axes, &outer, &len, &inner);
    em_comment(e, n);
    line_open(e, n->in[0], em_buf(e, n), outer, len, inner);
    em_line(e, "%s mx = row[0];", e->real);
    em_line(e, "for (int64_t j = 1; j < %s; j++) if (row[j * %s] > mx) mx = row[j * %s];", len, inner, inner);
    em_line(e, "double sum = 0;");
    if (log_form) {
        em_line(e, "for (int64_t j = 0; j < %s; j++) sum += exp%s(row[j * %s] - mx);", len, e->sfx, inner);
        em_line(e, "const %s lse = mx + (%s)log(sum);", e->real, e->real);
        em_line(e, "for (int64_t j = 0; j < %s; j++) o[j * %s] = row[j * %s] - lse;", len, inner, inner);
    } else {   /* each exp once, kept in o; a masked (-inf) entry's is 0 without a call */
        em_line(e, "for (int64_t j = 0; j < %s; j++) {", len);
        em_line(e, "    const %s ex = row[j * %s] == -INFINITY ? 0 : exp%s(row[j * %s] - mx);", e->real, inner, e->sfx, inner);
        em_line(e, "    o[j * %s] = ex;", inner);
        em_line(e, "    sum += ex;");
        em_line(e, "}");
        em_line(e, "const %s inv = (%s)(1 / sum);", e->real, e->real);
        em_line(e, "for (int64_t j = 0; j < %s; j++) o[j * %s] *= inv;", len, inner);
    }
    line_close(e);
}

/* softmax of n's input along the axes of mask (n: a softmax node of any kind) */
void em_softmax_lines(Emit *e, Node *n, int mask)
{
    Node m = *n;
    m.axes = mask;
    softmax_axis(e, &m, false);
}

void em_softmax_ax(Emit *e, Node *n) { softmax_axis(e, n, false); }
void em_log_softmax_ax(Emit *e, Node *n) { softmax_axis(e, n, true); }

/* softmax's gradient in one pass over each line: o = y * (g - Σ g y), the sum
 * in double (y = in[0], g = in[1]; o may be either's buffer) */
void em_softmax_ax_grad(Emit *e, Node *n)
{
    const char *outer, *len, *inner;
    split_axes(e, n->shape, n->axes, &outer, &len, &inner);
    em_comment(e, n);
    line_open(e, n->in[0], em_buf(e, n), outer, len, inner);
    em_line(e, "const %s *dy = %s + i0 * %s * %s + i1;", e->real, em_ptr(e, n->in[1]), len, inner);
    em_line(e, "double sum = 0;");
    em_line(e, "for (int64_t j = 0; j < %s; j++) sum += (double)dy[j * %s] * row[j * %s];", len, inner, inner);
    em_line(e, "const %s s = (%s)sum;", e->real, e->real);
    em_line(e, "for (int64_t j = 0; j < %s; j++) o[j * %s] = row[j * %s] * (dy[j * %s] - s);", len, inner, inner, inner);
    line_close(e);
}

/* var = Σ (x - μ)² / n, μ = Σ x / n, two passes in double */
void em_var(Emit *e, Node *n)
{
    const char *outer, *len, *inner;
    split_axes(e, n->in[0]->shape, n->axes, &outer, &len, &inner);
    em_comment(e, n);
    line_open(e, n->in[0], NULL, outer, len, inner);
    em_line(e, "double sum = 0, acc = 0;");
    em_line(e, "for (int64_t j = 0; j < %s; j++) sum += row[j * %s];", len, inner);
    em_line(e, "const double mu = sum / (double)%s;", len);
    em_line(e, "for (int64_t j = 0; j < %s; j++) acc += (row[j * %s] - mu) * (row[j * %s] - mu);", len, inner, inner);
    em_line(e, "%s[i0 * %s + i1] = (%s)(acc / (double)%s);", em_buf(e, n), inner, e->real, len);
    line_close(e);
}

/* causal: entries above the diagonal of each [T, T] matrix become -inf (its
 * gradient: 0 there); the rest is copied */
void em_causal(Emit *e, Node *n)
{
    Shape s = n->shape;
    const char *T = em_extent(e, s.d[s.rank - 1]), *x = em_ptr(e, n->in[0]), *y = em_buf(e, n);
    em_comment(e, n);
    em_line(e, "for (int64_t b = 0; b < %s; b++)", em_numel(e, lead_of(s, 2)));
    em_line(e, "    for (int64_t i0 = 0; i0 < %s; i0++)", T);
    em_line(e, "        for (int64_t j = 0; j < %s; j++) {", T);
    em_line(e, "            const int64_t t = (b * %s + i0) * %s + j;", T, T);
    em_line(e, "            %s[t] = j > i0 ? %s : %s[t];", y, n->op == OP_CAUSAL ? "-INFINITY" : "0", x);
    em_line(e, "        }");
}
