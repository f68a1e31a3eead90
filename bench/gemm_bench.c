/* gemm_bench: bp_sgemm (the runtime's) and the portable GEMM of generated
 * code (the "gemm" kernel of runtime/bp_kernels.inc, built as a user builds
 * a model: -O3 -march=native) against OpenBLAS cblas_sgemm, single thread.
 * For each shape, timed batches of the three alternate (interleaved) and the
 * median of each is reported in GFLOP/s, with the ratios to OpenBLAS.
 * Built and run by gemm_bench.sh (which sets OPENBLAS_NUM_THREADS=1 and
 * OPENBLAS_CORETYPE). Usage: gemm_bench [samples [m n k ta tb]...]: with
 * shapes given, only those are measured. GEMM_BENCH_MIN=1 reports the fastest
 * sample instead of the median (on a machine loaded by others).
 * Compiled with -DGEMM_BENCH_PORTABLE this file is only that kernel, as
 * bench_portable_gemm (the script builds it so, with the model's flags);
 * with -DGEMM_BENCH_OLD as bench_old_gemm, from the bp_kernels.inc of
 * another tree (gemm_bench.sh's OLD=dir; this tree's when unset), timed
 * interleaved with the others in the column "old".                        */
#ifdef GEMM_BENCH_PORTABLE
#include <math.h>
#include <stdint.h>
#define BPK_STATIC
#define BPK_REAL float
#ifdef GEMM_BENCH_OLD /* the same kernel from another tree (gemm_bench.sh OLD=dir) */
#define BPK(name) bench_old_##name
#else
#define BPK(name) bench_portable_##name
#endif
#define BPK_EXP(x) expf(x)
#define BPK_SQRT(x) sqrtf(x)
#include "bp_kernels.inc"
#else
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bp_runtime.h"

void bench_portable_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A, int64_t lda,
                         const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
void bench_old_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

typedef struct shape { const char *name; int m, n, k, ta, tb; } shape;

static const shape shapes[] = {
    {"square 256", 256, 256, 256, 0, 0},
    {"square 1024", 1024, 1024, 1024, 0, 0},
    /* MLP 784-256-10, batch 64: forward, then the gradients */
    {"x@W1 64x784.784x256", 64, 256, 784, 0, 0},
    {"dW1=xT@dy ta", 784, 256, 64, 1, 0},
    {"dx=dy@W1T tb", 64, 784, 256, 0, 1},
    {"h@W2 64x256.256x10", 64, 10, 256, 0, 0},
    {"dW2=hT@dy ta", 256, 10, 64, 1, 0},
    {"dh=dy@W2T tb", 64, 256, 10, 0, 1},
    /* batch 256 */
    {"b256 x@W1", 256, 256, 784, 0, 0},
    {"b256 dW1 ta", 784, 256, 256, 1, 0},
    {"b256 h@W2", 256, 10, 256, 0, 0},
    {"b256 dW2 ta", 256, 10, 256, 1, 0},
    {"b256 dh tb", 256, 256, 10, 0, 1},
    /* 784-1024-1024-10, batch 128 */
    {"b128 x@W1", 128, 1024, 784, 0, 0},
    {"b128 h1@W2", 128, 1024, 1024, 0, 0},
    {"b128 dW1 ta", 784, 1024, 128, 1, 0},
    {"b128 dW2 ta", 1024, 1024, 128, 1, 0},
    {"b128 dh1 tb", 128, 1024, 1024, 0, 1},
    /* transformer block, N 16, T 64, D 128, 4 heads of 32, F 512 */
    {"tf a@Wqkv", 1024, 384, 128, 0, 0},
    {"tf a@Wq", 1024, 128, 128, 0, 0},
    {"tf a@Wa", 1024, 512, 128, 0, 0},
    {"tf g@Wb", 1024, 128, 512, 0, 0},
    {"tf dWa ta", 128, 512, 1024, 1, 0},
    {"tf dg tb", 1024, 512, 128, 0, 1},
    {"tf head q@kT tb", 64, 64, 32, 0, 1},
    {"tf head att@v", 64, 32, 64, 0, 0},
    {"tf head dq=dS@k", 64, 32, 64, 0, 0},
    {"tf head dk=dST@q ta", 64, 32, 64, 1, 0},
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int use_min; /* GEMM_BENCH_MIN=1: the fastest sample, not the median (a loaded machine) */

typedef struct prob {
    const shape *s;
    float *A, *B, *C;
    int lda, ldb, ldc;
} prob;

enum { BP, PORTABLE, OLD, BLAS };

static void call(const prob *p, int which)
{
    const shape *s = p->s;
    if (which == PORTABLE)
        bench_portable_gemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, p->A, p->lda, p->B, p->ldb, 0.0f, p->C, p->ldc);
    else if (which == OLD)
        bench_old_gemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, p->A, p->lda, p->B, p->ldb, 0.0f, p->C, p->ldc);
    else if (which == BLAS)
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                    s->tb ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f,
                    p->A, p->lda, p->B, p->ldb, 0.0f, p->C, p->ldc);
    else
        bp_sgemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, p->A, p->lda, p->B,
                 p->ldb, 0.0f, p->C, p->ldc);
}

