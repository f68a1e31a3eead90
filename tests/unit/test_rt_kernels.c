/* test_rt_kernels: the support kernels of runtime/bp_kernels.inc against
 * straightforward double-precision references, for float and double.
 *   gemm   bp_s_gemm / bp_d_gemm as the runtime compiles them, and the same
 *          text compiled here with the register tiles of AVX-512 (8 x 128 B),
 *          AVX (6 x 64 B) and an odd one (5 x 24 B) with tiny blocks, so that
 *          small shapes cross every block edge (MC, KC, NC, the tile, the
 *          transposed narrow-C path): all four transpose combinations,
 *          alpha/beta (beta == 0 over NaN in C, alpha == 0, k == 0), padded
 *          leading dimensions whose padding must stay untouched.
 *   epilogue, xent_grad, sgd, momentum, adam: every option, against a
 *          reference written out plainly.                                   */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bp_runtime.h"

/* The kernel text again, with other tiles and blocks (static, so the runtime's
 * names do not clash): v1 = AVX-512's tile, v2 = AVX's with small blocks, v3 =
 * an odd tile (NR = 6 floats, 3 doubles) with tiny blocks. */
#define BPK_STATIC static inline
#define BPK_EXP(x) exp(x)
#define BPK_SQRT(x) sqrt(x)
#define BPK_GEMM_MR 8
#define BPK_GEMM_NB 128
#define BPK_REAL float
#define BPK(name) v1s_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#define BPK_GEMM_MR 8
#define BPK_GEMM_NB 128
#define BPK_REAL double
#define BPK(name) v1d_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK

#define BPK_GEMM_MR 6
#define BPK_GEMM_NB 64
#define BPK_GEMM_KB 64     /* KC = 16 floats, 8 doubles */
#define BPK_GEMM_AB 1152   /* MC = 18 rows */
#define BPK_GEMM_LB 2048   /* NC = 32 columns */
#define BPK_REAL float
#define BPK(name) v2s_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#define BPK_GEMM_MR 6
#define BPK_GEMM_NB 64
#define BPK_GEMM_KB 64
#define BPK_GEMM_AB 1152
#define BPK_GEMM_LB 2048
#define BPK_REAL double
#define BPK(name) v2d_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK

#define BPK_GEMM_MR 5
#define BPK_GEMM_NB 24
#define BPK_GEMM_KB 40     /* KC = 10 floats, 5 doubles */
#define BPK_GEMM_AB 600    /* MC = 15 rows */
#define BPK_GEMM_LB 480    /* NC = 12 columns */
#define BPK_REAL float
#define BPK(name) v3s_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#define BPK_GEMM_MR 5
#define BPK_GEMM_NB 24
#define BPK_GEMM_KB 40
#define BPK_GEMM_AB 600
#define BPK_GEMM_LB 480
#define BPK_REAL double
#define BPK(name) v3d_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#undef BPK_STATIC
#undef BPK_EXP
#undef BPK_SQRT

typedef void sgemm_fn(int, int, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                      float, float *, int64_t);
typedef void dgemm_fn(int, int, int64_t, int64_t, int64_t, double, const double *, int64_t, const double *, int64_t,
                      double, double *, int64_t);
typedef struct variant { const char *name; sgemm_fn *s; dgemm_fn *d; } variant;

/* The runtime's build of the same text for AVX-512 (gemm_avx512.c): the
 * zmm micro-kernel models built with -march=native on such a CPU carry. */
#if defined(__x86_64__) && defined(__GNUC__)
void bp__gemm_portable_avx512_s(int, int, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *,
                                int64_t, float, float *, int64_t);
void bp__gemm_portable_avx512_d(int, int, int64_t, int64_t, int64_t, double, const double *, int64_t,
                                const double *, int64_t, double, double *, int64_t);
#define HAVE_AVX512_BUILD 1
/* ... and for AVX2 (gemm_portable_avx2.c): the ymm tile and packing (BPK_GEMM_V256) models
 * built with -mavx2 carry, with small blocks. (v2 above is the same text without AVX here.) */
void bp__gemm_portable_avx2_s(int, int, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *,
                              int64_t, float, float *, int64_t);
