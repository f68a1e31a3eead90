/* gemm_avx512.c: AVX-512 micro-kernels for bp_sgemm / bp_dgemm (see gemm.c).
 * One call computes one register tile of C (row-major, up to 14 rows x 2
 * vectors: 14x32 floats or 14x16 doubles):
 *     C[i][j] = alpha * sum_p a[p*a_ps + i] * b[p*b_ps + j] + beta * C[i][j]
 * for i < mr, j < nr; beta == 0 never reads C. Columns past nr are masked, so
 * b may point into the caller's unpacked matrix. The kernel is the text of
 * runtime/bp_kernels.inc (BPK(gemm_tile)), compiled here for AVX-512.
 * bp_gemm_tpack_avx512_{s,d} pack a k-contiguous operand (op(A) rows when
 * !ta, op(B) columns when tb) into R-interleaved micro-panels with 16x16
 * (float) / 8x8 (double) in-register transposes.
 * Compiled with -mavx512f/dq/vl/bw -mfma; gemm.c calls it only after
 * __builtin_cpu_supports says the CPU has those extensions.               */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

/* ---- transposing pack ------------------------------------------------ */
void bp_gemm_tpack_avx512_s(int cnt, int R, int64_t kc, const float *src,
                            int64_t ld, float *dst);
void bp_gemm_tpack_avx512_d(int cnt, int R, int64_t kc, const double *src,
                            int64_t ld, double *dst);

/* In-place transpose of 16 rows of 16 floats. */
static inline void tr16_ps(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4)
        for (int j = 0; j < 2; j++) {
            __m512d a = _mm512_castps_pd(t[i + j]);
            __m512d b = _mm512_castps_pd(t[i + j + 2]);
            r[i + j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[i + j + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 16; i += 8)
        for (int j = 0; j < 4; j++) {
            t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xdd);
        }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
    }
}

/* After tr16_ps, output row q (source column q) sits in r[perm16[q]]. */
static const int perm16[16] = {0, 2, 1, 3, 4, 6, 5, 7,
                               8, 10, 9, 11, 12, 14, 13, 15};

void bp_gemm_tpack_avx512_s(int cnt, int R, int64_t kc, const float *src,
                            int64_t ld, float *dst)
{
    for (int i0 = 0; i0 < R; i0 += 16) {
        int rows = cnt - i0 < 16 ? (cnt - i0 > 0 ? cnt - i0 : 0) : 16;
        __mmask16 out = (__mmask16)(R - i0 >= 16 ? 0xffff
                                                  : (1u << (R - i0)) - 1);
        for (int64_t p = 0; p < kc; p += 16) {
            int np = kc - p < 16 ? (int)(kc - p) : 16;
            __mmask16 in = (__mmask16)((1u << np) - 1);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < rows ? _mm512_maskz_loadu_ps(
                                      in, src + (i0 + i) * ld + p)
                                : _mm512_setzero_ps();
            tr16_ps(r);
            for (int q = 0; q < np; q++)
                _mm512_mask_storeu_ps(dst + (p + q) * R + i0, out,
                                      r[perm16[q]]);
        }
    }
}

/* In-place transpose of 8 rows of 8 doubles. */
static inline void tr8_pd(__m512d r[8])
{
    __m512d t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4)
        for (int j = 0; j < 2; j++) {
            r[i + j] = _mm512_shuffle_f64x2(t[i + j], t[i + j + 2], 0x88);
            r[i + j + 2] = _mm512_shuffle_f64x2(t[i + j], t[i + j + 2], 0xdd);
        }
    for (int j = 0; j < 4; j++) {
        t[j] = _mm512_shuffle_f64x2(r[j], r[j + 4], 0x88);
        t[j + 4] = _mm512_shuffle_f64x2(r[j], r[j + 4], 0xdd);
    }
    for (int j = 0; j < 8; j++)
        r[j] = t[j];
}


void bp_gemm_tpack_avx512_d(int cnt, int R, int64_t kc, const double *src,
                            int64_t ld, double *dst)
{
    for (int i0 = 0; i0 < R; i0 += 8) {
        int rows = cnt - i0 < 8 ? (cnt - i0 > 0 ? cnt - i0 : 0) : 8;
        __mmask8 out = (__mmask8)(R - i0 >= 8 ? 0xff : (1u << (R - i0)) - 1);
        for (int64_t p = 0; p < kc; p += 8) {
            int np = kc - p < 8 ? (int)(kc - p) : 8;
            __mmask8 in = (__mmask8)((1u << np) - 1);
            __m512d r[8];
            for (int i = 0; i < 8; i++)
                r[i] = i < rows ? _mm512_maskz_loadu_pd(
                                      in, src + (i0 + i) * ld + p)
                                : _mm512_setzero_pd();
            tr8_pd(r);
            for (int q = 0; q < np; q++)
                _mm512_mask_storeu_pd(dst + (p + q) * R + i0, out,
                                      r[q]);
        }
    }
}

/* ---- the micro-kernel: bp_kernels.inc's BPK(gemm_tile), the one that
 * generated models built for AVX-512 carry. Also exported for the tests: that
 * file's portable GEMM compiled for AVX-512 (bp__gemm_portable_avx512_{s,d}). */
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
