/* emit_kernels: ops with loops of their own — matrix products through the
 * model's GEMM, and the row-wise softmax family and losses, each numerically
 * careful (the row max is subtracted before exp: no overflow at ±1e4). */
#include <string.h>
#include "dims.h"
#include "emit.h"

/* Rows and columns of a row-wise op over x: the last axis is the row. */
static void rows_cols(Emit *e, const Node *x, const char **rows, const char **cols)
{
    Shape s = x->shape, lead = s;
    lead.rank = s.rank - 1;
    *rows = em_numel(e, lead);
    *cols = em_extent(e, s.d[s.rank - 1]);
}

/* The operands of a GEMM call: m, n, k and the argument text of each side. */
typedef struct GemmArgs {
    const char *m, *n, *k, *a, *lda, *b, *ldb;
    int ta, tb;
} GemmArgs;

/* The rows of A [..., m, k] (untransposed) with its batch folded in: the product of its leading extents. */
static const char *folded_rows(Emit *e, Shape sa)
{
    sa.rank--;
    return em_numel(e, sa);
}

/* A stack A [..., m, k] times a matrix B is one GEMM over the batch folded
 * into rows (plan_fuse's one_gemm): [rows, k] @ op(B). */
static GemmArgs gemm_args(Emit *e, const Node *n)
{
    const Node *a = n->in[0], *b = n->in[1];
    Shape sa = a->shape, sb = b->shape;
    if (sa.rank > 2)
        sa = (Shape){ 2, { 0, sa.d[sa.rank - 1] } };
    GemmArgs g = { .ta = n->ta, .tb = n->tb && sb.rank == 2 };
    g.m = sa.rank == 1 ? "1" : a->shape.rank > 2 ? folded_rows(e, a->shape) : em_extent(e, n->ta ? sa.d[1] : sa.d[0]);
    g.k = em_extent(e, sa.rank == 1 ? sa.d[0] : n->ta ? sa.d[0] : sa.d[1]);
    g.n = sb.rank == 1 ? "1" : em_extent(e, n->tb ? sb.d[0] : sb.d[1]);
    g.lda = em_extent(e, sa.d[sa.rank - 1]);
    g.ldb = sb.rank == 1 ? "1" : em_extent(e, sb.d[1]);
    g.a = em_ptr(e, a);
    g.b = em_ptr(e, b);
    em_kernel(e, "gemm");       /* marks the GEMM used: emitted only then */
    em_kernel(e, "epilogue");   /* P_mm calls it */
    return g;
}

/* The fusion's sum of squares of its weight when the current pass computes both it and
 * the fusion, else NULL. */
const Node *em_sumsq(const Emit *e, const Fusion *f)
{
    return f->sumsq && (!e->only || (e->only[f->sumsq->id] && e->only[f->root->id])) ? f->sumsq : NULL;
}

/* When n is the sum of squares a fused product of this pass computes at one row: the
 * product's rows (the sum's own statement then runs only at other row counts; find_sumsq's
 * product is a plain [m, k] @ [k, n]), else NULL. */
const char *em_sumsq_rows(Emit *e, const Node *n)
{
    for (int i = 0; i < e->p->nfusions; i++)
        if (e->p->fusions[i].sumsq == n && em_sumsq(e, &e->p->fusions[i]))
            return em_extent(e, e->p->fusions[i].kernel->in[0]->shape.d[0]);
    return NULL;
}

/* The one-row branch of a product C = a @ B (+ its epilogue) fused with ss = sum(B * B):
 * B in blocks of 16 rows, each multiplied in (P_gemm at m = 1: the same multiply-adds in
 * the same order as one call) and then its squares summed (P_dot) while in L1. */
static void gemm_row_sumsq(Emit *e, const GemmArgs *g, const Node *ss, const char *C, const char *epi)
{
    em_line(e, "if (%s == 1) {   /* one row: %s's squares summed in the same pass over it (%s) */", g->m, g->b,
            e->p->cname[ss->id]);
    e->indent++;
    em_line(e, "double bp_sq = 0;");
    em_line(e, "for (int64_t bp_p = 0; bp_p < %s; bp_p += 16) {", g->k);
    em_line(e, "    const int64_t bp_kb = %s - bp_p < 16 ? %s - bp_p : 16;", g->k, g->k);
    em_line(e, "    %s_gemm(0, 0, 1, %s, bp_kb, 1, %s + bp_p, %s, %s + bp_p * %s, %s, bp_p > 0, %s, %s);", e->P, g->n, g->a,
            g->lda, g->b, g->ldb, g->ldb, C, g->n);
    em_line(e, "    bp_sq += %s(bp_kb * %s, %s + bp_p * %s, %s + bp_p * %s);", em_kernel(e, "dot"), g->ldb, g->b, g->ldb,
            g->b, g->ldb);
    em_line(e, "}");
    em_line(e, "%s[0] = (%s)bp_sq;", em_buf(e, ss), e->real);
    if (epi)
        em_line(e, "%s", epi);
    e->indent--;
}

