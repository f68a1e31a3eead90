/* emit_parallel: the model's entry to the host's threads (io->bp_par, the
 * bp_parallel hook of bp_common.h). Helpers, emitted when used:
 *   P_tasks  how many tasks a split makes (one rule for all of them), and
 *   P_run    runs them on the host's threads, or task 0 inline;
 *   P_mm     a GEMM and its epilogue (bias, relu, mask, column sums), split
 *            into blocks of 64 or more columns of C (rows when C is narrow);
 *   P_bmm    a batched product, split into whole slices (emit_bmm.c);
 *   P_upd    the optimizer update of one param, split into ranges;
 *   P_mmu    P_step's GEMM that finishes a gradient, with the param's update
 *            (and its B operand recomputed by each task: em_step_pre);
 *   P_mmk    a product A @ W over the row halves of a param W the step
 *            updates (emit_kernels.c's param_halves), each half a task;
 *   P_mvk    the same at one row (one_row_halves), for the step at batch 1;
 *   P_pdot   a big sum(a * b), in fixed blocks added in block order;
 *   P_pxent  the softmax cross-entropy gradient by rows, its column sums by
 *            columns (each column over the rows in row order);
 *   P_rows   a pass's elementwise, layout or row-kernel statement by rows
 *            (emit_rows.c).
 * Each task writes its own block of the output, and each element is computed
 * by the same operations in the same order as in the serial call: the GEMM
 * never splits k (P_mmk's halves are the serial code's too, fixed by W's
 * extents), a block is never narrower than 64 (so the runtime GEMM
 * takes the same vector-shape path as for the whole), and a column sum over
 * row blocks is added up afterwards in row order. Results are therefore
 * bit-identical for any thread count. With io->bp_par NULL (or < 2 threads,
 * or a small product) each helper is the serial call it replaces. */
#include <string.h>
#include "emit.h"

const char *em_grain(const Emit *e, const char *grain)
{
    return e->split_all ? "1" : grain;
}

/* The head of task function P_fn(arg, t) of a job P_job: j, and the range [lo, hi) of
 * whole blocks of grain in [0, len) that task t of j->tasks takes (P_from). */
static void task_head(Emit *e, const char *fn, const char *job, const char *len, const char *grain)
{
    const char *P = e->P;
    em_line(e, "static void %s_%s(void *arg, int t)", P, fn);
    em_line(e, "{");
    em_line(e, "    const %s_%s *j = (const %s_%s *)arg;", P, job, P, job);
    em_line(e, "    const int64_t lo = %s_from(%s, %s, t, j->tasks), hi = %s_from(%s, %s, t + 1, j->tasks);", P, len, grain, P,
            len, grain);
}

/* GEMM + epilogue: the job, a block of it, the task, the entry. */
static void mm_job(Emit *e, const char *P, const char *R)
{
    const char *G64 = em_grain(e, "64");   /* a block of rows or columns of a product */
    em_line(e, "typedef struct %s_mm_job {", P);
    em_line(e, "    int ta, tb, relu, by_rows, tasks;");
    em_line(e, "    int64_t m, n, k, lda, ldb, ldc, ldm;");
    em_line(e, "    const %s *A, *B, *E, *bias, *mask;", R);
    em_line(e, "    %s beta, *C, *colsum;", R);
    em_line(e, "} %s_mm_job;", P);
    em_line(e, "/* the job of C = op(A) op(B) + beta C (+ beta E instead when E: C and E both ldc apart), then");
    em_line(e, " * epilogue(C) (bias, relu, mask, colsum: NULL/0 for none), as one task */");
    em_line(e, "static %s_mm_job %s_mm_desc(int ta, int tb, int64_t m, int64_t n, int64_t k, const %s *A, int64_t lda,", P, P, R);
    em_line(e, "                            const %s *B, int64_t ldb, %s beta, const %s *E, %s *C, int64_t ldc,", R, R, R, R);
    em_line(e, "                            const %s *bias, int relu, const %s *mask, int64_t ldm, %s *colsum)", R, R, R);
    em_line(e, "{");
    em_line(e, "    %s_mm_job j;", P);
    em_line(e, "    j.ta = ta, j.tb = tb, j.relu = relu, j.m = m, j.n = n, j.k = k, j.lda = lda, j.ldb = ldb, j.ldc = ldc;");
    em_line(e, "    j.ldm = ldm, j.A = A, j.B = B, j.E = E, j.bias = bias, j.mask = mask, j.beta = beta, j.C = C, j.colsum = colsum;");
    em_line(e, "    j.by_rows = 0, j.tasks = 1;");
    em_line(e, "    return j;");
    em_line(e, "}");
    em_line(e, "/* rows [i0, i0 + m) and columns [j0, j0 + n) of the job's C, with their epilogue */");
    em_line(e, "static void %s_mm_part(const %s_mm_job *j, int64_t i0, int64_t m, int64_t j0, int64_t n, %s *colsum)", P, P, R);
    em_line(e, "{");
    em_line(e, "    %s *c = j->C + i0 * j->ldc + j0;", R);
    em_line(e, "    if (j->E)   /* C = beta E, then C += A@B */");
    em_line(e, "        for (int64_t i = 0; i < m; i++)   /* a kernel: the JIT's tcc does not vectorise */");
    em_line(e, "            %s(n, c + i * j->ldc, (double)j->beta, j->E + (i0 + i) * j->ldc + j0);", em_kernel(e, "scale"));
    em_line(e, "    /* through a pointer the compiler cannot follow: the serial call sites' constant sizes");
    em_line(e, "     * and transposes then still specialise the portable GEMM (10 %% at batch 64) */");
    em_line(e, "    void (*volatile gemm)(int, int, int64_t, int64_t, int64_t, %s, const %s *, int64_t, const %s *, int64_t,", R, R, R);
    em_line(e, "                          %s, %s *, int64_t) = %s_gemm;", R, R, P);
    em_line(e, "    gemm(j->ta, j->tb, m, n, j->k, 1, j->ta ? j->A + i0 : j->A + i0 * j->lda, j->lda,");
    em_line(e, "            j->tb ? j->B + j0 * j->ldb : j->B + j0, j->ldb, j->E ? 1 : j->beta, c, j->ldc);");
    em_line(e, "    if (j->bias || j->relu || j->mask || colsum)");
    em_line(e, "        %s(m, n, c, j->ldc, j->bias ? j->bias + j0 : NULL, j->relu,", em_kernel(e, "epilogue"));
    em_line(e, "            j->mask ? j->mask + i0 * j->ldm + j0 : NULL, j->ldm, colsum ? colsum + j0 : NULL);");
    em_line(e, "}");
    em_line(e, "/* task t of the job: blocks of 64 rows or columns, the last task to the end */");
    em_line(e, "static void %s_mm_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    const %s_mm_job *j = (const %s_mm_job *)arg;", P, P);
    em_line(e, "    const int64_t len = j->by_rows ? j->m : j->n;");
    em_line(e, "    const int64_t lo = %s_from(len, %s, t, j->tasks), hi = %s_from(len, %s, t + 1, j->tasks);", P, G64, P, G64);
    em_line(e, "    if (j->by_rows)");
    em_line(e, "        %s_mm_part(j, lo, hi - lo, 0, j->n, NULL);", P);
    em_line(e, "    else");
    em_line(e, "        %s_mm_part(j, 0, j->m, lo, hi - lo, j->colsum);", P);
    em_line(e, "}");
}

