/* emit_support: the static helpers a generated model carries — its GEMM
 * (portable C, the runtime's, or CBLAS), a seeded RNG, the initialisers
 * (P_init) and the optimizer step (P_step). */
#include <string.h>
#include "emit.h"

/* The portable GEMM is the "gemm" support kernel (bp_kernels.inc: packed,
 * blocked, a register tile that gcc/clang -O3 vectorise), carried below. */
static void gemm_portable(Emit *e)
{
    em_line(e, "/* GEMM: %s_gemm, portable C (packed, blocked; vectorised by -O3), with the support kernels. */", e->P);
}

/* The model's code calls support kernel name (em_kernel recorded it). */
static bool uses_kernel(const Emit *e, const char *name)
{
    for (int i = 0; i < e->nkernels; i++)
        if (strcmp(e->kernels[i], name) == 0)
            return true;
    return false;
}

static void gemm_runtime(Emit *e)
{
    const char *R = e->real, *fn = e->f64 ? "bp_dgemm" : "bp_sgemm";
    em_line(e, "/* GEMM from the bpc runtime (packed, blocked, SIMD): link libbprt. */");
    em_line(e, "void %s(int ta, int tb, int64_t m, int64_t n, int64_t k, %s alpha, const %s *A, int64_t lda,", fn, R, R);
    em_line(e, "              const %s *B, int64_t ldb, %s beta, %s *C, int64_t ldc);", R, R, R);
    /* a function, not a macro: a macro would rename an io field called P_gemm */
    em_line(e, "static inline void %s_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, %s alpha, const %s *A,", e->P, R, R);
    em_line(e, "                           int64_t lda, const %s *B, int64_t ldb, %s beta, %s *C, int64_t ldc)", R, R, R);
    em_line(e, "{");
    em_line(e, "    %s(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);", fn);
    em_line(e, "}");
}

static void gemm_blas(Emit *e)
{
    const char *R = e->real, *fn = e->f64 ? "cblas_dgemm" : "cblas_sgemm";
    em_line(e, "/* GEMM from CBLAS (link -lopenblas or any CBLAS); 101 row-major, 111/112 no/transpose. */");
    em_line(e, "void %s(int order, int ta, int tb, int m, int n, int k, %s alpha, const %s *A, int lda,", fn, R, R);
    em_line(e, "                 const %s *B, int ldb, %s beta, %s *C, int ldc);", R, R, R);
    em_line(e, "static void %s_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, %s alpha, const %s *A, int64_t lda,", e->P, R, R);
    em_line(e, "                    const %s *B, int64_t ldb, %s beta, %s *C, int64_t ldc)", R, R, R);
    em_line(e, "{");
    em_line(e, "    %s(101, ta ? 112 : 111, tb ? 112 : 111, (int)m, (int)n, (int)k, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);", fn);
    em_line(e, "}");
}

/* The generator and the draws P_init uses (emitted after P_init is built). */
static void rng(Emit *e)
{
    const char *P = e->P;
    if (!e->uses_uniform && !e->uses_normal)
        return;
    em_line(e, "/* splitmix64: a small seeded generator, the same on every platform. */");
    em_line(e, "static uint64_t %s_rng(uint64_t *s)", P);
    em_line(e, "{");
    em_line(e, "    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);");
    em_line(e, "    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;");
    em_line(e, "    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;");
    em_line(e, "    return z ^ (z >> 31);");
    em_line(e, "}");
    em_line(e, "static double %s_uniform(uint64_t *s) { return (double)(%s_rng(s) >> 11) * (1.0 / 9007199254740992.0); }", P, P);
    if (!e->uses_normal)
        return;
    em_line(e, "static double %s_normal(uint64_t *s)", P);
    em_line(e, "{");
    em_line(e, "    const double u = 1.0 - %s_uniform(s), v = %s_uniform(s);", P, P);
    em_line(e, "    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);");
    em_line(e, "}");
}

extern const char bp_kernels_text[];

/* Kernel i comes from bp_kernels.inc: every used one but the GEMM when the
 * runtime or CBLAS provides it. */
static bool carried(const Emit *e, int i)
{
    return e->gemm == BPC_GEMM_PORTABLE || strcmp(e->kernels[i], "gemm") != 0;
}

static int ncarried(const Emit *e)
{
    int n = 0;
    for (int i = 0; i < e->nkernels; i++)
        n += carried(e, i);
    return n;
}