/* The row of W where product n = A @ W splits W's rows in two (the middle multiple of
 * EM_PARAM_ROW_GRAIN, from W's extents alone), or 0 for a product computed whole. Only for a W the step
 * updates: P_mmu, P_upd and P_pdot split such a param by rows, and a split of this
 * product by columns (P_mm) left half of each task's rows in the other core's cache; a W
 * of 64k values (256 KiB of floats, a quarter of a Zen 4 core's L2) or more. Two halves
 * over rows [0, k0) and [k0, k) are the 2-thread split of those rows (P_mmu's tasks split
 * rows in multiples of the grain: k0 = their boundary; a grain of 64 would give 784 rows as 384 and 400, the
 * second task 4 % longer in both products), and each element is then the sum of the two
 * halves' sums, for any thread count. */
static int64_t param_halves(const Emit *e, const Node *n)
{
    if (!n || e->g->opt == OPT_NONE || n->op != OP_MATMUL || n->ta || n->tb)
        return 0;
    const Node *w = n->in[1];
    const Extent k = w->shape.d[0];
    const Extent cols = w->shape.d[1];
    const bool big = k >= 128 && k * cols >= 65536;   /* (any W of 2 rows or more under --split-all) */
    if (w->op != OP_PARAM || w->shape.rank != 2 || n->in[0]->shape.rank != 2 || dims_is_derived(k) || k < 2 ||
        dims_is_derived(cols) || cols < 1 || !(big || e->split_all))
        return 0;
    for (int i = 0; i < e->g->ngrads; i++)
        if (e->g->grads[i].decl == w->decl)
            return big ? k / EM_PARAM_ROW_GRAIN / 2 * EM_PARAM_ROW_GRAIN : k / 2;
    return 0;
}

/* The row where the one-row form of product n = a @ W splits W's rows between two tasks
 * (P_mvk), or 0: param_halves' k0, for a W of 512 KiB or more. At batch 1 the step is
 * memory-bound, and W with its gradient outgrow a core's L2 (1 MiB on Zen 4), while each
 * half of both fits one: with the same half of W to the same task in the product and in
 * the update (P_mmu at depth 1: P_mmu_tasks' one_row), each core keeps its half through
 * the step (the 784-256-10 MLP's step at batch 1 on 2 threads, hand-edited A/B:
 * 0.042-0.063 -> 0.030-0.031 ms). A smaller W fits one core's L2 already. */
static int64_t one_row_halves(const Emit *e, const Node *n)
{
    const int64_t k0 = param_halves(e, n);
    if (!k0)
        return 0;
    const Shape w = n->in[1]->shape;
    return (double)w.d[0] * (double)w.d[1] * (e->f64 ? 8 : 4) >= 524288.0 || e->split_all ? k0 : 0;
}

/* Whether the one-row product by param decl splits by rows (one_row_halves): P_mmu then
 * splits the update of its rows at depth 1 too, into the same tasks. */
static bool splits_one_row(const Emit *e, int decl)
{
    for (int i = 0; i < e->g->n; i++) {
        const Node *n = e->g->nodes[i];
        if (e->p->live[i] && n->op == OP_MATMUL && n->in[1]->op == OP_PARAM && n->in[1]->decl == decl &&
            one_row_halves(e, n))
            return true;
    }
    return false;
}

const char *em_gemm_scratch(Emit *e, const Node *n)
{
    return param_halves(e, n) ? em_numel(e, n->shape) : NULL;
}

/* The serial code of a product over W's row halves (param_halves): the first half into C,
 * the second into the scratch, added, then the epilogue (P_mmk on threads). */