static void mm_entry(Emit *e, const char *P, const char *R)
{
    const char *G64 = em_grain(e, "64");   /* a block of rows or columns of a product */
    em_line(e, "/* the tasks P_mm splits a product into: 1 (serial, the call site's own code) without threads");
    em_line(e, " * or unless P_pays; blocks of 64 columns of C (rows when C is narrow, or taller");
    em_line(e, " * and without a column sum), one task per thread */");
    em_line(e, "static int %s_mm_tasks(const bp_parallel *par, int64_t m, int64_t n, int64_t k, int colsum)", P);
    em_line(e, "{");
    em_line(e, "    const int64_t blocks = n / %s < 2 || (!colsum && m / %s > n / %s) ? m / %s : n / %s;", G64, G64, G64, G64, G64);
    em_line(e, "    return %s_tasks(par, blocks, %s_pays(m, n, k, 1));", P, P);
    em_line(e, "}");
    em_line(e, "/* C = op(A) op(B) + beta C (+ beta E instead when E: C and E both ldc apart), then epilogue(C)");
    em_line(e, " * (bias, relu, mask, colsum: NULL/0 for none);");
    em_line(e, " * on the host's threads when par allows and the product is big enough to pay */");
    em_line(e, "static void %s_mm(const bp_parallel *par, int ta, int tb, int64_t m, int64_t n, int64_t k, const %s *A,", P, R);
    em_line(e, "                  int64_t lda, const %s *B, int64_t ldb, %s beta, const %s *E, %s *C, int64_t ldc, const %s *bias,", R, R, R, R, R);
    em_line(e, "                  int relu,");
    em_line(e, "                  const %s *mask, int64_t ldm, %s *colsum)", R, R);
    em_line(e, "{");
    em_line(e, "    %s_mm_job j = %s_mm_desc(ta, tb, m, n, k, A, lda, B, ldb, beta, E, C, ldc, bias, relu, mask, ldm, colsum);", P, P);
    em_line(e, "    j.by_rows = n / %s < 2 || (!colsum && m / %s > n / %s);", G64, G64, G64);
    em_line(e, "    j.tasks = %s_mm_tasks(par, m, n, k, colsum != NULL);", P);
    em_line(e, "    if (j.tasks < 2) {");
    em_line(e, "        %s_mm_part(&j, 0, m, 0, n, colsum);", P);
    em_line(e, "        return;");
    em_line(e, "    }");
    em_line(e, "    par->run(par->ctx, j.tasks, %s_mm_task, &j);", P);
    em_line(e, "    if (j.by_rows && colsum) {   /* the epilogue's sums, in its order */");
    em_line(e, "        for (int64_t q = 0; q < n; q++)");
    em_line(e, "            colsum[q] = 0;");
    em_line(e, "        for (int64_t i = 0; i < m; i++)");
    em_line(e, "            %s(n, colsum, C + i * ldc);", em_kernel(e, "add"));
    em_line(e, "    }");
    em_line(e, "}");
}