void bp__gemm_portable_avx2_d(int, int, int64_t, int64_t, int64_t, double, const double *, int64_t,
                              const double *, int64_t, double, double *, int64_t);
#endif

static const variant variants[] = {
    {"runtime bp_s_gemm/bp_d_gemm", bp_s_gemm, bp_d_gemm},
    {"tile 8 x 128 B", v1s_gemm, v1d_gemm},
    {"tile 6 x 64 B, small blocks", v2s_gemm, v2d_gemm},
    {"tile 5 x 24 B, tiny blocks", v3s_gemm, v3d_gemm},
#ifdef HAVE_AVX512_BUILD
    {"AVX-512 tile 14 x 2 zmm", bp__gemm_portable_avx512_s, bp__gemm_portable_avx512_d},
    {"AVX2 tile 6 x 2 ymm, small blocks", bp__gemm_portable_avx2_s, bp__gemm_portable_avx2_d},
#endif
};
enum { NVARIANTS = sizeof variants / sizeof *variants };

/* Can this CPU run variant v? (The AVX-512 one needs the extensions gemm.c checks.) */
static int variant_runs(const variant *v)
{
#ifdef HAVE_AVX512_BUILD
    if (v->s == bp__gemm_portable_avx512_s) {
        __builtin_cpu_init();
        if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("fma"))) {
            printf("  %s: not on this CPU, skipped\n", v->name);
            return 0;
        }
    }
    if (v->s == bp__gemm_portable_avx2_s) {
        __builtin_cpu_init();
        if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
            printf("  %s: not on this CPU, skipped\n", v->name);
            return 0;
        }
    }
#else
    (void)v;
#endif
    return 1;
}

#define SENTINEL 12345.0

typedef struct shape { int64_t m, n, k; int big; } shape;

/* Runtime blocks: KC 128 floats / 64 doubles, MC 96 rows, NC 1024 / 512
 * columns, NR 8 / 4 (its baseline tile), so these cross each edge there too. */
static const shape shapes[] = {
    {1, 1, 1, 0},    {1, 7, 1, 0},     {7, 1, 17, 0},    {17, 17, 17, 0},  {63, 65, 7, 0},
    {65, 63, 129, 0}, {129, 17, 65, 0}, {7, 300, 63, 0},  {300, 7, 300, 0}, {33, 31, 1, 0},
    {15, 33, 2, 0},  {29, 47, 513, 0}, {3, 1100, 5, 0},  {230, 129, 17, 0}, {40, 3, 17, 0},
    {5, 6, 0, 0},    {97, 10, 31, 0},  {10, 97, 31, 0},  {64, 10, 256, 1}, {256, 10, 64, 1},
    {64, 256, 10, 1}, {64, 256, 200, 1}, {200, 64, 130, 1},
    {1, 300, 70, 0}, {1, 33, 129, 0}, {129, 1, 300, 0}, {300, 200, 1, 0},   /* the vector shapes, unpacked */
};

typedef struct ab { double alpha, beta; } ab;
static const ab abs_[] = {{1, 0}, {0.5, 0}, {1, 1}, {-1.5, 0.25}, {0, 2}};

static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* One problem in double: op(A) m x k, op(B) k x n, padded leading dimensions. */
typedef struct prob {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc, na, nb, nc;
    double alpha, beta;
    double *A, *B, *C0;
} prob;

static void prob_init(prob *p, shape s, int ta, int tb, ab c, uint64_t seed)
{
    p->ta = ta, p->tb = tb, p->m = s.m, p->n = s.n, p->k = s.k;
    p->alpha = c.alpha, p->beta = c.beta;
    p->lda = (ta ? s.m : s.k) + 3;
    p->ldb = (tb ? s.k : s.n) + 5;
    p->ldc = s.n + 2;
    p->na = (ta ? s.k : s.m) * p->lda;
    p->nb = (tb ? s.n : s.k) * p->ldb;
    p->nc = s.m * p->ldc;
    p->A = malloc(sizeof(double) * (size_t)(p->na + 1));
    p->B = malloc(sizeof(double) * (size_t)(p->nb + 1));
    p->C0 = malloc(sizeof(double) * (size_t)(p->nc + 1));
    assert_non_null(p->A);
    assert_non_null(p->B);
    assert_non_null(p->C0);
    for (int64_t i = 0; i < p->na; i++)
        p->A[i] = frand(&seed);
    for (int64_t i = 0; i < p->nb; i++)
        p->B[i] = frand(&seed);
    for (int64_t i = 0; i < s.m; i++)
        for (int64_t j = 0; j < p->ldc; j++)
            p->C0[i * p->ldc + j] = j >= s.n ? SENTINEL : c.beta == 0 ? NAN : frand(&seed);
}