static void gemm_halves_serial(Emit *e, const GemmArgs *g, int64_t k0, const char *C, const char *epi)
{
    const char *part = "bp_part";
    em_line(e, "%s *bp_part = %s;", e->real, em_scratch(e));
    em_line(e, "%s_gemm(0, 0, %s, %s, %lld, 1, %s, %s, %s, %s, 0, %s, %s);", e->P, g->m, g->n, (long long)k0, g->a, g->lda,
            g->b, g->ldb, C, g->n);
    em_line(e, "%s_gemm(0, 0, %s, %s, %s - %lld, 1, %s + %lld, %s, %s + %lld * %s, %s, 0, %s, %s);", e->P, g->m, g->n, g->k,
            (long long)k0, g->a, (long long)k0, g->lda, g->b, (long long)k0, g->ldb, g->ldb, part, g->n);
    em_line(e, "%s(%s * %s, %s, %s);", em_kernel(e, "add"), g->m, g->n, C, part);
    if (epi)
        em_line(e, "%s", epi);
}

/* The one-row branch of a product C = a @ W (+ its epilogue) over W's row halves split at
 * k0 (one_row_halves): P_mvk, a task a half, with ss = sum(W * W) summed in the same pass
 * when ss is not NULL. */
static void gemm_row_halves(Emit *e, const GemmArgs *g, int64_t k0, const Node *ss, const char *C, const char *epi)
{
    em_line(e, "if (%s == 1) {   /* one row: over %s's rows [0, %lld) and [%lld, %s) apart, a task each (P_mvk)%s%s%s */",
            g->m, g->b, (long long)k0, (long long)k0, g->k, ss ? ", its squares summed in the same pass (" : "",
            ss ? e->p->cname[ss->id] : "", ss ? ")" : "");
    e->indent++;
    em_kernel(e, "add");   /* P_mvk's halves added */
    if (ss)
        em_kernel(e, "dot");
    const char *call = arena_printf(e->g->arena, "%s_mvk(io->bp_par, %s, %s, %lld, %s, %s, %s, %s, %s, %s, %d)", e->P,
                                    g->n, g->k, (long long)k0, g->a, g->lda, g->b, g->ldb, C, em_scratch(e), ss != NULL);
    if (ss)
        em_line(e, "%s[0] = (%s)%s;", em_buf(e, ss), e->real, call);
    else
        em_line(e, "%s;", call);
    if (epi)
        em_line(e, "%s", epi);
    e->indent--;
    e->mvk |= ss ? 3 : 1;
}

/* The serial code of a product computed whole: C = op(A) @ op(B) (+ c X when x,
 * or + C when beta) in one GEMM, then the epilogue statement epi (NULL: none). */
static void gemm_whole(Emit *e, const GemmArgs *g, const char *C, const char *x, double c, int beta, const char *epi)
{
    if (x)
        em_line(e, "%s(%s * %s, %s, %s, %s);", em_kernel(e, "scale"), g->m, g->n, C, em_widen(e, em_lit(e, c)), x);
    em_line(e, "%s_gemm(%d, %d, %s, %s, %s, 1, %s, %s, %s, %s, %d, %s, %s);", e->P, g->ta, g->tb, g->m, g->n, g->k, g->a,
            g->lda, g->b, g->ldb, x || beta, C, g->n);
    if (epi)
        em_line(e, "%s", epi);
}

/* C = op(A) @ op(B) (+ c X when x, or + C when beta), then the epilogue (bias, relu,
 * mask, colsum: "NULL"/0 for none). Without threads (P_mm_tasks: 1) the call
 * site's own serial code, with its constant sizes (which the portable GEMM is
 * specialised on); else P_mm (emit_parallel.c) on the host's threads. Product
 * node n (NULL: none) over a param's row halves (param_halves) when it pays
 * for threads (P_pays: from its sizes alone), P_mmk on threads.
 * Vectors are 1-row (left) or 1-column (right) matrices. */