const char *em_upd_call(Emit *e, const char *count, const char *p, const char *m, const char *v, const char *g,
                        const char *h)
{
    Arena *a = e->g->arena;
    if (e->g->opt == OPT_SGD)
        return arena_printf(a, "%s(%s, %s, %s, %s[0]);", em_kernel(e, "sgd"), count, p, g, h);
    if (e->g->opt == OPT_MOMENTUM)
        return arena_printf(a, "%s(%s, %s, %s, %s, %s[0], %s[1]);", em_kernel(e, "momentum"), count, p, m, g, h, h);
    return arena_printf(a, "%s(%s, %s, %s, %s, %s, %s[0], %s[1], %s[2], %s[3], %s[4], %s[5]);", em_kernel(e, "adam"), count,
                        p, m, v, g, h, h, h, h, h, h);
}

/* The optimizer's update of n values of one param, split into ranges. */
static void upd(Emit *e, const char *P, const char *R)
{
    em_line(e, "typedef struct %s_upd_job {", P);
    em_line(e, "    int64_t n, unit;");
    em_line(e, "    int tasks;");
    em_line(e, "    %s *p, *m, *v;", R);
    em_line(e, "    const %s *g;", R);
    em_line(e, "    double h[6];");
    em_line(e, "} %s_upd_job;", P);
    task_head(e, "upd_task", "upd_job", "j->n", "j->unit");
    em_line(e, "    %s", em_upd_call(e, "hi - lo", "j->p + lo", "j->m + lo", "j->v + lo", "j->g + lo", "j->h"));
    em_line(e, "}");
    em_line(e, "/* p updated from its gradient g (and state m, v); h: the hyperparameters in the kernel's order */");
    em_line(e, "static void %s_upd(const bp_parallel *par, int64_t n, %s *p, %s *m, %s *v, const %s *g, const double *h)", P, R, R, R, R);
    em_line(e, "{");
    em_line(e, "    %s_upd_job j;", P);
    em_line(e, "    j.n = n, j.unit = %s, j.p = p, j.m = m, j.v = v, j.g = g;", em_grain(e, "4096"));
    em_line(e, "    for (int q = 0; q < 6; q++)");
    em_line(e, "        j.h[q] = h[q];");
    em_line(e, "    /* memory-bound: split only when its traffic (about 3 values of n, 4 for momentum, 5 for adam)");
    em_line(e, "     * is past 4 MiB, beyond a core's L2, so that a second core adds bandwidth rather than");
    em_line(e, "     * pulling the other core's cached lines over (batch 1 ran 1.35x slower with 2 threads) */");
    em_line(e, "    j.tasks = %s_tasks(par, n / j.unit, (double)n * sizeof *p >= 1398101.0);", P);
    em_line(e, "    %s_run(par, j.tasks, %s_upd_task, &j);", P, P);
    em_line(e, "}");
}

/* P_step's GEMM that finishes a param's gradient, with the param's update
 * (emit_stepfuse.c): tasks of rows split in multiples of EM_PARAM_ROW_GRAIN (the last task to the end of C;
 * with 2 tasks the boundary is P_mmk's k0; P_mmu_tasks leaves each task 64 rows or more),
 * each task's rows in blocks of 64 from its first, its last block to its end (64 to 127
 * rows, as the serial loop's last: a block of 1 row would take the GEMM's matrix-vector
 * path, whose sums run in another order), each block's product and epilogue (P_mm_part)
 * followed by the update of the same rows. With a job pre (em_step_pre), each task first
 * computes the product B itself: task 0 into pre's C with its column sum, task t > 0 into
 * copy t - 1 of the scratch (P_copies of them, when P_mmu_pre allows); every copy holds
 * the same values, computed as by the serial statement. */