static void prob_free(prob *p)
{
    free(p->A);
    free(p->B);
    free(p->C0);
}

/* C (as doubles) against the reference; the bound scales with k. */
static void check(const char *what, const prob *p, const double *C, double eps)
{
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t j = 0; j < p->ldc; j++) {
            const double got = C[i * p->ldc + j];
            if (j >= p->n) {
                if (got != SENTINEL)
                    fail_msg("%s: padding C[%ld][%ld] written", what, (long)i, (long)j);
                continue;
            }
            double s = 0, sa = 0;
            for (int64_t q = 0; q < p->k; q++) {
                const double a = p->ta ? p->A[q * p->lda + i] : p->A[i * p->lda + q];
                const double b = p->tb ? p->B[j * p->ldb + q] : p->B[q * p->ldb + j];
                s += a * b;
                sa += fabs(a * b);
            }
            const double c0 = p->C0[i * p->ldc + j];
            const double ref = p->alpha * s + (p->beta != 0 ? p->beta * c0 : 0);
            double mag = fabs(p->alpha) * sa + 1e-300;
            if (p->beta != 0)
                mag += fabs(p->beta * c0);
            if (!(fabs(got - ref) <= eps * (double)(p->k + 4) * mag))
                fail_msg("%s: ta=%d tb=%d m=%ld n=%ld k=%ld alpha=%g beta=%g C[%ld][%ld]=%g, reference %g", what,
                         p->ta, p->tb, (long)p->m, (long)p->n, (long)p->k, p->alpha, p->beta, (long)i, (long)j, got,
                         ref);
        }
}

static void run_f32(const variant *v, const prob *p)
{
    float *A = malloc(sizeof(float) * (size_t)(p->na + 1)), *B = malloc(sizeof(float) * (size_t)(p->nb + 1));
    float *C = malloc(sizeof(float) * (size_t)(p->nc + 1));
    double *Cd = malloc(sizeof(double) * (size_t)(p->nc + 1));
    prob q = *p; /* the reference reads the float-rounded inputs */
    q.A = malloc(sizeof(double) * (size_t)(p->na + 1));
    q.B = malloc(sizeof(double) * (size_t)(p->nb + 1));
    q.C0 = malloc(sizeof(double) * (size_t)(p->nc + 1));
    for (int64_t i = 0; i < p->na; i++)
        q.A[i] = A[i] = (float)p->A[i];
    for (int64_t i = 0; i < p->nb; i++)
        q.B[i] = B[i] = (float)p->B[i];
    for (int64_t i = 0; i < p->nc; i++)
        q.C0[i] = C[i] = (float)p->C0[i];
    v->s(p->ta, p->tb, p->m, p->n, p->k, (float)p->alpha, A, p->lda, B, p->ldb, (float)p->beta, C, p->ldc);
    for (int64_t i = 0; i < p->nc; i++)
        Cd[i] = C[i];
    char what[96];
    snprintf(what, sizeof what, "%s, float", v->name);
    check(what, &q, Cd, 2e-7);
    prob_free(&q);
    free(A);
    free(B);
    free(C);
    free(Cd);
}

static void run_f64(const variant *v, const prob *p)
{
    double *C = malloc(sizeof(double) * (size_t)(p->nc + 1));
    memcpy(C, p->C0, sizeof(double) * (size_t)p->nc);
    v->d(p->ta, p->tb, p->m, p->n, p->k, p->alpha, p->A, p->lda, p->B, p->ldb, p->beta, C, p->ldc);
    char what[96];
    snprintf(what, sizeof what, "%s, double", v->name);
    check(what, p, C, 4e-16);
    free(C);
}

