/* test_rt_gemm: bp_sgemm / bp_dgemm against a naive double-precision
 * reference: all four transpose combinations, alpha/beta (beta == 0 with NaN
 * garbage in C), odd sizes that cut every block edge, padded leading
 * dimensions (the padding must stay untouched), two threads, two concurrent
 * callers, and every micro-kernel this CPU can run (forced through the
 * runtime's internal bp__gemm_force_kernel).                                */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bp_runtime.h"

int bp__gemm_force_kernel(const char *name);

#define SENTINEL 12345.0

typedef struct shape { int64_t m, n, k; } shape;

static const shape shapes[] = {
    {1, 1, 1},     {1, 7, 1},      {7, 1, 17},    {17, 17, 17},
    {63, 65, 7},   {65, 63, 129},  {129, 17, 65}, {7, 300, 63},
    {300, 7, 300}, {64, 256, 784}, {784, 256, 64}, {64, 784, 256},
    {64, 10, 256}, {256, 10, 64},  {64, 256, 10}, {33, 31, 1},
    {15, 33, 2},   {29, 47, 513},  {3, 4100, 5},  {230, 129, 17},
    {17, 40, 2100}, {40, 3, 17},   {1, 300, 63},  {1, 64, 1},    {70, 40, 1},
};

typedef struct ab { double alpha, beta; } ab;
static const ab abs_[] = {{1, 0}, {0.5, 0}, {1, 1}, {-1.5, 0.25}, {0, 2}};

static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* One problem: op(A) m x k, op(B) k x n, padded leading dimensions. */
typedef struct prob {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    double alpha, beta;
    double *A, *B, *C0;  /* in double; converted per type */
} prob;

static void prob_init(prob *p, shape s, int ta, int tb, ab c, uint64_t seed)
{
    p->ta = ta, p->tb = tb, p->m = s.m, p->n = s.n, p->k = s.k;
    p->alpha = c.alpha, p->beta = c.beta;
    p->lda = (ta ? s.m : s.k) + 3;
    p->ldb = (tb ? s.k : s.n) + 5;
    p->ldc = s.n + 2;
    int64_t na = (ta ? s.k : s.m) * p->lda, nb = (tb ? s.n : s.k) * p->ldb;
    int64_t nc = s.m * p->ldc;
    p->A = malloc(sizeof(double) * (size_t)na);
    p->B = malloc(sizeof(double) * (size_t)nb);
    p->C0 = malloc(sizeof(double) * (size_t)nc);
    assert_non_null(p->A);
    assert_non_null(p->B);
    assert_non_null(p->C0);
    for (int64_t i = 0; i < na; i++)
        p->A[i] = frand(&seed);
    for (int64_t i = 0; i < nb; i++)
        p->B[i] = frand(&seed);
    for (int64_t i = 0; i < s.m; i++)
        for (int64_t j = 0; j < p->ldc; j++)
            p->C0[i * p->ldc + j] = j >= s.n     ? SENTINEL
                                    : c.beta == 0 ? NAN
                                                  : frand(&seed);
}

static void prob_free(prob *p)
{
    free(p->A);
    free(p->B);
    free(p->C0);
}

/* Checks C (as doubles) against the reference; bound scales with k. */
static void check(const prob *p, const double *C, double eps)
{
    for (int64_t i = 0; i < p->m; i++) {
        for (int64_t j = 0; j < p->ldc; j++) {
            double got = C[i * p->ldc + j];
            if (j >= p->n) {
                assert_true(got == SENTINEL);
                continue;
            }
            double s = 0, sa = 0;
            for (int64_t q = 0; q < p->k; q++) {
                double a = p->ta ? p->A[q * p->lda + i] : p->A[i * p->lda + q];
                double b = p->tb ? p->B[j * p->ldb + q] : p->B[q * p->ldb + j];
                s += a * b;
                sa += fabs(a * b);
            }
            double c0 = p->C0[i * p->ldc + j];
            double ref = p->alpha * s + (p->beta != 0 ? p->beta * c0 : 0);
            double mag = fabs(p->alpha) * sa + 1e-300;
            if (p->beta != 0)
                mag += fabs(p->beta * c0);
            double tol = eps * (double)(p->k + 4) * mag;
            if (!(fabs(got - ref) <= tol))
                fail_msg("%s ta=%d tb=%d m=%ld n=%ld k=%ld a=%g b=%g "
                         "C[%ld][%ld]=%g ref %g",
                         bp_gemm_kernel_name(), p->ta, p->tb, (long)p->m,
                         (long)p->n, (long)p->k, p->alpha, p->beta, (long)i,
                         (long)j, got, ref);
        }
    }
}