static void gemm_emit(Emit *e, const Node *n, GemmArgs g, const char *C, const char *x, double c, int beta,
                      const char *bias, int relu, const char *mask, const char *colsum, const Node *sumsq)
{
    const char *epi = NULL;
    if (strcmp(bias, "NULL") || relu || strcmp(mask, "NULL") || strcmp(colsum, "NULL"))
        epi = arena_printf(e->g->arena, "%s(%s, %s, %s, %s, %s, %d, %s, %s, %s);", em_kernel(e, "epilogue"), g.m, g.n, C,
                           g.n, bias, relu, mask, g.n, colsum);
    const int64_t k0 = x || beta ? 0 : param_halves(e, n), r0 = x || beta ? 0 : one_row_halves(e, n);
    if (r0)
        gemm_row_halves(e, &g, r0, sumsq, C, epi);
    else if (sumsq)
        gemm_row_sumsq(e, &g, sumsq, C, epi);
    const char *els = sumsq || r0 ? "} else " : "";
    if (k0) {
        em_line(e, "%sif (%s_pays(%s, %s, %s, 1)) {   /* over %s's rows [0, %lld) and [%lld, %s) apart */",
                els, e->P, g.m, g.n, g.k, e->p->cname[n->in[1]->id], (long long)k0, (long long)k0, g.k);
        em_line(e, "    if (%s_mm_tasks(io->bp_par, %s, %s, %s, %d) < 2) {", e->P, g.m, g.n, g.k, strcmp(colsum, "NULL") != 0);
        e->indent += 2;
        gemm_halves_serial(e, &g, k0, C, epi);
        e->indent -= 2;
        em_line(e, "    } else {");
        em_line(e, "        %s_mmk(io->bp_par, %s, %s, %s, %lld, %s, %s, %s, %s, %s, %s, %s, %d, %s, %s, %s);", e->P, g.m, g.n,
                g.k, (long long)k0, g.a, g.lda, g.b, g.ldb, C, em_scratch(e), bias, relu, mask, g.n, colsum);
        em_line(e, "    }");
        em_line(e, "} else {");
        e->indent++;
        gemm_whole(e, &g, C, NULL, 0, 0, epi);
        e->indent--;
        em_line(e, "}");
        e->mmk = true;
        return;
    }
    em_line(e, "%sif (%s_mm_tasks(io->bp_par, %s, %s, %s, %d) < 2) {", els, e->P, g.m, g.n, g.k,
            strcmp(colsum, "NULL") != 0);
    e->indent++;
    gemm_whole(e, &g, C, x, c, beta, epi);
    e->indent--;
    em_line(e, "} else {");
    em_line(e, "    %s_mm(io->bp_par, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %d, %s, %s, %s);", e->P, g.ta,
            g.tb, g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, x ? em_lit(e, c) : beta ? "1" : "0", x ? x : "NULL", C, g.n, bias,
            relu, mask, g.n, colsum);
    em_line(e, "}");
}

static void gemm_call(Emit *e, const Node *n, const char *C, const char *x, double c, int beta, const char *bias,
                      int relu, const char *mask, const char *colsum, const Node *sumsq)
{
    gemm_emit(e, n, gemm_args(e, n), C, x, c, beta, bias, relu, mask, colsum, sumsq);
}

void em_gemm_plain(Emit *e, int ta, int tb, const char *m, const char *n, const char *k, const char *A, const char *lda,
                   const char *B, const char *ldb, const char *C)
{
    const GemmArgs g = { m, n, k, A, lda, B, ldb, ta, tb };
    em_kernel(e, "gemm");
    em_kernel(e, "epilogue");   /* P_mm calls it */
    gemm_emit(e, NULL, g, C, NULL, 0, 0, "NULL", 0, "NULL", "NULL", NULL);
}

/* The local of decl d's param (marks it used; param nodes live in io). */
static const char *param_ptr(Emit *e, const Decl *d)
{
    for (int i = 0; i < e->g->n; i++)
        if (e->g->nodes[i]->op == OP_PARAM && &e->g->decls[e->g->nodes[i]->decl] == d)
            return em_ptr(e, e->g->nodes[i]);
    return arena_printf(e->g->arena, "io->%s", d->name);
}

/* P_mmu_tasks' and P_mmu_pre's last argument for the update of grad gi's param: whether its
 * update splits at depth 1 (splits_one_row) */
static int mmu_one_row(const Emit *e, int gi)
{
    return splits_one_row(e, e->g->grads[gi].decl);
}

/* The condition under which P_mmu's tasks for product g, finishing grad gi, recompute product
 * s, their B operand (em_step_pre): P_mmu_pre, the same text at s's statement and at the call. */
static const char *mmu_pre_cond(Emit *e, const GemmArgs *g, int gi, const Fusion *s)
{
    return arena_printf(e->g->arena, "%s_mmu_pre(io->bp_par, %s, %s, %s, %s, %d)", e->P, g->m, g->n, g->k,
                        em_numel(e, s->root->shape), mmu_one_row(e, gi));
}

/* The branch of gemm_update's call site where each P_mmu task computes its own copy of
 * product s (task 0 into s's buffer, with its column sum; the others into the scratch):
 * mmu is the P_mmu call up to its last two arguments. */