/* Every shape x transpose x alpha/beta (the big shapes: two of them). */
static void sweep(const variant *v)
{
    uint64_t seed = 42;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++)
            for (size_t c = 0; c < sizeof abs_ / sizeof *abs_; c++) {
                if (shapes[s].big && c != 0 && c != 3)
                    continue;
                prob p;
                prob_init(&p, shapes[s], t >> 1, t & 1, abs_[c], seed++);
                run_f32(v, &p);
                run_f64(v, &p);
                prob_free(&p);
            }
}

static void test_gemm_runtime(void **st) { (void)st; sweep(&variants[0]); }
static void test_gemm_tile_avx512(void **st) { (void)st; sweep(&variants[1]); }
static void test_gemm_tile_avx(void **st) { (void)st; sweep(&variants[2]); }
static void test_gemm_tile_odd(void **st) { (void)st; sweep(&variants[3]); }
static void test_gemm_isa_builds(void **st)   /* the AVX-512 and AVX2 builds, where the CPU has them */
{
    (void)st;
    for (int v = 4; v < NVARIANTS; v++)
        if (variant_runs(&variants[v]))
            sweep(&variants[v]);
}

/* Edge tiles: odd m, n (1..33) at depths 1, 7, 33 (and m, n = 14, 16, 28, 32), each
 * transpose pair, beta 0 / 1 / 0.25, padded leading dimensions: every variant. */
static void test_gemm_edges(void **st)
{
    (void)st;
    static const int64_t ks[] = {1, 7, 33}, even[] = {14, 16, 28, 32};
    static const ab cs[] = {{1, 0}, {1, 1}, {-1.5, 0.25}};
    uint64_t seed = 5;
    for (int v = 0; v < NVARIANTS; v++) {
        if (!variant_runs(&variants[v]))
            continue;
        for (int64_t mi = 0; mi < 21; mi++)
            for (int64_t ni = 0; ni < 21; ni++)
                for (int ki = 0; ki < 3; ki++)
                    for (int t = 0; t < 4; t++) {
                        const int64_t m = mi < 17 ? 2 * mi + 1 : even[mi - 17];
                        const int64_t n = ni < 17 ? 2 * ni + 1 : even[ni - 17];
                        shape sh = {m, n, ks[ki], 0};
                        prob p;
                        prob_init(&p, sh, t >> 1, t & 1, cs[(mi + ni + ki + t) % 3], seed++);
                        run_f32(&variants[v], &p);
                        run_f64(&variants[v], &p);
                        prob_free(&p);
                    }
    }
}

/* The threads of a generated model each compute a block of C (P_mm): every
 * element must come out bit for bit the same whichever block it falls in. */