static void mmu(Emit *e, const char *P, const char *R)
{
    const char *G64 = em_grain(e, "64");   /* a block of rows or columns of a product */
    em_line(e, "typedef struct %s_mmu_job {", P);
    em_line(e, "    %s_mm_job mm;", P);
    em_line(e, "    const %s_mm_job *pre;", P);
    em_line(e, "    %s *p, *m, *v, *copies;", R);
    em_line(e, "    const double *h;");
    em_line(e, "} %s_mmu_job;", P);
    em_line(e, "static void %s_mmu_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    const %s_mmu_job *u = (const %s_mmu_job *)arg;", P, P);
    em_line(e, "    %s_mm_job mm = u->mm;", P);
    em_line(e, "    if (u->pre) {   /* B, this task's own copy */");
    em_line(e, "        %s_mm_job b = *u->pre;", P);
    em_line(e, "        if (t > 0)");
    em_line(e, "            b.C = u->copies + (t - 1) * b.m * b.ldc, b.colsum = NULL;");
    em_line(e, "        %s_mm_part(&b, 0, b.m, 0, b.n, b.colsum);", P);
    em_line(e, "        mm.B = b.C;");
    em_line(e, "    }");
    em_line(e, "    const int64_t n = mm.n;");
    const char *rg = em_grain(e, arena_printf(e->g->arena, "%d", EM_PARAM_ROW_GRAIN));
    em_line(e, "    const int64_t lo = %s_from(mm.m, %s, t, mm.tasks), hi = %s_from(mm.m, %s, t + 1, mm.tasks);", P, rg, P, rg);
    em_line(e, "    const int64_t rows = mm.k == 1 ? 8 : 64;   /* (at depth 1 as the serial loop: in L1) */");
    em_line(e, "    for (int64_t i0 = lo, mb; i0 < hi; i0 += mb) {");
    em_line(e, "        mb = hi - i0 < 2 * rows ? hi - i0 : rows;   /* the last block to the task's end */");
    em_line(e, "        const %s *g = mm.C + i0 * n;", R);
    em_line(e, "        %s_mm_part(&mm, i0, mb, 0, n, NULL);", P);
    em_line(e, "        %s", em_upd_call(e, "mb * n", "u->p + i0 * n", "u->m + i0 * n", "u->v + i0 * n", "g", "u->h"));
    em_line(e, "    }");
    em_line(e, "}");
    em_line(e, "/* the tasks of P_mmu: 1 (the call site's serial loop) without threads, under 2 blocks of");
    em_line(e, " * 64 rows or unless P_pays (as P_mm) or, at depth 1, one_row (the param's product at one");
    em_line(e, " * row splits its rows the same way: P_mvk); else one task per thread */");
    em_line(e, "static int %s_mmu_tasks(const bp_parallel *par, int64_t m, int64_t n, int64_t k, int one_row)", P);
    em_line(e, "{");
    em_line(e, "    return %s_tasks(par, m / %s, %s_pays(m, n, k, 1) || (k == 1 && one_row));", P, G64, P);
    em_line(e, "}");
    if (e->recomputed) {
        em_line(e, "/* the copies of a product of elems values P_mmu's tasks recompute: at most 3, 1 MiB in all");
        em_line(e, " * when they are smaller, at least 1 (the scratch area holds them) */");
        em_fit_fn(e, "copies", 3, 1048576);
        em_line(e, "/* whether P_mmu's tasks recompute their B operand, a product of elems values: on threads,");
        em_line(e, " * with a copy for each task after the first, and not at depth 1 (one row of B, computed");
        em_line(e, " * while the workers wake: in each task it stood between a late worker and its rows) */");
        em_line(e, "static int %s_mmu_pre(const bp_parallel *par, int64_t m, int64_t n, int64_t k, int64_t elems, int one_row)", P);
        em_line(e, "{");
        em_line(e, "    const int tasks = %s_mmu_tasks(par, m, n, k, one_row);", P);
        em_line(e, "    return tasks >= 2 && tasks - 1 <= %s_copies(elems) && k > 1;", P);
        em_line(e, "}");
    }
    em_line(e, "/* P_mm without column sums (C is ldc = n wide), then p (with m, v) updated from C by rows;");
    em_line(e, " * B computed by each task from pre into copies when pre is not NULL;");
    em_line(e, " * only called when %s_mmu_tasks allows threads */", P);
    em_line(e, "static void %s_mmu(const bp_parallel *par, int ta, int tb, int64_t m, int64_t n, int64_t k, int one_row, const %s *A,", P, R);
    em_line(e, "                   int64_t lda, const %s *B, int64_t ldb, %s beta, const %s *E, %s *C, const %s *bias,", R, R, R, R, R);
    em_line(e, "                   int relu, const %s *mask, %s *p, %s *pm, %s *pv, const double *h,", R, R, R, R);
    em_line(e, "                   const %s_mm_job *pre, %s *copies)", P, R);
    em_line(e, "{");
    em_line(e, "    %s_mmu_job u;", P);
    em_line(e, "    u.mm = %s_mm_desc(ta, tb, m, n, k, A, lda, B, ldb, beta, E, C, n, bias, relu, mask, n, NULL);", P);
    em_line(e, "    u.mm.by_rows = 1;");
    em_line(e, "    u.mm.tasks = %s_mmu_tasks(par, m, n, k, one_row);", P);
    em_line(e, "    u.pre = pre, u.p = p, u.m = pm, u.v = pv, u.copies = copies, u.h = h;");
    em_line(e, "    par->run(par->ctx, u.mm.tasks, %s_mmu_task, &u);", P);
    em_line(e, "}");
}

/* P_mmk: C = A[:, :k0] @ W[:k0] + A[:, k0:] @ W[k0:] on the host's threads, the halves
 * as tasks (each split further by columns from 4 threads), then C += the second half
 * and the epilogue by rows. Task t's half is W's rows the same task updates (P_mmu,
 * P_upd), so W stays in that core's cache through the step: with P_mm's split by
 * columns, the 784-256-10 MLP's step at batch 64 on 2 threads pulled half of each
 * task's W1 from the other core in the forward product, the sum of its squares and
 * the update (hand-edited A/B: forward product 185 -> 124 us, step 0.39-0.48 ->
 * 0.31-0.35 ms). */