static void mmu_recomputing(Emit *e, const GemmArgs *g, int gi, const Fusion *s, const char *mmu)
{
    const GemmArgs q = gemm_args(e, s->kernel);
    em_line(e, "} else if (%s) {   /* %s: computed by each task (P_mmu) */", mmu_pre_cond(e, g, gi, s),
            e->p->cname[s->root->id]);
    em_line(e, "    const %s_mm_job bp_pre = %s_mm_desc(%d, %d, %s, %s, %s, %s, %s, %s, %s, 0, NULL, %s, %s, %s, %d, %s, %s, %s);", e->P,
            e->P, q.ta, q.tb, q.m, q.n, q.k, q.a, q.lda, q.b, q.ldb, em_buf(e, s->root), q.n,
            s->bias ? em_ptr(e, s->bias) : "NULL", s->relu, s->mask ? em_ptr(e, s->mask) : "NULL", q.n,
            s->colsum ? em_buf(e, s->colsum) : "NULL");
    em_line(e, "    %s, &bp_pre, %s);", mmu, em_scratch(e));
    if (!e->recomputed)
        e->recomputed = arena_alloc(e->g->arena, (size_t)e->g->n + 1);
    e->recomputed[s->root->id] = true;
}

/* P_step's form of the fusion C = c X + op(A) op(B) (+ epilogue) that finishes
 * param d's gradient (emit_stepfuse.c): the GEMM in blocks of 64 rows of C
 * (8 when k is 1; the last block to the end), each followed by the optimizer
 * on the same rows of d, while they are in cache; P_mmu on the host's threads. Each element is
 * computed as by gemm_call then P_upd: bit-identical to P_grad + P_update. */
static void gemm_update(Emit *e, const Fusion *f, const char *C, const char *x, double c, int gi)
{
    const Decl *d = &e->g->decls[e->g->grads[gi].decl];
    GemmArgs g = gemm_args(e, f->kernel);
    const char *bias = f->bias ? em_ptr(e, f->bias) : "NULL", *mask = f->mask ? em_ptr(e, f->mask) : "NULL";
    const char *pm = e->g->opt != OPT_SGD ? arena_printf(e->g->arena, "io->%s_m", d->name) : "NULL";
    const char *pv = e->g->opt == OPT_ADAM ? arena_printf(e->g->arena, "io->%s_v", d->name) : "NULL";
    const char *pp = param_ptr(e, d);
    em_line(e, "/* and the update of %s, 64 rows at a time */", d->name);
    const int one_row = mmu_one_row(e, gi);
    em_line(e, "if (%s_mmu_tasks(io->bp_par, %s, %s, %s, %d) < 2) {", e->P, g.m, g.n, g.k, one_row);
    em_line(e, "    /* 64 rows (8 at depth 1: an outer product, elementwise, whose three passes then stay in L1),");
    em_line(e, "     * the last block first: the end of the param is what the forward pass read last */");
    em_line(e, "    const int64_t bp_rows = %s == 1 ? 8 : 64, bp_nblk = %s / bp_rows > 1 ? %s / bp_rows : 1;", g.k, g.m, g.m);
    em_line(e, "    for (int64_t bp_blk = bp_nblk - 1; bp_blk >= 0; bp_blk--) {");
    e->indent += 2;
    em_line(e, "const int64_t bp_i0 = bp_blk * bp_rows, bp_mb = bp_blk + 1 == bp_nblk ? %s - bp_i0 : bp_rows;", g.m);
    em_line(e, "%s *bp_cb = %s + bp_i0 * %s;", e->real, C, g.n);
    if (x)
        em_line(e, "%s(bp_mb * %s, bp_cb, %s, %s + bp_i0 * %s);", em_kernel(e, "scale"), g.n, em_widen(e, em_lit(e, c)), x, g.n);
    em_line(e, "%s_gemm(%d, %d, bp_mb, %s, %s, 1, %s + bp_i0 * %s, %s, %s, %s, %d, bp_cb, %s);", e->P, g.ta, g.tb, g.n, g.k, g.a,
            g.ta ? "1" : g.lda, g.lda, g.b, g.ldb, x != NULL, g.n);
    if (f->bias || f->relu || f->mask)
        em_line(e, "%s(bp_mb, %s, bp_cb, %s, %s, %d, %s%s, %s, NULL);", em_kernel(e, "epilogue"), g.n, g.n, bias, f->relu, mask,
                f->mask ? arena_printf(e->g->arena, " + bp_i0 * %s", g.n) : "", g.n);
    em_line(e, "%s", em_upd_call(e, arena_printf(e->g->arena, "bp_mb * %s", g.n),
                                 arena_printf(e->g->arena, "%s + bp_i0 * %s", pp, g.n),
                                 arena_printf(e->g->arena, "%s + bp_i0 * %s", pm, g.n),
                                 arena_printf(e->g->arena, "%s + bp_i0 * %s", pv, g.n), "bp_cb", "bp_hyp"));
    e->indent -= 2;
    em_line(e, "    }");
    const char *mmu = arena_printf(e->g->arena, "%s_mmu(io->bp_par, %d, %d, %s, %s, %s, %d, %s, %s, %s, %s, %s, %s, %s, %s, %d, %s, %s, %s, %s, bp_hyp",
                                   e->P, g.ta, g.tb, g.m, g.n, g.k, one_row, g.a, g.lda, g.b, g.ldb, x ? em_lit(e, c) : "0",
                                   x ? x : "NULL", C, bias, f->relu, mask, pp, pm, pv);
    const Fusion *s = em_step_pre(e, f, gi);
    if (s)
        mmu_recomputing(e, &g, gi, s, mmu);
    em_line(e, "} else {");
    em_line(e, "    %s, NULL, NULL);", mmu);
    em_line(e, "}");
    e->mmu = true;
    e->fused[gi] = true;
    e->nfused++;
}

