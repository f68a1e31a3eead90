/* bpc runtime: what JIT-compiled models call and what --gemm=runtime links.
 *   GEMM   bp_sgemm / bp_dgemm      (gemm.c, gemm_*.c)
 *   .npy   bp_npy_read / _write     (npy.c)
 *   RNG    bp_rng_*                 (rng.c)                                    */
#ifndef BP_RUNTIME_H
#define BP_RUNTIME_H
#include <stddef.h>
#include <stdint.h>
#include "bp_common.h"

/* C = alpha * op(A) @ op(B) + beta * C, all row-major.
 * op(A) is m x k (A is k x m when ta), op(B) is k x n (B is n x k when tb).
 * lda/ldb/ldc are row strides in elements. beta == 0 never reads C. */
void bp_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc);
void bp_dgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha,
              const double *A, int64_t lda, const double *B, int64_t ldb,
              double beta, double *C, int64_t ldc);
/* Threads the GEMM may use for large products (1 = none, the default). */
void bp_gemm_set_threads(int n);
/* Which micro-kernel was chosen: "avx512", "avx2" or "portable". */
const char *bp_gemm_kernel_name(void);

/* A pthread pool implementing the bp_parallel hook (bp_common.h) of
 * generated models: io->bp_par = bp_pool_hook(pool). threads < 1: one per
 * online CPU. Runs one model call at a time (not reentrant). Its workers run
 * in the floating-point environment (fegetenv) of the thread that created the
 * pool, bp_flush_denormals' mode included. Each thread takes its own tasks
 * first (task i is thread i mod threads's; the caller is thread 0), so task i
 * stays on one core run after run unless a thread is late. NULL on failure;
 * bp_pool_free(NULL) does nothing. */
typedef struct bp_pool bp_pool;
bp_pool *bp_pool_new(int threads);
const bp_parallel *bp_pool_hook(const bp_pool *p);
int bp_pool_threads(const bp_pool *p);
void bp_pool_free(bp_pool *p);
/* Online CPUs (at least 1). */
int bp_cpu_count(void);
/* Denormal results and operands flushed to zero (on != 0) or kept (0) on the
 * calling thread: x86 MXCSR FTZ and DAZ, AArch64 FPCR.FZ. 0 when done, -1 on
 * other CPUs. bpc train and bpc bench set it before their pool starts: a step
 * computing with denormals (a converged softmax) runs up to 10x slower. */
int bp_flush_denormals(int on);

/* The support kernels of generated models (bp_kernels.inc): bp_s_* for float,
 * bp_d_* for double; BP_KERNELS(X) names each, for binding them in a JIT. */
#define BP_KERNELS(X) X(epilogue) X(xent_grad) X(sgd) X(momentum) X(adam) X(dot) X(scale) X(add) \
    X(im2col) X(col2im) X(conv2d) X(conv2d_dw) X(conv2d_dx) X(maxpool) X(maxpool_grad) X(avgpool) X(avgpool_grad) \
    X(sum_mid)
#define BPK_DECLARE
#define BPK_STATIC
#define BPK_REAL float
#define BPK(name) bp_s_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#define BPK_REAL double
#define BPK(name) bp_d_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#undef BPK_STATIC
#undef BPK_DECLARE

/* A dense array read from or written to a NumPy .npy file (C order). */
typedef struct bp_array {
    int dtype;        /* enum bp_dtype                 */
    int rank;         /* 0..8                          */
    int64_t dims[8];
    void *data;       /* malloc'd; bp_array_free frees */
} bp_array;

int64_t bp_array_count(const bp_array *a);   /* number of elements */
size_t bp_dtype_size(int dtype);
/* Return 0 on success; on failure -1 with a message in err. */
int bp_npy_read(const char *path, bp_array *out, char *err, size_t errlen);
/* Writes atomically: a temporary file in the same folder, then rename. */
int bp_npy_write(const char *path, const bp_array *a, char *err, size_t errlen);
/* The process's umask, read without changing it where /proc allows (other
 * threads may be creating files): new files get 0666 & ~bp_umask(). */
unsigned bp_umask(void);
void bp_array_free(bp_array *a);

/* xoshiro256** seeded by splitmix64: reproducible across platforms. */
typedef struct bp_rng { uint64_t s[4]; } bp_rng;
void bp_rng_seed(bp_rng *r, uint64_t seed);
uint64_t bp_rng_next(bp_rng *r);
double bp_rng_uniform(bp_rng *r);               /* [0, 1) */
double bp_rng_normal(bp_rng *r);                /* mean 0, std 1 */
#endif