static void run_f32(const prob *p)
{
    int64_t na = (p->ta ? p->k : p->m) * p->lda;
    int64_t nb = (p->tb ? p->n : p->k) * p->ldb, nc = p->m * p->ldc;
    float *A = malloc(sizeof(float) * (size_t)na);
    float *B = malloc(sizeof(float) * (size_t)nb);
    float *C = malloc(sizeof(float) * (size_t)nc);
    double *Cd = malloc(sizeof(double) * (size_t)nc);
    for (int64_t i = 0; i < na; i++)
        A[i] = (float)p->A[i];
    for (int64_t i = 0; i < nb; i++)
        B[i] = (float)p->B[i];
    for (int64_t i = 0; i < nc; i++)
        C[i] = (float)p->C0[i];
    /* the reference uses the float-rounded inputs */
    prob q = *p;
    q.A = malloc(sizeof(double) * (size_t)na);
    q.B = malloc(sizeof(double) * (size_t)nb);
    q.C0 = malloc(sizeof(double) * (size_t)nc);
    for (int64_t i = 0; i < na; i++)
        q.A[i] = A[i];
    for (int64_t i = 0; i < nb; i++)
        q.B[i] = B[i];
    for (int64_t i = 0; i < nc; i++)
        q.C0[i] = C[i];
    bp_sgemm(p->ta, p->tb, p->m, p->n, p->k, (float)p->alpha, A, p->lda, B,
             p->ldb, (float)p->beta, C, p->ldc);
    for (int64_t i = 0; i < nc; i++)
        Cd[i] = C[i];
    check(&q, Cd, 2e-7);
    prob_free(&q);
    free(A);
    free(B);
    free(C);
    free(Cd);
}

static void run_f64(const prob *p)
{
    int64_t nc = p->m * p->ldc;
    double *C = malloc(sizeof(double) * (size_t)nc);
    memcpy(C, p->C0, sizeof(double) * (size_t)nc);
    bp_dgemm(p->ta, p->tb, p->m, p->n, p->k, p->alpha, p->A, p->lda, p->B,
             p->ldb, p->beta, C, p->ldc);
    check(p, C, 4e-16);
    free(C);
}

/* Every shape x transpose x alpha/beta, float and double. */
static void sweep(int quick)
{
    uint64_t seed = 42;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++)
            for (size_t c = 0; c < sizeof abs_ / sizeof *abs_; c++) {
                if (quick && c != 3)
                    continue;
                prob p;
                prob_init(&p, shapes[s], t >> 1, t & 1, abs_[c], seed++);
                run_f32(&p);
                run_f64(&p);
                prob_free(&p);
            }
}

/* Edge tiles: odd m, n (1..33) and 14, 16, 28, 32, at depths 1, 7, 33, each
 * transpose pair, beta 0 / 1 / 0.25, padded leading dimensions. */
static void sweep_edges(void)
{
    static const int64_t ks[] = {1, 7, 33}, even[] = {14, 16, 28, 32};
    static const ab cs[] = {{1, 0}, {1, 1}, {-1.5, 0.25}};
    uint64_t seed = 5;
    for (int64_t mi = 0; mi < 21; mi++)
        for (int64_t ni = 0; ni < 21; ni++)
            for (int ki = 0; ki < 3; ki++)
                for (int t = 0; t < 4; t++) {
                    shape sh = {mi < 17 ? 2 * mi + 1 : even[mi - 17], ni < 17 ? 2 * ni + 1 : even[ni - 17], ks[ki]};
                    prob p;
                    prob_init(&p, sh, t >> 1, t & 1, cs[(mi + ni + ki + t) % 3], seed++);
                    run_f32(&p);
                    run_f64(&p);
                    prob_free(&p);
                }
}

static void test_kernel(const char *name)
{
    if (bp__gemm_force_kernel(name) != 0) {
        printf("  kernel %s not available on this CPU: skipped\n", name);
        return;
    }
    assert_string_equal(bp_gemm_kernel_name(), name);
    sweep(0);
    sweep_edges();
}

static void test_portable(void **st) { (void)st; test_kernel("portable"); }
static void test_avx2(void **st) { (void)st; test_kernel("avx2"); }
static void test_avx512(void **st) { (void)st; test_kernel("avx512"); }

