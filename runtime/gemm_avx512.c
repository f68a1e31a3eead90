/* gemm_avx512.c: AVX-512 micro-kernels for bp_sgemm / bp_dgemm (see gemm.c).
 * One call computes one register tile of C (row-major, up to 14 rows x 2
 * vectors: 14x32 floats or 14x16 doubles):
 *     C[i][j] = alpha * sum_p a[p*a_ps + i] * b[p*b_ps + j] + beta * C[i][j]
 * for i < mr, j < nr; beta == 0 never reads C. Columns past nr are masked, so
 * b may point into the caller's unpacked matrix. The kernel is the text of
 * runtime/bp_kernels.inc (BPK(gemm_tile)), compiled here for AVX-512.
 * bp_gemm_tpack_avx512_{s,d} pack a k-contiguous operand (op(A) rows when
 * !ta, op(B) columns when tb) into R-interleaved micro-panels with 16x16
 * (float) / 8x8 (double) in-register transposes (BPK(gemm_tpack));
 * bp_gemm_cpack_avx512_{s,d} copy a k-major one (BPK(gemm_cpack)).
 * Compiled with -mavx512f/dq/vl/bw -mfma; gemm.c calls it only after
 * __builtin_cpu_supports says the CPU has those extensions.               */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

/* The micro-kernel and the transposing pack: bp_kernels.inc's BPK(gemm_tile)
 * and BPK(gemm_tpack), the ones generated models built for AVX-512 carry.
 * Also exported for the tests: that file's portable GEMM compiled for
 * AVX-512 (bp__gemm_portable_avx512_{s,d}). */
#define BPK_STATIC static inline __attribute__((unused))
#define BPK_EXP(x) exp(x)
#define BPK_SQRT(x) sqrt(x)
#define BPK_REAL float
#define BPK(name) bp_k512s_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#define BPK_REAL double
#define BPK(name) bp_k512d_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK

void bp_gemm_kern_avx512_s(int mr, int nr, int64_t k, const float *a, int64_t a_ps, const float *b, int64_t b_ps,
                           float *c, int64_t ldc, float alpha, float beta)
{
    bp_k512s_gemm_tile(mr, nr, k, a, a_ps, b, b_ps, c, ldc, alpha, beta);
}

void bp_gemm_kern_avx512_d(int mr, int nr, int64_t k, const double *a, int64_t a_ps, const double *b, int64_t b_ps,
                           double *c, int64_t ldc, double alpha, double beta)
{
    bp_k512d_gemm_tile(mr, nr, k, a, a_ps, b, b_ps, c, ldc, alpha, beta);
}

void bp_gemm_tpack_avx512_s(int cnt, int R, int64_t kc, const float *src, int64_t ld, float *dst)
{
    bp_k512s_gemm_tpack(cnt, R, kc, src, ld, dst);
}

void bp_gemm_tpack_avx512_d(int cnt, int R, int64_t kc, const double *src, int64_t ld, double *dst)
{
    bp_k512d_gemm_tpack(cnt, R, kc, src, ld, dst);
}

void bp_gemm_cpack_avx512_s(int cnt, int R, int64_t kc, const float *src, int64_t ld, float *dst)
{
    bp_k512s_gemm_cpack(cnt, R, kc, src, ld, dst);
}

void bp_gemm_cpack_avx512_d(int cnt, int R, int64_t kc, const double *src, int64_t ld, double *dst)
{
    bp_k512d_gemm_cpack(cnt, R, kc, src, ld, dst);
}

void bp__gemm_portable_avx512_s(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A,
                                int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    bp_k512s_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void bp__gemm_portable_avx512_d(int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha, const double *A,
                                int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc)
{
    bp_k512d_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