static void mmk(Emit *e, const char *P, const char *R)
{
    const char *G64 = em_grain(e, "64");   /* a block of rows or columns of a product */
    em_line(e, "typedef struct %s_mmk_job {", P);
    em_line(e, "    %s_mm_job half[2];", P);
    em_line(e, "    int cols, tasks, relu;");
    em_line(e, "    int64_t m, n, ldm;");
    em_line(e, "    %s *C, *colsum;", R);
    em_line(e, "    const %s *part, *bias, *mask;", R);
    em_line(e, "} %s_mmk_job;", P);
    em_line(e, "static void %s_mmk_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    const %s_mmk_job *j = (const %s_mmk_job *)arg;", P, P);
    em_line(e, "    %s_mm_task((void *)&j->half[t / j->cols], t %% j->cols);", P);
    em_line(e, "}");
    em_line(e, "/* task t's rows of C: the second half added, then the epilogue */");
    task_head(e, "mmk_sum", "mmk_job", "j->m", "1");
    em_line(e, "    %s((hi - lo) * j->n, j->C + lo * j->n, j->part + lo * j->n);", em_kernel(e, "add"));
    em_line(e, "    if (j->bias || j->relu || j->mask || j->colsum)");
    em_line(e, "        %s(hi - lo, j->n, j->C + lo * j->n, j->n, j->bias, j->relu, j->mask ? j->mask + lo * j->ldm : NULL,",
            em_kernel(e, "epilogue"));
    em_line(e, "            j->ldm, j->colsum);");
    em_line(e, "}");
    em_line(e, "/* C = A @ B (+ epilogue) as the halves over B's rows [0, k0) and [k0, k), the second in part");
    em_line(e, " * (m x n); only called when %s_mm_tasks allows threads. A column sum keeps one task, in row order */", P);
    em_line(e, "static void %s_mmk(const bp_parallel *par, int64_t m, int64_t n, int64_t k, int64_t k0, const %s *A,", P, R);
    em_line(e, "                   int64_t lda, const %s *B, int64_t ldb, %s *C, %s *part, const %s *bias, int relu,", R, R, R, R);
    em_line(e, "                   const %s *mask, int64_t ldm, %s *colsum)", R, R);
    em_line(e, "{");
    em_line(e, "    %s_mmk_job j;", P);
    em_line(e, "    const int cols = %s_tasks(par, n / %s, 1) / 2;", P, G64);
    em_line(e, "    j.cols = cols > 1 ? cols : 1;");
    em_line(e, "    for (int h = 0; h < 2; h++) {");
    em_line(e, "        %s_mm_job *q = &j.half[h];", P);
    em_line(e, "        q->ta = 0, q->tb = 0, q->relu = 0, q->by_rows = 0, q->tasks = j.cols, q->m = m, q->n = n;");
    em_line(e, "        q->k = h ? k - k0 : k0, q->lda = lda, q->ldb = ldb, q->ldc = n, q->ldm = n;");
    em_line(e, "        q->A = h ? A + k0 : A, q->B = h ? B + k0 * ldb : B, q->E = NULL, q->bias = NULL, q->mask = NULL;");
    em_line(e, "        q->beta = 0, q->C = h ? part : C, q->colsum = NULL;");
    em_line(e, "    }");
    em_line(e, "    par->run(par->ctx, 2 * j.cols, %s_mmk_task, &j);", P);
    em_line(e, "    j.m = m, j.n = n, j.ldm = ldm, j.C = C, j.part = part, j.bias = bias, j.relu = relu, j.mask = mask;");
    em_line(e, "    j.colsum = colsum;");
    em_line(e, "    j.tasks = colsum ? 1 : %s_tasks(par, m, (double)m * (double)n >= 65536.0);", P);
    em_line(e, "    %s_run(par, j.tasks, %s_mmk_sum, &j);", P, P);
    em_line(e, "}");
}

/* P_mvk: one row C = a @ W as the halves over W's rows [0, k0) and [k0, k) (emit_kernels.c's
 * one_row_halves), a task each on the host's threads: task t's half is the rows of W and
 * of its gradient the same task updates (P_mmu at depth 1), so each core keeps its half
 * of both in its L2 through the step. Each half in blocks of 16 rows of W, each
 * multiplied in (P_gemm at m = 1, into C for the first half, into part for the second)
 * and, with sumsq, its squares summed while in L1; then C += part and the two halves'
 * squares added in double, in half order: the same for any thread count. */