static void test_default_kernel(void **st)
{
    (void)st;
    const char *n = bp_gemm_kernel_name();
    assert_true(!strcmp(n, "portable") || !strcmp(n, "avx2") ||
                !strcmp(n, "avx512"));
    assert_int_equal(bp__gemm_force_kernel("nonsense"), -1);
}

/* Empty products: m or n == 0 touch nothing; k == 0 gives beta * C. */
static void test_degenerate(void **st)
{
    (void)st;
    float C[6] = {1, 2, 3, 4, 5, 6}, A[1] = {7}, B[1] = {8};
    bp_sgemm(0, 0, 0, 3, 1, 1, A, 1, B, 3, 0, C, 3);
    bp_sgemm(0, 0, 2, 0, 1, 1, A, 1, B, 1, 0, C, 3);
    assert_true(C[0] == 1 && C[5] == 6);
    bp_sgemm(0, 0, 2, 3, 0, 1, A, 1, B, 3, 2, C, 3);
    assert_true(C[0] == 2 && C[5] == 12);
    double D[2] = {NAN, NAN};
    bp_dgemm(0, 0, 1, 2, 0, 1, NULL, 1, NULL, 2, 0, D, 2);
    assert_true(D[0] == 0 && D[1] == 0);
}

/* Big enough to be split over two threads (by columns and by rows). */
static void test_threads(void **st)
{
    (void)st;
    assert_int_equal(bp__gemm_force_kernel("portable"), 0);
    bp__gemm_force_kernel("avx2");
    bp__gemm_force_kernel("avx512");
    bp_gemm_set_threads(2);
    static const shape big[] = {{65, 300, 129}, {300, 65, 129},
                                {129, 1031, 33}, {2000, 9, 300},
                                {40, 1100, 1030}};
    uint64_t seed = 7;
    for (size_t s = 0; s < sizeof big / sizeof *big; s++)
        for (int t = 0; t < 4; t++) {
            prob p;
            prob_init(&p, big[s], t >> 1, t & 1, abs_[t & 1 ? 3 : 1], seed++);
            run_f32(&p);
            run_f64(&p);
            prob_free(&p);
        }
    bp_gemm_set_threads(1);
}

/* A product's columns go in packed blocks of at most 1 MiB of op(B) (here
 * 1024 x 1024 in blocks of 256 columns; a thread's half in blocks of 256 too,
 * 1100 columns in 4 and 2 x 2 blocks): which columns share a block never
 * changes an element's sum, so 1 and 2 threads agree bit for bit; and each is
 * right (run_f32: against a double sum). */
static void test_block_columns_exact(void **st)
{
    (void)st;
    static const shape shp[] = {{128, 1024, 1024}, {64, 1100, 784}};
    for (size_t s = 0; s < sizeof shp / sizeof *shp; s++) {
        int64_t m = shp[s].m, n = shp[s].n, k = shp[s].k;
        float *A = malloc(sizeof(float) * (size_t)(m * k)), *B = malloc(sizeof(float) * (size_t)(k * n));
        float *C1 = malloc(sizeof(float) * (size_t)(m * n)), *C2 = malloc(sizeof(float) * (size_t)(m * n));
        assert_true(A && B && C1 && C2);
        uint64_t seed = 11;
        for (int64_t i = 0; i < m * k; i++)
            A[i] = (float)frand(&seed);
        for (int64_t i = 0; i < k * n; i++)
            B[i] = (float)frand(&seed);
        bp_gemm_set_threads(1);
        bp_sgemm(0, 0, m, n, k, 1, A, k, B, n, 0, C1, n);
        bp_gemm_set_threads(2);
        bp_sgemm(0, 0, m, n, k, 1, A, k, B, n, 0, C2, n);
        assert_memory_equal(C1, C2, sizeof(float) * (size_t)(m * n));
        free(A), free(B), free(C1), free(C2);
        for (int t = 1; t <= 2; t++) {
            bp_gemm_set_threads(t);
            prob p;
            prob_init(&p, shp[s], 0, 0, abs_[0], seed++);
            run_f32(&p);
            prob_free(&p);
        }
        bp_gemm_set_threads(1);
    }
}

static void *caller(void *arg)
{
    (void)arg;
    sweep(1);
    return NULL;
}

/* Two threads calling the GEMM at once must not share packing buffers. */
static void test_concurrent_callers(void **st)
{
    (void)st;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, caller, NULL), 0);
    sweep(1);
    pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_kernel),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_portable),
        cmocka_unit_test(test_avx2),
        cmocka_unit_test(test_avx512),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_block_columns_exact),
        cmocka_unit_test(test_concurrent_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