/* The preamble of bp_kernels.inc, then the part of each kernel the model calls. */
static void put_used_kernels(Emit *e)
{
    static const char marker[] = "/* kernel: ";
    const char *first = strstr(bp_kernels_text, marker), *end = strstr(bp_kernels_text, "#undef BPK_BODY");
    sb_printf(e->out, "%.*s", (int)(first - bp_kernels_text), bp_kernels_text);
    for (const char *k = first; k && k < end;) {
        const char *next = strstr(k + 1, marker);
        if (!next || next > end)
            next = end;
        size_t len = strcspn(k + sizeof marker - 1, " ");
        for (int i = 0; i < e->nkernels; i++)
            if (carried(e, i) && strlen(e->kernels[i]) == len && strncmp(e->kernels[i], k + sizeof marker - 1, len) == 0)
                sb_printf(e->out, "%.*s", (int)(next - k), k);
        k = next;
    }
    sb_puts(e->out, end);
}

/* BPK_EXP of the carried kernels: the model's exp when xent_grad is carried
 * (em_math records it for em_mathf), else libm's. */
static const char *carried_exp(Emit *e)
{
    if (e->gemm != BPC_GEMM_RUNTIME && uses_kernel(e, "xent_grad"))
        return em_math(e, "exp");
    return e->f64 ? "exp" : "expf";
}

/* bp_kernels.inc: carried by the model, or declared when the runtime provides it. */
static void kernels(Emit *e)
{
    bool rt = e->gemm == BPC_GEMM_RUNTIME;
    em_line(e, "/* support kernels: bpc's runtime/bp_kernels.inc%s */", rt ? ", provided by the runtime (libbprt)" : "");
    if (rt)
        em_line(e, "#define BPK_DECLARE");
    em_line(e, "#define BPK_STATIC %s", rt ? "" : "static inline");
    em_line(e, "#define BPK_REAL %s", e->real);
    if (rt)
        em_line(e, "#define BPK(name) bp_%c_##name", e->f64 ? 'd' : 's');
    else
        em_line(e, "#define BPK(name) %s_##name", e->P);
    em_line(e, "#define BPK_EXP(x) %s(x)", carried_exp(e));
    em_line(e, "#define BPK_SQRT(x) sqrt%s(x)", e->sfx);
    put_used_kernels(e);
    em_line(e, "#undef BPK_STATIC");
    em_line(e, "#undef BPK_REAL");
    em_line(e, "#undef BPK");
    em_line(e, "#undef BPK_EXP");
    em_line(e, "#undef BPK_SQRT");
    if (rt)
        em_line(e, "#undef BPK_DECLARE");
}

/* The helpers after the entry points are built: the GEMM and the support
 * kernels only when the model calls them (an unused static function is an
 * error under -Werror -Wunused-function), then the RNG of P_init. */
void em_support(Emit *e)
{
    const bool gemm = uses_kernel(e, "gemm");
    em_parallel_kernels(e);
    carried_exp(e);   /* records P_expf before the math is put out */
    em_mathf(e);
    if (gemm && e->gemm == BPC_GEMM_RUNTIME)
        gemm_runtime(e);
    else if (gemm && e->gemm == BPC_GEMM_BLAS)
        gemm_blas(e);
    else if (gemm)
        gemm_portable(e);
    if (ncarried(e) > 0) {
        em_line(e, "%s", "");
        kernels(e);
    }
    em_parallel(e);
    em_line(e, "%s", "");
    rng(e);
}

/* One param's initialiser: fan-in is dim 0, fan-out dim 1 (else fan-in); a
 * stack of matrices [L, K, M] (a loop's W[l]) has the fan-in K and fan-out M
 * of each matrix; a conv filter [F, C, KH, KW] has fan-in C*KH*KW and fan-out
 * F*KH*KW (SPEC §1, as PyTorch's init). */
