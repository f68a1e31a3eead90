/* gemm_avx512.c: AVX-512 micro-kernels for bp_sgemm / bp_dgemm (see gemm.c).
 * One call computes one register tile of C (row-major, up to 14 rows x 2
 * vectors: 14x32 floats or 14x16 doubles):
 *     C[i][j] = alpha * sum_p a[p*a_ps + i] * b[p*b_ps + j] + beta * C[i][j]
 * for i < mr, j < nr; beta == 0 never reads C. Columns past nr are masked, so
 * b may point into the caller's unpacked matrix.
 * bp_gemm_tpack_avx512_{s,d} pack a k-contiguous operand (op(A) rows when
 * !ta, op(B) columns when tb) into R-interleaved micro-panels with 16x16
 * (float) / 8x8 (double) in-register transposes.
 * The file includes itself twice: once for float, once for double.
 * Compiled with -mavx512f/dq/vl/bw -mfma; gemm.c calls it only after
 * __builtin_cpu_supports says the CPU has those extensions.               */
#ifndef GEMM_AVX512_TEMPLATE
#define GEMM_AVX512_TEMPLATE
#include <immintrin.h>
#include <stdint.h>

#define GK_MR 14

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

#define T float
#define V __m512
#define MASK __mmask16
#define W 16
#define SFX(x) x##_s
#define VSET1 _mm512_set1_ps
#define VLOADM _mm512_maskz_loadu_ps
#define VSTOREM _mm512_mask_storeu_ps
#define VFMA _mm512_fmadd_ps
#define VMUL _mm512_mul_ps
#define VZERO _mm512_setzero_ps
#include __FILE__
#undef T
#undef V
#undef MASK
#undef W
#undef SFX
#undef VSET1
#undef VLOADM
#undef VSTOREM
#undef VFMA
#undef VMUL
#undef VZERO

#define T double
#define V __m512d
#define MASK __mmask8
#define W 8
#define SFX(x) x##_d
#define VSET1 _mm512_set1_pd
#define VLOADM _mm512_maskz_loadu_pd
#define VSTOREM _mm512_mask_storeu_pd
#define VFMA _mm512_fmadd_pd
#define VMUL _mm512_mul_pd
#define VZERO _mm512_setzero_pd
#include __FILE__

#else /* ---- template body: T, V, MASK, W, SFX and the V* macros are set ---- */

void SFX(bp_gemm_kern_avx512)(int mr, int nr, int64_t k, const T *a,
                              int64_t a_ps, const T *b, int64_t b_ps, T *c,
                              int64_t ldc, T alpha, T beta);

/* Scale the accumulators and merge them into C (masked columns). */
static inline __attribute__((always_inline)) void
SFX(store_row)(T *cr, int nv, V *acc, MASK m0, MASK m1, T alpha, T beta)
{
    V va = VSET1(alpha), r0 = VMUL(acc[0], va), r1 = r0;
    if (nv == 2)
        r1 = VMUL(acc[1], va);
    if (beta != 0) {
        V vb = VSET1(beta);
        r0 = VFMA(vb, VLOADM(m0, cr), r0);
        if (nv == 2)
            r1 = VFMA(vb, VLOADM(m1, cr + W), r1);
    }
    VSTOREM(cr, m0, r0);
    if (nv == 2)
        VSTOREM(cr + W, m1, r1);
}

/* The tile with compile-time rows (mrc) and vectors (nv); fully unrolled. */
static inline __attribute__((always_inline)) void
SFX(tile)(int mrc, int nv, int64_t k, const T *a, int64_t a_ps, const T *b,
          int64_t b_ps, T *c, int64_t ldc, T alpha, T beta, MASK m0, MASK m1)
{
    V acc[GK_MR][2];
#pragma GCC unroll 14
    for (int i = 0; i < mrc; i++)
        acc[i][0] = acc[i][1] = VZERO();
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; p++) {
        V b0 = VLOADM(m0, b), b1 = b0;
        if (nv == 2)
            b1 = VLOADM(m1, b + W);
#pragma GCC unroll 14
        for (int i = 0; i < mrc; i++) {
            V ai = VSET1(a[i]);
            acc[i][0] = VFMA(ai, b0, acc[i][0]);
            if (nv == 2)
                acc[i][1] = VFMA(ai, b1, acc[i][1]);
        }
        a += a_ps;
        b += b_ps;
    }
#pragma GCC unroll 14
    for (int i = 0; i < mrc; i++)
        SFX(store_row)(c + i * ldc, nv, acc[i], m0, m1, alpha, beta);
}

#define GK_CASE(r)                                                           \
    case r:                                                                  \
        if (nv == 2)                                                         \
            SFX(tile)(r, 2, k, a, a_ps, b, b_ps, c, ldc, alpha, beta, m0, m1); \
        else                                                                 \
            SFX(tile)(r, 1, k, a, a_ps, b, b_ps, c, ldc, alpha, beta, m0, m1); \
        return;

void SFX(bp_gemm_kern_avx512)(int mr, int nr, int64_t k, const T *a,
                              int64_t a_ps, const T *b, int64_t b_ps, T *c,
                              int64_t ldc, T alpha, T beta)
{
    int nv = nr > W ? 2 : 1;
    MASK full = (MASK)~0u;
    MASK m0 = nv == 2 ? full : (MASK)((1u << nr) - 1);
    MASK m1 = nv == 2 ? (MASK)((1u << (nr - W)) - 1) : 0;
    switch (mr) {
        GK_CASE(1) GK_CASE(2) GK_CASE(3) GK_CASE(4) GK_CASE(5) GK_CASE(6)
        GK_CASE(7) GK_CASE(8) GK_CASE(9) GK_CASE(10) GK_CASE(11) GK_CASE(12)
        GK_CASE(13) GK_CASE(14)
    default:
        return;
    }
}
#undef GK_CASE

#endif