static void test_gemm_blocks_agree(void **st)
{
    (void)st;
    static const shape sh[] = {{64, 10, 256, 0}, {256, 10, 64, 0}, {64, 256, 784, 0}, {45, 77, 129, 0}, {10, 97, 31, 0}};
    static const int64_t cut[][2] = {{32, 0}, {0, 5}, {7, 0}, {0, 17}, {29, 33}};
    uint64_t seed = 9;
    for (int v = 0; v < NVARIANTS; v++) {
        if (!variant_runs(&variants[v]))
            continue;
        for (size_t s = 0; s < sizeof sh / sizeof *sh; s++)
            for (int t = 0; t < 4; t++)
                for (size_t c = 0; c < sizeof cut / sizeof *cut; c++) {
                    prob p;
                    prob_init(&p, sh[s], t >> 1, t & 1, abs_[c % 2 ? 3 : 0], seed++);
                    float *A = malloc(sizeof(float) * (size_t)p.na), *B = malloc(sizeof(float) * (size_t)p.nb);
                    float *C1 = malloc(sizeof(float) * (size_t)p.nc), *C2 = malloc(sizeof(float) * (size_t)p.nc);
                    for (int64_t i = 0; i < p.na; i++)
                        A[i] = (float)p.A[i];
                    for (int64_t i = 0; i < p.nb; i++)
                        B[i] = (float)p.B[i];
                    for (int64_t i = 0; i < p.nc; i++)
                        C1[i] = C2[i] = (float)p.C0[i];
                    const float al = (float)p.alpha, be = (float)p.beta;
                    variants[v].s(p.ta, p.tb, p.m, p.n, p.k, al, A, p.lda, B, p.ldb, be, C1, p.ldc);
                    const int64_t r = cut[c][0] < p.m ? cut[c][0] : 0, q = cut[c][1] < p.n ? cut[c][1] : 0;
                    for (int blk = 0; blk < 4; blk++) { /* rows [0, r) and [r, m) x columns [0, q) and [q, n) */
                        const int64_t i0 = blk & 1 ? r : 0, i1 = blk & 1 ? p.m : r;
                        const int64_t j0 = blk & 2 ? q : 0, j1 = blk & 2 ? p.n : q;
                        if (i1 > i0 && j1 > j0)
                            variants[v].s(p.ta, p.tb, i1 - i0, j1 - j0, p.k, al, A + (p.ta ? i0 : i0 * p.lda), p.lda,
                                          B + (p.tb ? j0 * p.ldb : j0), p.ldb, be, C2 + i0 * p.ldc + j0, p.ldc);
                    }
                    if (memcmp(C1, C2, sizeof(float) * (size_t)p.nc))
                        fail_msg("%s: ta=%d tb=%d %ldx%ldx%ld cut at row %ld, column %ld: blocks differ from the whole",
                                 variants[v].name, p.ta, p.tb, (long)p.m, (long)p.n, (long)p.k, (long)r, (long)q);
                    free(A), free(B), free(C1), free(C2);
                    prob_free(&p);
                }
    }
}

/* m == 0 or n == 0 touches nothing; NULL-free calls with k == 0 scale C. */
static void test_gemm_empty(void **st)
{
    (void)st;
    float C[4] = {1, 2, 3, 4}, A[1] = {7}, B[1] = {7};
    bp_s_gemm(0, 0, 0, 2, 3, 1, A, 3, B, 2, 0, C, 2);
    bp_s_gemm(0, 0, 2, 0, 3, 1, A, 3, B, 2, 0, C, 2);
    assert_true(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4);
    bp_s_gemm(0, 0, 2, 2, 0, 1, A, 1, B, 2, 0.5f, C, 2);
    assert_true(C[0] == 0.5f && C[1] == 1 && C[2] == 1.5f && C[3] == 2);
    double D[2] = {NAN, NAN};
    bp_d_gemm(1, 1, 1, 2, 0, 1, NULL, 1, NULL, 1, 0, D, 2);
    assert_true(D[0] == 0 && D[1] == 0);
}

/* ---- the other kernels: epilogue, xent_grad, sgd, momentum, adam ---------- */

static void fill(double *x, int64_t n, uint64_t *seed)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = frand(seed);
}

static void near(const char *what, double got, double ref, double tol)
{
    if (!(fabs(got - ref) <= tol * (1 + fabs(ref))))
        fail_msg("%s: %.17g, reference %.17g", what, got, ref);
}

/* epilogue over an m x n C in an ldc-wide array (padding untouched) with every
 * subset of bias, relu, mask, colsum. */