static void init_param(Emit *e, const Decl *d, int index)
{
    Shape s = d->shape;
    const char *fan_in = s.rank ? em_extent(e, s.d[0]) : "1", *fan_out = s.rank > 1 ? em_extent(e, s.d[1]) : fan_in;
    if (s.rank == 3) {
        fan_in = em_extent(e, s.d[1]);
        fan_out = em_extent(e, s.d[2]);
    }
    if (s.rank == 4) {
        fan_in = em_numel(e, (Shape){ 3, { s.d[1], s.d[2], s.d[3] } });
        fan_out = em_numel(e, (Shape){ 3, { s.d[0], s.d[2], s.d[3] } });
    }
    const char *v;
    e->uses_uniform |= d->init == INIT_UNIFORM || d->init == INIT_XAVIER || d->init == INIT_NORMAL || d->init == INIT_HE;
    e->uses_normal |= d->init == INIT_NORMAL || d->init == INIT_HE;
    switch (d->init) {
    case INIT_ZEROS: v = "0"; break;
    case INIT_ONES: v = "1"; break;
    case INIT_NORMAL: v = arena_printf(e->g->arena, "%s * %s_normal(&s)", em_double(e, d->init_a), e->P); break;
    case INIT_UNIFORM:
        v = arena_printf(e->g->arena, "%s + %s * %s_uniform(&s)", em_double(e, d->init_a), em_double(e, d->init_b - d->init_a), e->P);
        break;
    case INIT_XAVIER:
        v = arena_printf(e->g->arena, "sqrt(6.0 / (double)(%s + %s)) * (2 * %s_uniform(&s) - 1)", fan_in, fan_out, e->P);
        break;
    default: v = arena_printf(e->g->arena, "sqrt(2.0 / (double)%s) * %s_normal(&s)", fan_in, e->P); break;
    }
    static const char *const names[] = { "zeros", "ones", "normal", "uniform", "xavier", "he" };
    em_line(e, "if (io->%s) {   /* %s */", d->name, names[d->init]);
    if (d->init >= INIT_NORMAL)
        em_line(e, "    uint64_t s = seed ^ (0x2545F4914F6CDD1DULL * %dULL);", index + 1);
    em_line(e, "    for (int64_t i = 0; i < %s; i++)", em_numel(e, s));
    em_line(e, "        io->%s[i] = (%s)(%s);", d->name, e->real, v);
    em_line(e, "}");
}

void em_init_fn(Emit *e)
{
    const Graph *g = e->g;
    em_line(e, "void %s_init(const %s_io *io, uint64_t seed)", e->P, e->P);
    em_line(e, "{");
    e->indent++;
    em_line(e, "(void)seed;");
    em_line(e, "if (!io || %s_dims_check(io) != BP_OK)", e->P);
    em_line(e, "    return;");
    em_dim_locals(e, true);
    for (int i = 0; i < g->ndecls; i++)
        if (g->decls[i].kind == DECL_PARAM)
            init_param(e, &g->decls[i], i);
    em_norm_init(e);
    e->indent--;
    em_line(e, "}");
}

/* A hyperparameter as C: the literal, or the rank-0 input it names. */
static const char *hyper(Emit *e, Hyper h)
{
    if (h.decl < 0)
        return em_double(e, h.value);
    return arena_printf(e->g->arena, "(double)io->%s[0]", e->g->decls[h.decl].name);
}

static void step_checks(Emit *e)
{
    const Graph *g = e->g;
    const Hyper *hs[] = { &g->lr, &g->mu, &g->beta1, &g->beta2, &g->eps };
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
        if (hs[i]->decl >= 0)
            em_line(e, "if (!io->%s) return BP_ENULL;", g->decls[hs[i]->decl].name);
    for (int i = 0; i < e->f->n; i++)
        if (e->f->items[i].role == BP_STATE && !e->f->items[i].value)
            em_line(e, "if (!io->%s) return BP_ENULL;", e->f->items[i].name);
}

/* The update of one param through P_upd (emit_parallel.c); hyper: the
 * kernel's hyperparameters after the pointers, as an array initialiser. */
static void update_param(Emit *e, const Decl *d, const char *gfield)
{
    const Graph *g = e->g;
    const char *n = em_numel(e, d->shape), *name = d->name;
    if (g->opt == OPT_SGD)
        em_line(e, "%s_upd(io->bp_par, %s, io->%s, NULL, NULL, io->%s, h);", e->P, n, name, gfield);
    else if (g->opt == OPT_MOMENTUM)
        em_line(e, "%s_upd(io->bp_par, %s, io->%s, io->%s_m, NULL, io->%s, h);", e->P, n, name, name, gfield);
    else
        em_line(e, "%s_upd(io->bp_par, %s, io->%s, io->%s_m, io->%s_v, io->%s, h);", e->P, n, name, name, name, gfield);
}

/* The lines P_update and the fused P_step share: the checks of the params
 * and their gradient fields, the dims, the hyperparameters and h[6] (the
 * update kernels' order); t: adam's step count ("++io->step" in P_update;
 * P_step stores it after the pass that reads io->step). */
