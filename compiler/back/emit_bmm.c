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

/* The element stride of operand s's matrices along axis i of the broadcast
 * batch bt (its batch axes aligned to bt's right): 0 where s is broadcast. */
static const char *batch_stride(Emit *e, Shape bt, Shape s, int i)
{
    int nb = s.rank - 2, j = i - (bt.rank - nb);
    if (j < 0 || s.d[j] == 1)
        return "0";
    return em_numel(e, tail_of(s, j + 1));
}

/* The batched product on the host's threads: P_bmm over the batch as [d0, d1]
 * (bt of rank 1 or 2), each slice the same GEMM call as in the serial loop. */
static void batched_par(Emit *e, const Node *n, Shape bt)
{
    Shape sa = n->in[0]->shape, sb = n->in[1]->shape, sc = n->shape;
    const char *d0 = bt.rank == 2 ? em_extent(e, bt.d[0]) : "1", *d1 = em_extent(e, bt.d[bt.rank - 1]);
    int i0 = bt.rank == 2 ? 0 : -1, i1 = bt.rank - 1;
    const char *a0 = i0 < 0 ? "0" : batch_stride(e, bt, sa, i0), *b0 = i0 < 0 ? "0" : batch_stride(e, bt, sb, i0);
    const char *c0 = i0 < 0 ? "0" : batch_stride(e, bt, sc, i0);
    em_line(e, "%s_bmm(io->bp_par, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);", e->P,
            n->ta, n->tb, em_extent(e, sa.d[sa.rank - (n->ta ? 1 : 2)]), em_extent(e, sb.d[sb.rank - (n->tb ? 2 : 1)]),
            em_extent(e, sa.d[sa.rank - (n->ta ? 2 : 1)]), d0, d1, em_ptr(e, n->in[0]), em_extent(e, sa.d[sa.rank - 1]), a0,
            batch_stride(e, bt, sa, i1), em_ptr(e, n->in[1]), em_extent(e, sb.d[sb.rank - 1]), b0, batch_stride(e, bt, sb, i1),
            em_buf(e, n), em_extent(e, sc.d[sc.rank - 1]), c0, batch_stride(e, bt, sc, i1));
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
        em_line(e, "/* the batch folded into rows */");
        em_gemm_plain(e, 0, n->tb, em_numel(e, lead_of(sa, 1)), nn, k, A, lda, B, ldb, C);
        return;
    }
    if (sum && shape_eq(ba, bt) && shape_eq(bb, bt) && n->ta && !n->tb) {
        em_line(e, "/* the batch folded into the inner dimension */");
        em_gemm_plain(e, 1, 0, m, nn, em_numel(e, lead_of(sa, 1)), A, lda, B, ldb, C);
        return;
    }
    if (sum)
        em_line(e, "for (int64_t i = 0; i < %s; i++) %s[i] = 0;", em_numel(e, n->shape), C);
    const bool par = !sum && bt.rank >= 1 && bt.rank <= 2;   /* the slices are independent */
    if (par) {
        em_kernel(e, "bmm");
        em_line(e, "if (%s_bmm_tasks(io->bp_par, %s, %s, %s, %s) < 2) {", e->P, m, nn, k, em_numel(e, bt));
        e->indent++;
    }
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
    if (par) {
        e->indent--;
        em_line(e, "} else");
        e->indent++;
        batched_par(e, n, bt);
        e->indent--;
    }
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

/* Loops over outer and inner with `row` the strided line of x and `o` of out (if any); the
 * outer one on the host's threads when the lines are all of statement stmt's work and pay. */