/* The product statement of node n as a fusion of its own (em_matmul's), when n is one:
 * a live 2-D product with a buffer, in no fusion of the plan. */
static bool alone(const Emit *e, const Node *n, Fusion *f)
{
    const Plan *p = e->p;
    if (n->op != OP_MATMUL || !p->live[n->id] || !p->mat[n->id] || p->in_fusion[n->id] || p->fusion_of[n->id] >= 0 ||
        n->in[0]->shape.rank > 2 || n->in[1]->shape.rank > 2)
        return false;
    *f = (Fusion){ .root = (Node *)n, .kernel = (Node *)n };
    return true;
}

void em_bmatmul(Emit *e, Node *n);   /* emit_bmm.c */
static int step_upd_of(Emit *e, const Fusion *f, const char **x, double *c);

/* A product of its own (no epilogue, no addend: no fusion of the plan), in P_step's
 * backward pass with the update of the param whose gradient it finishes when
 * em_step_upd allows (a weight gradient without an L2 term: W1_grad = xᵀ @ dh_pre). */
void em_matmul(Emit *e, Node *n)
{
    if (n->in[0]->shape.rank > 2 || n->in[1]->shape.rank > 2) {
        em_bmatmul(e, n);
        return;
    }
    em_comment(e, n);
    Fusion f;
    const char *x;
    double c;
    const int gi = e->step_fuse && alone(e, n, &f) ? step_upd_of(e, &f, &x, &c) : -1;
    if (gi >= 0) {
        gemm_update(e, &f, em_buf(e, n), NULL, 0, gi);
        return;
    }
    gemm_call(e, n, em_buf(e, n), NULL, 0, 0, "NULL", 0, "NULL", "NULL", NULL);
}

/* GEMM fusion f's addend c X over a whole buffer (x, with c), NULL when it has none or
 * another, and the gradient index whose update P_step fuses into f (em_step_upd) or -1 */
static int step_upd_of(Emit *e, const Fusion *f, const char **x, double *c)
{
    *c = 0;
    *x = f->addend ? em_scaled(e, f->addend, c) : NULL;
    return em_step_upd(e, f, !f->addend || *x);
}

/* Whether a GEMM of P_step (a fusion, or a product alone) has P_mmu tasks that recompute
 * fusion s (em_step_pre): then *u is it and *gi the grad it finishes. */
static bool recomputed_by(Emit *e, const Fusion *s, Fusion *u, int *gi)
{
    const char *x;
    double c;
    for (int i = 0; e->step_fuse && i < e->p->nfusions; i++) {
        *u = e->p->fusions[i];
        if (u->kernel->op == OP_MATMUL && u->kernel->in[1] == s->root && em_step_pre(e, u, *gi = step_upd_of(e, u, &x, &c)) == s)
            return true;
    }
    for (int i = 0; e->step_fuse && i < e->g->n; i++)
        if (alone(e, e->g->nodes[i], u) && u->kernel->in[1] == s->root &&
            em_step_pre(e, u, *gi = step_upd_of(e, u, &x, &c)) == s)
            return true;
    return false;
}