static void mvk(Emit *e, const char *P, const char *R)
{
    em_line(e, "typedef struct %s_mvk_job {", P);
    em_line(e, "    int64_t n, k, k0, lda, ldb;");
    em_line(e, "    const %s *a, *B;", R);
    em_line(e, "    %s *C, *part;", R);
    em_line(e, "    int sumsq;");
    em_line(e, "    double sq[2];");
    em_line(e, "} %s_mvk_job;", P);
    em_line(e, "static void %s_mvk_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    %s_mvk_job *j = (%s_mvk_job *)arg;", P, P);
    em_line(e, "    const int64_t lo = t ? j->k0 : 0, hi = t ? j->k : j->k0;");
    em_line(e, "    %s *c = t ? j->part : j->C;", R);
    em_line(e, "    double sq = 0;");
    em_line(e, "    for (int64_t p = lo; p < hi; p += 16) {");
    em_line(e, "        const int64_t kb = hi - p < 16 ? hi - p : 16;");
    em_line(e, "        %s_gemm(0, 0, 1, j->n, kb, 1, j->a + p, j->lda, j->B + p * j->ldb, j->ldb, p > lo, c, j->n);", P);
    if (e->mvk & 2) {
        em_line(e, "        if (j->sumsq)");
        em_line(e, "            sq += %s(kb * j->ldb, j->B + p * j->ldb, j->B + p * j->ldb);", em_kernel(e, "dot"));
    }
    em_line(e, "    }");
    em_line(e, "    j->sq[t] = sq;");
    em_line(e, "}");
    em_line(e, "/* one row C = a @ B (k values of a, B k x n, ldb apart) as B's rows [0, k0) and [k0, k), the second");
    em_line(e, " * into part (n values), added; returns sum(B * B) when sumsq (B's rows contiguous: ldb = n), else 0 */");
    em_line(e, "static double %s_mvk(const bp_parallel *par, int64_t n, int64_t k, int64_t k0, const %s *a, int64_t lda,", P, R);
    em_line(e, "                     const %s *B, int64_t ldb, %s *C, %s *part, int sumsq)", R, R, R);
    em_line(e, "{");
    em_line(e, "    %s_mvk_job j;", P);
    em_line(e, "    j.n = n, j.k = k, j.k0 = k0, j.lda = lda, j.ldb = ldb, j.a = a, j.B = B, j.C = C, j.part = part;");
    em_line(e, "    j.sumsq = sumsq;");
    em_line(e, "    if (%s_tasks(par, 2, 1) == 2) {", P);
    em_line(e, "        par->run(par->ctx, 2, %s_mvk_task, &j);", P);
    em_line(e, "    } else {   /* both halves here, in order */");
    em_line(e, "        %s_mvk_task(&j, 0);", P);
    em_line(e, "        %s_mvk_task(&j, 1);", P);
    em_line(e, "    }");
    em_line(e, "    %s(n, C, part);", em_kernel(e, "add"));
    em_line(e, "    return j.sq[0] + j.sq[1];");
    em_line(e, "}");
}

/* A full sum(a * b) (emit_loops.c): under 2^16 values the dot kernel's own
 * sum; else fixed blocks (from n only: at most 32, each a multiple of 1024
 * long, the last to the end), each block's dot (on the host's threads from
 * 512 KiB an operand) and the blocks added in block order, so every thread
 * count gives the same sum. The bound was 1 MiB, from a time when the
 * MLP's L2 term went through P_pdot at batch 1 too (split, it ran 1.25x
 * slower there); a product at one row now sums it (em_sumsq_rows). From 512
 * KiB, old and new interleaved, 8 rounds, minima: the MLP's step on 2
 * threads 0.146 -> 0.131 ms at batch 16, 0.345 -> 0.329 at 64, 1.180 ->
 * 1.155 at 256; batch 1 and one thread unchanged. */
static void dot(Emit *e, const char *P, const char *R)
{
    const char *k = em_kernel(e, "dot");
    em_line(e, "typedef struct %s_pdot_job {", P);
    em_line(e, "    int64_t n, len;");
    em_line(e, "    int blocks, tasks;");
    em_line(e, "    const %s *a, *b;", R);
    em_line(e, "    double *part;");
    em_line(e, "} %s_pdot_job;", P);
    em_line(e, "static void %s_pdot_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    const %s_pdot_job *j = (const %s_pdot_job *)arg;", P, P);
    em_line(e, "    for (int q = j->blocks * t / j->tasks; q < j->blocks * (t + 1) / j->tasks; q++) {");
    em_line(e, "        const int64_t lo = q * j->len, hi = q + 1 == j->blocks ? j->n : lo + j->len;");
    em_line(e, "        j->part[q] = %s(hi - lo, j->a + lo, j->b + lo);", k);
    em_line(e, "    }");
    em_line(e, "}");
    em_line(e, "/* sum over i < n of a[i] b[i], in double; the same for every thread count */");
    em_line(e, "static double %s_pdot(const bp_parallel *par, int64_t n, const %s *a, const %s *b)", P, R, R);
    em_line(e, "{");
    em_line(e, "    if (n < %s)", em_grain(e, "65536"));
    em_line(e, "        return %s(n, a, b);", k);
    em_line(e, "    double part[32], acc = 0;");
    em_line(e, "    %s_pdot_job j;", P);
    em_line(e, "    j.n = n, j.a = a, j.b = b, j.part = part;");
    em_line(e, "    j.blocks = n / %s < 32 ? (int)(n / %s) : 32;", em_grain(e, "32768"), em_grain(e, "32768"));
    em_line(e, "    j.len = n / j.blocks / %s * %s;   /* whole blocks of the dot kernel */", em_grain(e, "1024"),
            em_grain(e, "1024"));
    em_line(e, "    /* memory-bound: on the host's threads only from 512 KiB an operand (the 784-256-10 MLP's");
    em_line(e, "     * sum(W1 * W1), 800 KB, split: its step on 2 threads 2-10 %% faster at batch 16 to 256) */");
    em_line(e, "    j.tasks = %s_tasks(par, j.blocks, (double)n * sizeof *a >= 524288.0);", P);
    em_line(e, "    %s_run(par, j.tasks, %s_pdot_task, &j);", P, P);
    em_line(e, "    for (int q = 0; q < j.blocks; q++)");
    em_line(e, "        acc += part[q];");
    em_line(e, "    return acc;");
    em_line(e, "}");
}