static void line_open(Emit *e, const Node *stmt, const Node *x, const char *out, const char *outer, const char *len,
                      const char *inner)
{
    em_line(e, "%s", em_rows_for(e, stmt, "i0", outer, x->shape));
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
 * along axis k (stride: the extents after k); exp(-inf - max) = 0 for masked entries; max
 * and sum as lane reductions in the model's real type (em_lane_reduce) */
static void softmax_axis(Emit *e, Node *n, bool log_form, const Node *stmt)
{
    const char *outer, *len, *inner, *R = e->real;
    split_axes(e, n->shape, n->axes, &outer, &len, &inner);
    em_comment(e, n);
    line_open(e, stmt, n->in[0], em_buf(e, n), outer, len, inner);
    const char *xj = arena_printf(e->g->arena, "row[j * %s]", inner);
    em_lane_reduce(e, "mx", '>', len, xj);
    if (log_form) {
        em_lane_reduce(e, "sum", '+', len, arena_printf(e->g->arena, "%s(%s - mx)", em_math(e, "exp"), xj));
        em_line(e, "const %s lse = mx + %s(sum);", R, em_math(e, "log"));
        em_line(e, "for (int64_t j = 0; j < %s; j++) o[j * %s] = %s - lse;", len, inner, xj);
    } else {   /* each exp once, kept in o; a masked (-inf) entry's is 0 without a call */
        em_line(e, "for (int64_t j = 0; j < %s; j++)", len);
        em_line(e, "    o[j * %s] = %s == -INFINITY ? 0 : %s(%s - mx);", inner, xj, em_math(e, "exp"), xj);
        em_lane_reduce(e, "sum", '+', len, arena_printf(e->g->arena, "o[j * %s]", inner));
        em_line(e, "const %s inv = 1 / sum;", R);
        em_line(e, "for (int64_t j = 0; j < %s; j++) o[j * %s] *= inv;", len, inner);
    }
    line_close(e);
}

/* softmax of n's input along the axes of mask (n: a softmax node of any kind) */
void em_softmax_lines(Emit *e, Node *n, int mask)
{
    Node m = *n;
    m.axes = mask;
    softmax_axis(e, &m, false, n);
}

void em_softmax_ax(Emit *e, Node *n) { softmax_axis(e, n, false, n); }
void em_log_softmax_ax(Emit *e, Node *n) { softmax_axis(e, n, true, n); }

/* softmax's gradient over each line: o = y * (g - Σ g y), the sum a lane reduction in the
 * model's real type (y = in[0], g = in[1]; o may be either's buffer) */
void em_softmax_ax_grad(Emit *e, Node *n)
{
    const char *outer, *len, *inner;
    split_axes(e, n->shape, n->axes, &outer, &len, &inner);
    em_comment(e, n);
    line_open(e, n, n->in[0], em_buf(e, n), outer, len, inner);
    em_line(e, "const %s *dy = %s + i0 * %s * %s + i1;", e->real, em_ptr(e, n->in[1]), len, inner);
    em_lane_reduce(e, "sum", '+', len, arena_printf(e->g->arena, "dy[j * %s] * row[j * %s]", inner, inner));
    em_line(e, "const %s s = sum;", e->real);
    em_line(e, "for (int64_t j = 0; j < %s; j++) o[j * %s] = row[j * %s] * (dy[j * %s] - s);", len, inner, inner, inner);
    line_close(e);
}

/* var = Σ (x - μ)² / n, μ = Σ x / n, two passes in double */
void em_var(Emit *e, Node *n)
{
    const char *outer, *len, *inner;
    split_axes(e, n->in[0]->shape, n->axes, &outer, &len, &inner);
    em_comment(e, n);
    line_open(e, n, n->in[0], NULL, outer, len, inner);
    em_line(e, "double sum = 0, acc = 0;");
    em_line(e, "for (int64_t j = 0; j < %s; j++) sum += %s;", len, em_widen(e, arena_printf(e->g->arena, "row[j * %s]", inner)));
    em_line(e, "const double mu = sum / (double)%s;", len);
    const char *x = em_widen(e, arena_printf(e->g->arena, "row[j * %s]", inner));
    em_line(e, "for (int64_t j = 0; j < %s; j++) acc += (%s - mu) * (%s - mu);", len, x, x);
    em_line(e, "%s[i0 * %s + i1] = (%s)(acc / (double)%s);", em_buf(e, n), inner, e->real, len);
    line_close(e);
}

/* root = softmax(causal(s * scale)) (plan_fuse): per row i of each [T, T]
 * matrix, the entries j <= i as the unfused ops compute them (the scaled
 * score, its max, each exp once, the sum a lane reduction), 0 above the diagonal */
void em_causal_softmax(Emit *e, const Fusion *f)
{
    const Node *x = f->kernel->in[0], *s = x;
    const char *c = "";
    if (f->scale) {
        const Node *k = x->in[0];
        while (k->op == OP_BCAST)
            k = k->in[0];
        s = k == f->scale ? x->in[1] : x->in[0];
        c = arena_printf(e->g->arena, " * %s", em_scalar(e, f->scale));
    }
    Shape sh = f->root->shape;
    const char *T = em_extent(e, sh.d[sh.rank - 1]), *R = e->real;
    em_line(e, "%s", em_rows_for(e, f->root, "b", em_numel(e, lead_of(sh, 2)), sh));
    em_line(e, "    for (int64_t i0 = 0; i0 < %s; i0++) {", T);
    e->indent += 2;
    em_line(e, "const %s *row = %s + (b * %s + i0) * %s;", R, em_ptr(e, s), T, T);
    em_line(e, "%s *o = %s + (b * %s + i0) * %s;", R, em_buf(e, f->root), T, T);
    em_lane_reduce(e, "mx", '>', "i0 + 1", arena_printf(e->g->arena, "row[j]%s", c));
    em_line(e, "for (int64_t j = 0; j <= i0; j++) o[j] = %s(row[j]%s - mx);", em_math(e, "exp"), c);
    em_lane_reduce(e, "sum", '+', "i0 + 1", "o[j]");
    em_line(e, "const %s inv = 1 / sum;", R);
    em_line(e, "for (int64_t j = 0; j <= i0; j++) o[j] *= inv;");
    em_line(e, "for (int64_t j = i0 + 1; j < %s; j++) o[j] = 0;", T);
    e->indent -= 2;
    em_line(e, "    }");
}

/* root = causal_grad(softmax_axis_grad(y, g)) [* scale] (plan_fuse): per row i of each
 * [T, T] matrix, s = Σ_j g y over the whole row (a lane reduction, as the unfused
 * gradient), then y (g - s) [* scale] at j <= i and 0 above the diagonal */
void em_causal_softmax_grad(Emit *e, const Fusion *f)
{
    const Node *sg = f->kernel;
    const char *c = f->scale ? arena_printf(e->g->arena, " * %s", em_scalar(e, f->scale)) : "";
    Shape sh = f->root->shape;
    const char *T = em_extent(e, sh.d[sh.rank - 1]), *R = e->real;
    em_line(e, "%s", em_rows_for(e, f->root, "b", em_numel(e, lead_of(sh, 2)), sh));
    em_line(e, "    for (int64_t i0 = 0; i0 < %s; i0++) {", T);
    e->indent += 2;
    em_line(e, "const int64_t d = (b * %s + i0) * %s;", T, T);
    em_line(e, "const %s *row = %s + d, *u = %s + d;", R, em_ptr(e, sg->in[0]), em_ptr(e, sg->in[1]));
    em_line(e, "%s *o = %s + d;", R, em_buf(e, f->root));
    em_lane_reduce(e, "sum", '+', T, "u[j] * row[j]");
    em_line(e, "for (int64_t j = 0; j <= i0; j++) o[j] = row[j] * (u[j] - sum)%s;", c);
    em_line(e, "for (int64_t j = i0 + 1; j < %s; j++) o[j] = 0;", T);
    e->indent -= 2;
    em_line(e, "    }");
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

/* P_bmm: a batched product's [d0, d1] slices (element strides s*0, s*1 per
 * operand; 0: broadcast) on the host's threads, contiguous ranges of slices per
 * task, each slice the serial loop's GEMM call: bit-identical for any thread count.
 * Emitted once when a batched @ uses it (em_parallel). */
void em_bmm_parallel(Emit *e)
{
    const char *P = e->P, *R = e->real;
    em_line(e, "typedef struct %s_bmm_job {", P);
    em_line(e, "    int ta, tb, tasks;");
    em_line(e, "    int64_t m, n, k, d0, d1, lda, sa0, sa1, ldb, sb0, sb1, ldc, sc0, sc1;");
    em_line(e, "    const %s *A, *B;", R);
    em_line(e, "    %s *C;", R);
    em_line(e, "} %s_bmm_job;", P);
    em_line(e, "static void %s_bmm_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    const %s_bmm_job *j = (const %s_bmm_job *)arg;", P, P);
    em_line(e, "    const int64_t cnt = j->d0 * j->d1, lo = %s_from(cnt, 1, t, j->tasks), hi = %s_from(cnt, 1, t + 1, j->tasks);", e->P, e->P);
    em_line(e, "    void (*volatile gemm)(int, int, int64_t, int64_t, int64_t, %s, const %s *, int64_t, const %s *, int64_t,", R, R, R);
    em_line(e, "                          %s, %s *, int64_t) = %s_gemm;", R, R, P);
    em_line(e, "    for (int64_t b = lo; b < hi; b++) {");
    em_line(e, "        const int64_t i0 = b / j->d1, i1 = b %% j->d1;");
    em_line(e, "        gemm(j->ta, j->tb, j->m, j->n, j->k, 1, j->A + i0 * j->sa0 + i1 * j->sa1, j->lda,");
    em_line(e, "             j->B + i0 * j->sb0 + i1 * j->sb1, j->ldb, 0, j->C + i0 * j->sc0 + i1 * j->sc1, j->ldc);");
    em_line(e, "    }");
    em_line(e, "}");
    em_line(e, "/* the tasks P_bmm splits cnt slices of m x n x k into: 1 (serial, the call site's own loop)");
    em_line(e, " * without threads or unless P_pays; one per thread */");
    em_line(e, "static int %s_bmm_tasks(const bp_parallel *par, int64_t m, int64_t n, int64_t k, int64_t cnt)", P);
    em_line(e, "{");
    em_line(e, "    return %s_tasks(par, cnt, %s_pays(m, n, k, cnt));", P, P);
    em_line(e, "}");
    em_line(e, "static void %s_bmm(const bp_parallel *par, int ta, int tb, int64_t m, int64_t n, int64_t k, int64_t d0, int64_t d1,", P);
    em_line(e, "                   const %s *A, int64_t lda, int64_t sa0, int64_t sa1, const %s *B, int64_t ldb, int64_t sb0,", R, R);
    em_line(e, "                   int64_t sb1, %s *C, int64_t ldc, int64_t sc0, int64_t sc1)", R);
    em_line(e, "{");
    em_line(e, "    %s_bmm_job j;", P);
    em_line(e, "    j.ta = ta, j.tb = tb, j.m = m, j.n = n, j.k = k, j.d0 = d0, j.d1 = d1, j.A = A, j.lda = lda, j.sa0 = sa0;");
    em_line(e, "    j.sa1 = sa1, j.B = B, j.ldb = ldb, j.sb0 = sb0, j.sb1 = sb1, j.C = C, j.ldc = ldc, j.sc0 = sc0, j.sc1 = sc1;");
    em_line(e, "    j.tasks = %s_bmm_tasks(par, m, n, k, d0 * d1);", P);
    em_line(e, "    %s_run(par, j.tasks, %s_bmm_task, &j);", P, P);
    em_line(e, "}");
}