/* One pass: a GEMM with its epilogue, or the scaled cross-entropy gradient. */
void em_fusion(Emit *e, const Fusion *f)
{
    const char *C = em_buf(e, f->root), *sum = f->colsum ? em_buf(e, f->colsum) : "NULL";
    em_comment(e, f->root);
    if (f->colsum)
        em_line(e, "/* and %s = %s */", e->p->cname[f->colsum->id], em_render(e, f->colsum, 0));
    if (em_sumsq(e, f))
        em_line(e, "/* and, at one row, %s = %s */", e->p->cname[f->sumsq->id], em_render(e, f->sumsq, 0));
    if (f->kernel->op == OP_CAUSAL) {
        em_causal_softmax(e, f);
        return;
    }
    if (f->kernel->op == OP_SOFTMAX_AX_GRAD) {
        em_causal_softmax_grad(e, f);
        return;
    }
    if (f->kernel->op == OP_XENT_GRAD) {
        const char *rows, *cols;
        rows_cols(e, f->kernel->in[0], &rows, &cols);
        em_line(e, "{");
        e->indent++;
        const char *scale = em_scalar(e, f->scale);
        em_kernel(e, "xent_grad");   /* P_pxent (emit_parallel.c) calls it */
        em_line(e, "%s_pxent(io->bp_par, %s, %s, %s, %s, %s, %s, %s);", e->P, rows, cols, em_ptr(e, f->kernel->in[0]),
                em_ptr(e, f->kernel->in[1]), scale, C, sum);
        e->indent--;
        em_line(e, "}");
        return;
    }
    /* C = E + A@B: c * X is written by the GEMM's tasks block by block (the L2 term
     * of a weight's gradient), any other E into C first */
    double c;
    const char *x;
    const int gi = step_upd_of(e, f, &x, &c);
    if (gi >= 0) {
        gemm_update(e, f, C, x, c, gi);
        return;
    }
    int ugi = -1;
    Fusion uf;
    const Fusion *u = recomputed_by(e, f, &uf, &ugi) ? &uf : NULL;
    if (u) {
        const GemmArgs g = gemm_args(e, u->kernel);
        em_line(e, "if (%s) {", mmu_pre_cond(e, &g, ugi, f));
        em_line(e, "    /* computed by the tasks of %s's product below, each its own copy (P_mmu) */", e->p->cname[u->root->id]);
        em_line(e, "} else {");
        e->indent++;
    }
    if (f->addend && !x)
        em_fill(e, C, f->addend);
    gemm_call(e, f->kernel, C, x, c, f->addend != NULL, f->bias ? em_ptr(e, f->bias) : "NULL", f->relu,
              f->mask ? em_ptr(e, f->mask) : "NULL", sum, em_sumsq(e, f));
    if (u) {
        e->indent--;
        em_line(e, "}");
    }
}

/* The row loop shared by the softmax family: x row, max subtracted, sum of exps; on the
 * host's threads when it is all of statement stmt's work (not a loss's sum over rows) and pays. */
static void row_open(Emit *e, const Node *stmt, const Node *x, const char *out, const char *rows, const char *cols)
{
    em_line(e, "%s {", em_rows_for(e, stmt, "r", rows, x->shape));
    e->indent++;
    em_line(e, "const %s *row = %s + r * %s;", e->real, em_ptr(e, x), cols);
    if (out)
        em_line(e, "%s *o = %s + r * %s;", e->real, out, cols);
    em_line(e, "%s mx = row[0];", e->real);
    em_line(e, "for (int64_t j = 1; j < %s; j++) if (row[j] > mx) mx = row[j];", cols);
    em_line(e, "double sum = 0;");
    em_line(e, "for (int64_t j = 0; j < %s; j++) sum += %s;", cols,
            em_widen(e, arena_printf(e->g->arena, "%s(row[j] - mx)", em_math(e, "exp"))));
}

static void row_close(Emit *e)
{
    e->indent--;
    em_line(e, "}");
}

/* softmax: y = exp(x - max) / Σ exp(x - max);  log_softmax: y = x - max - log Σ exp(x - max); per row */
static void softmax_rows(Emit *e, Node *n, bool log_form)
{
    const char *rows, *cols;
    rows_cols(e, n->in[0], &rows, &cols);
    em_comment(e, n);
    row_open(e, n, n->in[0], em_buf(e, n), rows, cols);
    if (log_form) {
        em_line(e, "const %s lse = mx + (%s)log(sum);", e->real, e->real);
        em_line(e, "for (int64_t j = 0; j < %s; j++) o[j] = row[j] - lse;", cols);
    } else {
        em_line(e, "const %s inv = (%s)(1 / sum);", e->real, e->real);
        em_line(e, "for (int64_t j = 0; j < %s; j++) o[j] = %s(row[j] - mx) * inv;", cols, em_math(e, "exp"));
    }
    row_close(e);
}