/* The softmax cross-entropy gradient (emit_kernels.c) split by rows, and its
 * column sums split by columns, each column summed over the rows in row order
 * as the kernel does: the same values for every thread count. */
static void xent(Emit *e, const char *P, const char *R)
{
    const char *G64 = em_grain(e, "64");   /* a block of rows or columns of a product */
    const char *k = em_kernel(e, "xent_grad");
    em_line(e, "typedef struct %s_pxent_job {", P);
    em_line(e, "    int64_t rows, cols;");
    em_line(e, "    int tasks;");
    em_line(e, "    const %s *s;", R);
    em_line(e, "    const int32_t *y;");
    em_line(e, "    %s scale, *out, *colsum;", R);
    em_line(e, "} %s_pxent_job;", P);
    task_head(e, "pxent_task", "pxent_job", "j->rows", "1");
    em_line(e, "    %s(hi - lo, j->cols, j->s + lo * j->cols, j->y + lo, j->scale, j->out + lo * j->cols, NULL);", k);
    em_line(e, "}");
    em_line(e, "/* columns [64 b, ...) of task t's blocks (the last task to the end): colsum = sum of out's rows */");
    task_head(e, "pxent_colsum", "pxent_job", "j->cols", G64);
    em_line(e, "    for (int64_t q = lo; q < hi; q++)");
    em_line(e, "        j->colsum[q] = 0;");
    em_line(e, "    for (int64_t r = 0; r < j->rows; r++)");
    em_line(e, "        %s(hi - lo, j->colsum + lo, j->out + r * j->cols + lo);", em_kernel(e, "add"));
    em_line(e, "}");
    em_line(e, "/* out = (softmax(s) - onehot(y)) * scale by rows, colsum (NULL: none) = its column sums;");
    em_line(e, " * on the host's threads from 2^15 values (the exps pay for a second core) */");
    em_line(e, "static void %s_pxent(const bp_parallel *par, int64_t rows, int64_t cols, const %s *s, const int32_t *y,", P, R);
    em_line(e, "                    %s scale, %s *out, %s *colsum)", R, R, R);
    em_line(e, "{");
    em_line(e, "    %s_pxent_job j;", P);
    em_line(e, "    const int pays = (double)rows * (double)cols >= 32768.0;");
    em_line(e, "    j.rows = rows, j.cols = cols, j.s = s, j.y = y, j.scale = scale, j.out = out, j.colsum = colsum;");
    em_line(e, "    j.tasks = %s_tasks(par, rows / %s, pays);", P, em_grain(e, "8"));
    em_line(e, "    if (j.tasks < 2) {");
    em_line(e, "        %s(rows, cols, s, y, scale, out, colsum);", k);
    em_line(e, "        return;");
    em_line(e, "    }");
    em_line(e, "    par->run(par->ctx, j.tasks, %s_pxent_task, &j);", P);
    em_line(e, "    if (!colsum)");
    em_line(e, "        return;");
    em_line(e, "    j.tasks = %s_tasks(par, cols / %s, pays);", P, G64);
    em_line(e, "    %s_run(par, j.tasks, %s_pxent_colsum, &j);", P, P);
    em_line(e, "}");
}

/* Whether a product of cnt slices of m x n x k pays for a split (P_mm, P_mmu,
 * P_bmm). From 2^18 multiply-adds, a few microseconds of one core: below, the
 * fork-join (about a microsecond) and the shared operand packed again by each
 * task eat what a second core saves (784-256-10 at batch 256 on 2 threads: its
 * three 655k products split, the step 2.8 % faster than from 2^20). A product
 * with a dimension 1 (matrix-vector, or the outer product of a depth-1 weight
 * gradient at batch 1) does a multiply-add per value it moves: memory-bound
 * like an update, it splits only past 2^20 (4 MiB of floats, P_upd's bound),
 * since below that a second core only pulls the first one's cached lines over. */
static void pays_fn(Emit *e, const char *P)
{
    em_line(e, "/* whether m x n x k multiply-adds (cnt times) pay for a split: 2^18 of them, 2^20 when a");
    em_line(e, " * dimension is 1 (a matrix-vector or outer product: memory-bound, as an update) */");
    em_line(e, "static int %s_pays(int64_t m, int64_t n, int64_t k, int64_t cnt)", P);
    em_line(e, "{");
    em_line(e, "    const double macs = (double)m * (double)n * (double)k * (double)cnt;");
    if (e->split_all)   /* --split-all: every product pays */
        em_line(e, "    return macs >= 1;");
    else
        em_line(e, "    return macs >= (m == 1 || n == 1 || k == 1 ? 1048576.0 : 262144.0);");
    em_line(e, "}");
}