static void update_prologue(Emit *e, const char *t)
{
    const Graph *g = e->g;
    step_checks(e);
    for (int i = 0; i < g->ngrads; i++) {
        const Decl *d = &g->decls[g->grads[i].decl];
        if (d->kind == DECL_PARAM)
            em_line(e, "if (!io->%s || !io->%s) return BP_ENULL;", d->name, plan_grad_field(g, i));
    }
    em_dim_locals(e, true);
    em_line(e, "const double lr = %s;", hyper(e, g->lr));
    if (g->opt == OPT_MOMENTUM)
        em_line(e, "const double mu = %s;", hyper(e, g->mu));
    if (g->opt == OPT_ADAM) {
        em_line(e, "const double beta1 = %s, beta2 = %s, eps = %s;", hyper(e, g->beta1), hyper(e, g->beta2), hyper(e, g->eps));
        em_line(e, "const int64_t t = %s;", t);
        em_line(e, "const double c1 = 1 - pow(beta1, (double)t), c2 = 1 - pow(beta2, (double)t);");
    }
    static const char *const kernel[] = { "", "sgd", "momentum", "adam" }, *const hs[] = {
        "", "{ lr, 0, 0, 0, 0, 0 }", "{ lr, mu, 0, 0, 0, 0 }", "{ lr, beta1, beta2, eps, c1, c2 }"
    };
    em_kernel(e, kernel[g->opt]);   /* P_upd calls it */
    em_line(e, "const double h[6] = %s;", hs[g->opt]);
}

/* P_update: the optimizer on every param from the NAME_grad fields as they
 * are (what P_grad left there, or gradients averaged across processes by the
 * caller); every check before anything is written. ws is not read (it may be
 * NULL); it is there so every entry point takes (io, ws). */
static void update_fn(Emit *e)
{
    const Graph *g = e->g;
    static const char *const names[] = { "", "sgd", "momentum", "adam" };
    em_line(e, "/* the %s update of every param from the gradient fields */", names[g->opt]);
    em_line(e, "int %s_update(%s_io *io, void *ws)", e->P, e->P);
    em_line(e, "{");
    e->indent++;
    em_line(e, "(void)ws;");
    em_line(e, "if (!io) return BP_ENULL;");
    em_line(e, "if (%s_dims_check(io) != BP_OK) return BP_EDIM;", e->P);
    update_prologue(e, "++io->step");
    for (int i = 0; i < g->ngrads; i++) {
        const Decl *d = &g->decls[g->grads[i].decl];
        if (d->kind == DECL_PARAM)
            update_param(e, d, plan_grad_field(g, i));
    }
    if (g->opt != OPT_ADAM && ir_has_op(g, OP_DROPOUT))
        em_line(e, "io->step++;   /* the next step draws new dropout masks */");
    for (int i = 0; e->check && i < g->ngrads; i++)   /* --check-finite: the params updated */
        if (g->decls[g->grads[i].decl].kind == DECL_PARAM)
            em_check_param(e, &g->decls[g->grads[i].decl], arena_printf(g->arena, " after the %s update", names[g->opt]));
    em_line(e, "return BP_OK;");
    e->indent--;
    em_line(e, "}");
}

/* P_step's body when the backward pass fuses updates (e->nfused): every
 * check of P_grad and P_update first, forward, the step's backward pass (its
 * fused updates), the other params' updates, then io->step as P_update leaves
 * it: the same values as P_grad then P_update. */
static void fused_step(Emit *e)
{
    const Graph *g = e->g;
    em_line(e, "int rc = %s_forward_check(io, ws);", e->P);
    em_line(e, "if (rc == BP_OK) rc = %s_backward_check(io, ws);", e->P);
    em_line(e, "if (rc != BP_OK) return rc;");
    em_line(e, "if (%s_dims_check(io) != BP_OK) return BP_EDIM;", e->P);
    update_prologue(e, "io->step + 1");
    em_line(e, "%s_forward_run(io, ws);", e->P);
    em_line(e, "%s_backward_step_run(io, ws, h);", e->P);
    for (int i = 0; i < g->ngrads; i++) {
        const Decl *d = &g->decls[g->grads[i].decl];
        if (d->kind == DECL_PARAM && !e->fused[i])
            update_param(e, d, plan_grad_field(g, i));
    }
    if (g->opt == OPT_ADAM)
        em_line(e, "io->step = t;");
    else if (ir_has_op(g, OP_DROPOUT))
        em_line(e, "io->step++;   /* the next step draws new dropout masks */");
    em_line(e, "return BP_OK;");
    e->indent--;
    em_line(e, "}");
}

/* P_update, then P_step = P_grad + P_update (the update's checks first, so a
 * step that fails writes nothing). */
void em_step_fn(Emit *e)
{
    const Graph *g = e->g;
    update_fn(e);
    em_line(e, "%s", "");
    em_line(e, "/* one training step: gradients of %s, then the update */", g->target_name);
    em_line(e, "int %s_step(%s_io *io, void *ws)", e->P, e->P);
    em_line(e, "{");
    e->indent++;
    em_line(e, "if (!io) return BP_ENULL;");
    if (e->nfused) {
        fused_step(e);
        return;
    }
    step_checks(e);
    em_line(e, "int rc = %s_grad(io, ws);", e->P);
    em_line(e, "return rc != BP_OK ? rc : %s_update(io, ws);", e->P);
    e->indent--;
    em_line(e, "}");
}