/* softmax over the last axis: emit_bmm.c's one-exp-per-entry line pass */
void em_softmax(Emit *e, Node *n) { em_softmax_lines(e, n, 1 << (n->shape.rank - 1)); }
void em_log_softmax(Emit *e, Node *n) { softmax_rows(e, n, true); }

/* A loss is the mean over rows of a per-row term accumulated in acc. */
static void loss_open(Emit *e, Node *n, const char **rows, const char **cols)
{
    rows_cols(e, n->in[0], rows, cols);
    em_comment(e, n);
    em_line(e, "{");
    e->indent++;
    em_line(e, "double acc = 0;");
}

static void loss_close(Emit *e, Node *n, const char *rows)
{
    em_line(e, "%s[0] = (%s)(acc / (double)%s);", em_buf(e, n), e->real, rows);
    e->indent--;
    em_line(e, "}");
}

/* loss = mean over rows of log Σ exp(s) - s[y] */
void em_xent(Emit *e, Node *n)
{
    const char *rows, *cols;
    loss_open(e, n, &rows, &cols);
    row_open(e, NULL, n->in[0], NULL, rows, cols);
    em_line(e, "acc += %s + log(sum) - %s;", em_widen(e, "mx"), em_widen(e, arena_printf(e->g->arena, "row[%s[r]]", em_ptr(e, n->in[1]))));
    row_close(e);
    loss_close(e, n, rows);
}

/* ds = softmax(s) - onehot(y), per row: the support kernel, unscaled */
void em_xent_grad(Emit *e, Node *n)
{
    const char *rows, *cols;
    rows_cols(e, n->in[0], &rows, &cols);
    em_comment(e, n);
    em_kernel(e, "xent_grad");   /* P_pxent (emit_parallel.c) calls it */
    em_line(e, "%s_pxent(io->bp_par, %s, %s, %s, %s, 1, %s, NULL);", e->P, rows, cols, em_ptr(e, n->in[0]),
            em_ptr(e, n->in[1]), em_buf(e, n));
}

static void svm_row_open(Emit *e, const Node *n, const char *out, const char *rows, const char *cols)
{
    em_line(e, "for (int64_t r = 0; r < %s; r++) {", rows);
    e->indent++;
    em_line(e, "const %s *row = %s + r * %s;", e->real, em_ptr(e, n->in[0]), cols);
    if (out)
        em_line(e, "%s *o = %s + r * %s;", e->real, out, cols);
    em_line(e, "const int32_t lab = %s[r];", em_ptr(e, n->in[1]));
    em_line(e, "const %s sy = row[lab];", e->real);
}

/* loss = mean over rows of Σ_{j≠y} max(0, s_j - s_y + margin) */
void em_svm(Emit *e, Node *n)
{
    const char *rows, *cols;
    loss_open(e, n, &rows, &cols);
    svm_row_open(e, n, NULL, rows, cols);
    em_line(e, "for (int64_t j = 0; j < %s; j++) {", cols);
    em_line(e, "    const %s d = row[j] - sy + %s;", e->real, em_lit(e, n->f));
    em_line(e, "    if (j != lab && d > 0) acc += %s;", em_widen(e, "d"));
    em_line(e, "}");
    row_close(e);
    loss_close(e, n, rows);
}

/* ds_j = [s_j - s_y + margin > 0] for j ≠ y; ds_y = -(count of those) */
void em_svm_grad(Emit *e, Node *n)
{
    const char *rows, *cols;
    rows_cols(e, n->in[0], &rows, &cols);
    em_comment(e, n);
    svm_row_open(e, n, em_buf(e, n), rows, cols);
    em_line(e, "%s count = 0;", e->real);
    em_line(e, "for (int64_t j = 0; j < %s; j++) {", cols);
    em_line(e, "    o[j] = j != lab && row[j] - sy + %s > 0 ? 1 : 0;", em_lit(e, n->f));
    em_line(e, "    count += o[j];");
    em_line(e, "}");
    em_line(e, "o[lab] = -count;");
    row_close(e);
}