/* How many tasks a split makes, for every helper below: 1 (the serial call)
 * without threads, under 2 units (whole blocks, slices or ranges) or when the
 * work would not pay for a second core; else one per thread (up to the
 * units): a task packs the operand it shares with the others (P_mm's A for a
 * split by columns), so more tasks than threads only pack it more often
 * (784-256-10 at batch 256 on 2 threads, two tasks a thread: packing took 8.4 %
 * of the samples, against 3.3 % on 1 thread; one task a thread, the step 2.4 %
 * faster). */
static void tasks_fn(Emit *e, const char *P, bool run, bool products, bool ranges)
{
    em_line(e, "/* the tasks a split of units makes: 1 (serial) without threads, under 2 units or unless it");
    em_line(e, " * pays (each caller's own size test); else one per thread, up to the units */");
    em_line(e, "static int %s_tasks(const bp_parallel *par, int64_t units, int pays)", P);
    em_line(e, "{");
    if (e->split_all)   /* --split-all: every split pays */
        em_line(e, "    (void)pays;");
    em_line(e, "    if (%s!par || !par->run || par->threads < 2 || units < 2)", e->split_all ? "" : "!pays || ");
    em_line(e, "        return 1;");
    em_line(e, "    return par->threads < units ? par->threads : (int)units;");
    em_line(e, "}");
    if (products)
        pays_fn(e, P);
    if (ranges) {
        em_line(e, "/* where task t of tasks starts in [0, len) split into whole blocks of grain, each task");
        em_line(e, " * as many blocks as the next or one fewer, the last to the end (t == tasks: len) */");
        em_line(e, "static int64_t %s_from(int64_t len, int64_t grain, int t, int tasks)", P);
        em_line(e, "{");
        em_line(e, "    return t >= tasks ? len : len / grain * t / tasks * grain;");
        em_line(e, "}");
    }
    if (!run)
        return;
    em_line(e, "/* the job's tasks (a count from %s_tasks) on the host's threads, or task 0 here when 1 */", P);
    em_line(e, "static void %s_run(const bp_parallel *par, int tasks, void (*task)(void *, int), void *job)", P);
    em_line(e, "{");
    em_line(e, "    if (tasks < 2)");
    em_line(e, "        task(job, 0);");
    em_line(e, "    else");
    em_line(e, "        par->run(par->ctx, tasks, task, job);");
    em_line(e, "}");
}

void em_parallel_kernels(Emit *e)
{
    bool mm = false, xg = false;   /* as em_parallel decides P_mm's and P_pxent's helpers */
    for (int i = 0; i < e->nkernels; i++) {
        mm |= strcmp(e->kernels[i], "epilogue") == 0;
        xg |= strcmp(e->kernels[i], "xent_grad") == 0;
    }
    if (mm)
        em_kernel(e, "scale");   /* P_mm_part's C = beta E */
    if (mm || xg)
        em_kernel(e, "add");     /* column sums, P_mmk's halves */
}

void em_parallel(Emit *e)
{
    const char *P = e->P, *R = e->real;
    bool mm = false;   /* gemm_call (emit_kernels.c) marks the epilogue it calls P_mm with; a
                        * model whose GEMMs are all batched or convolutions never calls P_mm */
    bool bmm = false, dt = false, xg = false;   /* P_pdot: emit_loops.c's sum(a * b); P_pxent: every xent_grad */
    for (int i = 0; i < e->nkernels; i++) {
        mm |= strcmp(e->kernels[i], "epilogue") == 0;
        bmm |= strcmp(e->kernels[i], "bmm") == 0;
        dt |= strcmp(e->kernels[i], "dot") == 0;
        xg |= strcmp(e->kernels[i], "xent_grad") == 0;
    }
    if (mm || bmm || dt || xg || e->g->opt || e->rows_used) {
        em_line(e, "%s", "");
        tasks_fn(e, P, bmm || dt || xg || e->g->opt, mm || bmm, mm || bmm || xg || e->g->opt || e->rows_used);   /* P_run: P_bmm's, P_pdot's, P_pxent's and P_upd's */
    }
    if (mm) {
        em_line(e, "%s", "");
        em_line(e, "/* Products and updates on the host's threads (io->bp_par; bp_common.h): each task writes");
        em_line(e, " * its own block, every element computed as in the serial call: bit-identical results. */");
        mm_job(e, P, R);
        mm_entry(e, P, R);
    }
    if (bmm) {
        em_line(e, "%s", "");
        em_line(e, "/* Batched products on the host's threads: whole slices per task, bit-identical results. */");
        em_bmm_parallel(e);
    }
    if (e->g->opt) {
        em_line(e, "%s", "");
        upd(e, P, R);
    }
    if (dt) {
        em_line(e, "%s", "");
        dot(e, P, R);
    }
    if (xg) {
        em_line(e, "%s", "");
        xent(e, P, R);
    }
    if (e->rows_used) {
        em_line(e, "%s", "");
        em_rows_helper(e);
    }
    if (mm && e->mmu) {
        em_line(e, "%s", "");
        mmu(e, P, R);
    }
    if (mm && e->mmk) {
        em_line(e, "%s", "");
        mmk(e, P, R);
    }
    if (mm && e->mvk) {
        em_line(e, "%s", "");
        mvk(e, P, R);
    }
}