/* Seconds per call, averaged over a batch of reps calls. */
static double batch(const prob *p, int which, int reps)
{
    double t = now();
    for (int r = 0; r < reps; r++)
        call(p, which);
    return (now() - t) / reps;
}

static float *randbuf(size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return x;
}

static void bench(const shape *s, int samples)
{
    prob p = {s, NULL, NULL, NULL, s->ta ? s->m : s->k, s->tb ? s->k : s->n,
              s->n};
    p.A = randbuf((size_t)s->m * s->k);
    p.B = randbuf((size_t)s->k * s->n);
    p.C = randbuf((size_t)s->m * s->n);
    double flop = 2.0 * s->m * s->n * s->k, t[4][64], g[4];
    int reps = (int)(2e-3 / (flop / 50e9)) + 1; /* ~2 ms batches */
    for (int w = BP; w <= BLAS; w++)
        batch(&p, w, reps);
    for (int i = 0; i < samples; i++)
        for (int w = BP; w <= BLAS; w++)
            t[w][i] = batch(&p, w, reps);
    for (int w = BP; w <= BLAS; w++) {
        qsort(t[w], (size_t)samples, sizeof *t[w], cmp);
        g[w] = flop / t[w][use_min ? 0 : samples / 2] / 1e9;
    }
    printf("%-22s %5d %5d %5d %2d %2d %8.1f %8.1f %8.1f %8.1f %6.2f %6.2f %6.2f\n", s->name, s->m, s->n, s->k, s->ta,
           s->tb, g[BP], g[PORTABLE], g[OLD], g[BLAS], g[BP] / g[BLAS], g[PORTABLE] / g[BLAS], g[PORTABLE] / g[OLD]);
    free(p.A);
    free(p.B);
    free(p.C);
}

int main(int argc, char **argv)
{
    int samples = argc > 1 ? atoi(argv[1]) : 15;
    if (samples < 1 || samples > 64)
        samples = 15;
    const char *ct = getenv("OPENBLAS_CORETYPE"), *mn = getenv("GEMM_BENCH_MIN");
    use_min = mn && *mn == '1';
    printf("# bp kernel %s, OpenBLAS coretype %s, %d interleaved samples, %s\n", bp_gemm_kernel_name(),
           ct ? ct : "(auto)", samples, use_min ? "fastest" : "median");
    printf("%-22s %5s %5s %5s %2s %2s %8s %8s %8s %8s %6s %6s %6s\n", "# shape", "m", "n", "k", "ta", "tb", "bp GF/s",
           "port", "old", "OB GF/s", "bp/OB", "pt/OB", "pt/old");
    if (argc >= 7) {
        for (int a = 2; a + 4 < argc; a += 5) {
            shape s = {"custom", atoi(argv[a]), atoi(argv[a + 1]),
                       atoi(argv[a + 2]), atoi(argv[a + 3]), atoi(argv[a + 4])};
            bench(&s, samples);
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        bench(&shapes[i], samples);
    return 0;
}
#endif
