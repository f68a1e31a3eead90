/* gemm_avx2.c: AVX2+FMA micro-kernels for bp_sgemm / bp_dgemm (see gemm.c).
 * One call computes one register tile of C (row-major, up to 6 rows x 2
 * vectors: 6x16 floats or 6x8 doubles):
 *     C[i][j] = alpha * sum_p a[p*a_ps + i] * b[p*b_ps + j] + beta * C[i][j]
 * for i < mr, j < nr; beta == 0 never reads C. Columns past nr are masked
 * (vmaskmov), so b may point into the caller's unpacked matrix.
 * The file includes itself twice: once for float, once for double.
 * Compiled with -mavx2 -mfma; gemm.c calls it only after
 * __builtin_cpu_supports says the CPU has AVX2 and FMA.                     */
#ifndef GEMM_AVX2_TEMPLATE
#define GEMM_AVX2_TEMPLATE
#include <immintrin.h>
#include <stdint.h>

#define GK_MR 6

/* gk_maskNN + W - n: a vector whose first n lanes are all ones. */
static const int32_t gk_mask32[16] = {-1, -1, -1, -1, -1, -1, -1, -1};
static const int64_t gk_mask64[8] = {-1, -1, -1, -1};

#define T float
#define V __m256
#define W 8
#define SFX(x) x##_s
#define VMASK(n) _mm256_loadu_si256((const __m256i *)(gk_mask32 + 8 - (n)))
#define VSET1 _mm256_set1_ps
#define VLOADM(m, p) _mm256_maskload_ps(p, m)
#define VSTOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#define VLOADU(p) _mm256_loadu_ps(p)
#define VSTOREU(p, v) _mm256_storeu_ps(p, v)
#define VFMA _mm256_fmadd_ps
#define VMUL _mm256_mul_ps
#define VZERO _mm256_setzero_ps
#include __FILE__
#undef T
#undef V
#undef W
#undef SFX
#undef VMASK
#undef VSET1
#undef VLOADM
#undef VSTOREM
#undef VLOADU
#undef VSTOREU
#undef VFMA
#undef VMUL
#undef VZERO

#define T double
#define V __m256d
#define W 4
#define SFX(x) x##_d
#define VMASK(n) _mm256_loadu_si256((const __m256i *)(gk_mask64 + 4 - (n)))
#define VSET1 _mm256_set1_pd
#define VLOADM(m, p) _mm256_maskload_pd(p, m)
#define VSTOREM(p, m, v) _mm256_maskstore_pd(p, m, v)
#define VLOADU(p) _mm256_loadu_pd(p)
#define VSTOREU(p, v) _mm256_storeu_pd(p, v)
#define VFMA _mm256_fmadd_pd
#define VMUL _mm256_mul_pd
#define VZERO _mm256_setzero_pd
#include __FILE__

#else /* ---- template body: T, V, W, SFX and the V* macros are set ---- */

void SFX(bp_gemm_kern_avx2)(int mr, int nr, int64_t k, const T *a,
                            int64_t a_ps, const T *b, int64_t b_ps, T *c,
                            int64_t ldc, T alpha, T beta);

/* Scale the accumulators and merge them into C (masked columns, unless full: all
 * 2 W columns, plain loads and stores). */
static inline __attribute__((always_inline)) void
SFX(store_row)(T *cr, int nv, int full, V *acc, __m256i m0, __m256i m1, T alpha, T beta)
{
    V va = VSET1(alpha), r0 = VMUL(acc[0], va), r1 = r0;
    if (nv == 2)
        r1 = VMUL(acc[1], va);
    if (beta != 0) {
        V vb = VSET1(beta);
        r0 = VFMA(vb, full ? VLOADU(cr) : VLOADM(m0, cr), r0);
        if (nv == 2)
            r1 = VFMA(vb, full ? VLOADU(cr + W) : VLOADM(m1, cr + W), r1);
    }
    if (full) {
        VSTOREU(cr, r0);
        VSTOREU(cr + W, r1);
        return;
    }
    VSTOREM(cr, m0, r0);
    if (nv == 2)
        VSTOREM(cr + W, m1, r1);
}

/* The tile with compile-time rows (mrc), vectors (nv) and full (nv == 2 with all
 * 2 W columns: plain loads of b, which on Zen cost less than vmaskmov's and free
 * the mask's register); fully unrolled. */
static inline __attribute__((always_inline)) void
SFX(tile)(int mrc, int nv, int full, int64_t k, const T *a, int64_t a_ps, const T *b,
          int64_t b_ps, T *c, int64_t ldc, T alpha, T beta, __m256i m0,
          __m256i m1)
{
    V acc[GK_MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < mrc; i++)
        acc[i][0] = acc[i][1] = VZERO();
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; p++) {
        V b0 = full ? VLOADU(b) : VLOADM(m0, b), b1 = b0;
        if (nv == 2)
            b1 = full ? VLOADU(b + W) : VLOADM(m1, b + W);
#pragma GCC unroll 6
        for (int i = 0; i < mrc; i++) {
            V ai = VSET1(a[i]);
            acc[i][0] = VFMA(ai, b0, acc[i][0]);
            if (nv == 2)
                acc[i][1] = VFMA(ai, b1, acc[i][1]);
        }
        a += a_ps;
        b += b_ps;
    }
#pragma GCC unroll 6
    for (int i = 0; i < mrc; i++)
        SFX(store_row)(c + i * ldc, nv, full, acc[i], m0, m1, alpha, beta);
}

#define GK_CASE(r)                                                              \
    case r:                                                                     \
        if (nr == 2 * W)                                                        \
            SFX(tile)(r, 2, 1, k, a, a_ps, b, b_ps, c, ldc, alpha, beta, m0, m1); \
        else if (nv == 2)                                                       \
            SFX(tile)(r, 2, 0, k, a, a_ps, b, b_ps, c, ldc, alpha, beta, m0, m1); \
        else                                                                    \
            SFX(tile)(r, 1, 0, k, a, a_ps, b, b_ps, c, ldc, alpha, beta, m0, m1); \
        return;

void SFX(bp_gemm_kern_avx2)(int mr, int nr, int64_t k, const T *a,
                            int64_t a_ps, const T *b, int64_t b_ps, T *c,
                            int64_t ldc, T alpha, T beta)
{
    int nv = nr > W ? 2 : 1;
    __m256i m0 = VMASK(nv == 2 ? W : nr);
    __m256i m1 = VMASK(nv == 2 ? nr - W : 0);
    switch (mr) {
        GK_CASE(1) GK_CASE(2) GK_CASE(3) GK_CASE(4) GK_CASE(5) GK_CASE(6)
    default:
        return;
    }
}
#undef GK_CASE

#endif