#define EPILOGUE_TEST(T, fn, tol)                                                                                 \
    static void test_epilogue_##T(void **st)                                                                      \
    {                                                                                                             \
        (void)st;                                                                                                 \
        enum { M = 7, N = 13, LDC = 16, LDM = 15 };                                                               \
        uint64_t seed = 7;                                                                                        \
        for (int opt = 0; opt < 16; opt++) {                                                                      \
            double c0[M * LDC], bias[N], mask[M * LDM], ref[M * LDC], rsum[N];                                    \
            T c[M * LDC], b[N], mk[M * LDM], cs[N];                                                               \
            fill(c0, M * LDC, &seed), fill(bias, N, &seed), fill(mask, M * LDM, &seed);                           \
            for (int i = 0; i < M * LDC; i++)                                                                     \
                c[i] = (T)(c0[i] = (i % LDC) >= N ? SENTINEL : (T)c0[i]);                                          \
            for (int j = 0; j < N; j++)                                                                           \
                b[j] = (T)bias[j], bias[j] = b[j], cs[j] = (T)NAN;                                                \
            for (int i = 0; i < M * LDM; i++)                                                                     \
                mk[i] = (T)mask[i];                                                                               \
            const int use_bias = opt & 1, relu = opt >> 1 & 1, use_mask = opt >> 2 & 1, use_sum = opt >> 3 & 1;    \
            memcpy(ref, c0, sizeof ref);                                                                          \
            for (int j = 0; j < N; j++)                                                                           \
                rsum[j] = 0;                                                                                      \
            for (int i = 0; i < M; i++)                                                                           \
                for (int j = 0; j < N; j++) {                                                                     \
                    double x = ref[i * LDC + j];                                                                  \
                    if (use_bias)                                                                                 \
                        x += bias[j];                                                                             \
                    if (relu && x < 0)                                                                            \
                        x = 0;                                                                                    \
                    if (use_mask && !(mk[i * LDM + j] > 0))                                                       \
                        x = 0;                                                                                    \
                    ref[i * LDC + j] = x;                                                                         \
                    rsum[j] += x;                                                                                 \
                }                                                                                                 \
            fn(M, N, c, LDC, use_bias ? b : NULL, relu, use_mask ? mk : NULL, LDM, use_sum ? cs : NULL);          \
            for (int i = 0; i < M * LDC; i++) {                                                                   \
                if ((i % LDC) >= N)                                                                               \
                    assert_true(c[i] == (T)SENTINEL);                                                             \
                else                                                                                              \
                    near("epilogue " #T, c[i], ref[i], tol);                                                      \
            }                                                                                                     \
            for (int j = 0; j < N; j++)                                                                           \
                if (use_sum)                                                                                      \
                    near("epilogue colsum " #T, cs[j], rsum[j], 8 * tol);                                         \
                else                                                                                              \
                    assert_true(isnan(cs[j]));                                                                    \
        }                                                                                                         \
    }
EPILOGUE_TEST(float, bp_s_epilogue, 1e-6)
EPILOGUE_TEST(double, bp_d_epilogue, 1e-14)

/* (softmax(s) - onehot(y)) * scale per row, and its column sums. */
#define XENT_TEST(T, fn, tol)                                                                                     \
    static void test_xent_grad_##T(void **st)                                                                     \
    {                                                                                                             \
        (void)st;                                                                                                 \
        enum { R = 9, K = 11 };                                                                                   \
        uint64_t seed = 11;                                                                                       \
        for (int use_sum = 0; use_sum < 2; use_sum++) {                                                           \
            double s0[R * K], ref[R * K], rsum[K] = {0};                                                          \
            T s[R * K], out[R * K], cs[K];                                                                        \
            int32_t y[R];                                                                                         \
            fill(s0, R * K, &seed);                                                                               \
            for (int i = 0; i < R * K; i++)                                                                       \
                s[i] = (T)(20 * s0[i]), s0[i] = s[i]; /* wide logits: the max must be subtracted */               \
            s[3 * K + 4] = s0[3 * K + 4] = 80;                                                                    \
            for (int r = 0; r < R; r++)                                                                           \
                y[r] = (int32_t)((r * 5 + 2) % K);                                                                \
            const double scale = 1.0 / R;                                                                         \
            for (int r = 0; r < R; r++) {                                                                         \
                double mx = s0[r * K], sum = 0;                                                                   \
                for (int j = 1; j < K; j++)                                                                       \
                    mx = s0[r * K + j] > mx ? s0[r * K + j] : mx;                                                 \
                for (int j = 0; j < K; j++)                                                                       \
                    sum += exp(s0[r * K + j] - mx);                                                               \
                for (int j = 0; j < K; j++) {                                                                     \
                    ref[r * K + j] = (exp(s0[r * K + j] - mx) / sum - (j == y[r])) * scale;                       \
                    rsum[j] += ref[r * K + j];                                                                    \
                }                                                                                                 \
            }                                                                                                     \
            fn(R, K, s, y, (T)scale, out, use_sum ? cs : NULL);                                                   \
            for (int i = 0; i < R * K; i++)                                                                       \
                near("xent_grad " #T, out[i], ref[i], tol);                                                       \
            if (use_sum)                                                                                          \
                for (int j = 0; j < K; j++)                                                                       \
                    near("xent_grad colsum " #T, cs[j], rsum[j], 8 * tol);                                        \
        }                                                                                                         \
    }
XENT_TEST(float, bp_s_xent_grad, 1e-6)
XENT_TEST(double, bp_d_xent_grad, 1e-14)

/* sgd, momentum and adam over n = 37 elements, three steps each. */
#define OPT_TEST(T, P, tol)                                                                                       \
    static void test_optimizers_##T(void **st)                                                                    \
    {                                                                                                             \
        (void)st;                                                                                                 \
        enum { N = 37 };                                                                                          \
        uint64_t seed = 5;                                                                                        \
        double p0[N], m0[N], v0[N], g0[N];                                                                        \
        T p[N], m[N], v[N], g[N];                                                                                 \
        const double lr = 0.05, mu = 0.9, b1 = 0.9, b2 = 0.999, eps = 1e-8;                                       \
        /* sgd */                                                                                                 \
        fill(p0, N, &seed);                                                                                       \
        for (int i = 0; i < N; i++)                                                                               \
            p[i] = (T)p0[i], p0[i] = p[i];                                                                        \
        for (int t = 0; t < 3; t++) {                                                                             \
            fill(g0, N, &seed);                                                                                   \
            for (int i = 0; i < N; i++)                                                                           \
                g[i] = (T)g0[i], g0[i] = g[i], p0[i] -= lr * g0[i];                                               \
            P##sgd(N, p, g, lr);                                                                                  \
        }                                                                                                         \
        for (int i = 0; i < N; i++)                                                                               \
            near("sgd " #T, p[i], p0[i], tol);                                                                    \
        /* momentum */                                                                                            \
        for (int i = 0; i < N; i++)                                                                               \
            p0[i] = p[i], m[i] = 0, m0[i] = 0;                                                                    \
        for (int t = 0; t < 3; t++) {                                                                             \
            fill(g0, N, &seed);                                                                                   \
            for (int i = 0; i < N; i++) {                                                                         \
                g[i] = (T)g0[i], g0[i] = g[i];                                                                    \
                m0[i] = mu * m0[i] + g0[i];                                                                       \
                p0[i] -= lr * m0[i];                                                                              \
            }                                                                                                     \
            P##momentum(N, p, m, g, lr, mu);                                                                      \
        }                                                                                                         \
        for (int i = 0; i < N; i++) {                                                                             \
            near("momentum p " #T, p[i], p0[i], tol);                                                             \
            near("momentum m " #T, m[i], m0[i], tol);                                                             \
        }                                                                                                         \
        /* adam, with its bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t */                                        \
        for (int i = 0; i < N; i++)                                                                               \
            p0[i] = p[i], m[i] = v[i] = 0, m0[i] = v0[i] = 0;                                                     \
        for (int t = 1; t <= 3; t++) {                                                                            \
            const double c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t);                                                \
            fill(g0, N, &seed);                                                                                   \
            for (int i = 0; i < N; i++) {                                                                         \
                g[i] = (T)g0[i], g0[i] = g[i];                                                                    \
                m0[i] = b1 * m0[i] + (1 - b1) * g0[i];                                                            \
                v0[i] = b2 * v0[i] + (1 - b2) * g0[i] * g0[i];                                                    \
                p0[i] -= lr * (m0[i] / c1) / (sqrt(v0[i] / c2) + eps);                                            \
            }                                                                                                     \
            P##adam(N, p, m, v, g, lr, b1, b2, eps, c1, c2);                                                      \
        }                                                                                                         \
        for (int i = 0; i < N; i++) {                                                                             \
            near("adam p " #T, p[i], p0[i], 10 * tol);                                                            \
            near("adam m " #T, m[i], m0[i], tol);                                                                 \
            near("adam v " #T, v[i], v0[i], tol);                                                                 \
        }                                                                                                         \
    }
OPT_TEST(float, bp_s_, 1e-6)
OPT_TEST(double, bp_d_, 1e-14)

/* dot accumulates in double over lanes and a tail; scale is y = a x */
static void test_dot_and_scale(void **st)
{
    (void)st;
    enum { N = 1000 + 7 };
    static float a[N], b[N], y[N];
    static double ad[N], yd[N];
    double want = 0;
    for (int i = 0; i < N; i++) {
        a[i] = (float)sin(0.1 * i), b[i] = (float)cos(0.3 * i), ad[i] = a[i];
        want += (double)(a[i] * b[i]);
    }
    assert_true(fabs(bp_s_dot(N, a, b) - want) < 1e-9 * N);
    assert_true(bp_s_dot(0, a, b) == 0 && fabs(bp_s_dot(3, a, b) - ((double)(a[0] * b[0]) + (double)(a[1] * b[1]) + (double)(a[2] * b[2]))) < 1e-12);
    /* past whole blocks (1024 floats, 512 doubles), whole vectors and single elements: within
     * 20 ulp of the sum of |a b| of the exact products (each lane sums 16 products in the real type) */
    enum { M = 3 * 1024 + 5 * 16 + 7 };
    static float fa[M], fb[M];
    static double da[M], db[M];
    double exact = 0, mag = 0, exactd = 0, magd = 0;
    for (int i = 0; i < M; i++) {
        fa[i] = (float)sin(0.37 * i) * 3, fb[i] = (float)cos(0.11 * i) - 0.25f;
        da[i] = sin(0.37 * i) * 3, db[i] = cos(0.11 * i) - 0.25;
        exact += (double)fa[i] * (double)fb[i], mag += fabs((double)fa[i] * (double)fb[i]);
        exactd += da[i] * db[i], magd += fabs(da[i] * db[i]);
    }
    for (int n = M - 7; n <= M; n += 7) {   /* with and without the single elements */
        double e = 0, m = 0, ed = 0, md = 0;
        for (int i = 0; i < n; i++)
            e += (double)fa[i] * (double)fb[i], m += fabs((double)fa[i] * (double)fb[i]), ed += da[i] * db[i], md += fabs(da[i] * db[i]);
        assert_true(fabs(bp_s_dot(n, fa, fb) - e) <= 20 * 0x1p-24 * m);
        assert_true(fabs(bp_d_dot(n, da, db) - ed) <= 20 * 0x1p-53 * md);
    }
    assert_true(fabs(bp_s_dot(M, fa, fb) - exact) <= 20 * 0x1p-24 * mag && fabs(bp_d_dot(M, da, db) - exactd) <= 20 * 0x1p-53 * magd);
    /* a == b (an L2 term: one stream of loads): the same error bound */
    double sq = 0, sqd = 0;
    for (int i = 0; i < M; i++)
        sq += (double)fa[i] * (double)fa[i], sqd += da[i] * da[i];
    assert_true(fabs(bp_s_dot(M, fa, fa) - sq) <= 20 * 0x1p-24 * sq && fabs(bp_d_dot(M, da, da) - sqd) <= 20 * 0x1p-53 * sqd);
    bp_s_scale(N, y, 0.5, a);
    bp_d_scale(N, yd, -2, ad);
    for (int i = 0; i < N; i++)
        assert_true(y[i] == 0.5f * a[i] && yd[i] == -2 * ad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_runtime),   cmocka_unit_test(test_gemm_tile_avx512),
        cmocka_unit_test(test_gemm_tile_avx),  cmocka_unit_test(test_gemm_tile_odd),
        cmocka_unit_test(test_gemm_isa_builds), cmocka_unit_test(test_gemm_edges),
        cmocka_unit_test(test_gemm_blocks_agree),
        cmocka_unit_test(test_gemm_empty),     cmocka_unit_test(test_epilogue_float),
        cmocka_unit_test(test_epilogue_double), cmocka_unit_test(test_xent_grad_float),
        cmocka_unit_test(test_xent_grad_double), cmocka_unit_test(test_optimizers_float),
        cmocka_unit_test(test_optimizers_double), cmocka_unit_test(test_dot_and_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
