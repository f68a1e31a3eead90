/* gemm_avx2.c: AVX2+FMA micro-kernels for bp_sgemm / bp_dgemm (see gemm.c).
 * One call computes one register tile of C (row-major, up to 6 rows x 2
 * vectors: 6x16 floats or 6x8 doubles):
 *     C[i][j] = alpha * sum_p a[p*a_ps + i] * b[p*b_ps + j] + beta * C[i][j]
 * for i < mr, j < nr; beta == 0 never reads C. Columns past nr are masked
 * (vmaskmov), so b may point into the caller's unpacked matrix.
 * The file includes itself twice: once for float, once for double.
 * bp_gemm_tpack_avx2_{s,d} and bp_gemm_cpack_avx2_{s,d} are its packing (in-register
 * W x W transposes, vector copies).
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
    for (int i = 0; i < mrc; i++) {
        acc[i][0] = acc[i][1] = VZERO();
        /* C's rows arrive while the k loop runs: a block of C larger than L2 made the
         * loads and stores after the loop 13-15 % of the kernel's time */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nv * W - 1), _MM_HINT_T0);
    }
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

/* t[p][i] = r[i][p]: a W x W transpose in registers. */
static inline __attribute__((always_inline)) void SFX(transpose)(const V *r, V *t)
{
#if W == 8
    V u[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        u[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);     /* columns 0 1 | 4 5 of rows i, i+1 */
        u[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]); /* columns 2 3 | 6 7 */
    }
    for (int h = 0; h < 8; h += 4) { /* rows h..h+3: column q | q+4 */
        s[h] = _mm256_shuffle_ps(u[h], u[h + 2], 0x44);
        s[h + 1] = _mm256_shuffle_ps(u[h], u[h + 2], 0xEE);
        s[h + 2] = _mm256_shuffle_ps(u[h + 1], u[h + 3], 0x44);
        s[h + 3] = _mm256_shuffle_ps(u[h + 1], u[h + 3], 0xEE);
    }
    for (int q = 0; q < 4; q++) {
        t[q] = _mm256_permute2f128_ps(s[q], s[q + 4], 0x20);
        t[q + 4] = _mm256_permute2f128_ps(s[q], s[q + 4], 0x31);
    }
#else
    V u0 = _mm256_unpacklo_pd(r[0], r[1]), u1 = _mm256_unpackhi_pd(r[0], r[1]);
    V u2 = _mm256_unpacklo_pd(r[2], r[3]), u3 = _mm256_unpackhi_pd(r[2], r[3]);
    t[0] = _mm256_permute2f128_pd(u0, u2, 0x20);
    t[1] = _mm256_permute2f128_pd(u1, u3, 0x20);
    t[2] = _mm256_permute2f128_pd(u0, u2, 0x31);
    t[3] = _mm256_permute2f128_pd(u1, u3, 0x31);
#endif
}

/* Store t[p]'s first rows lanes at d + p*R, p < W, for the row group at i0 of an
 * R-interleaved panel. vmaskmov stores are slow on Zen (masked at every p they were
 * most of the packing's time), so whole vectors are stored where the extra lanes
 * land harmlessly: in this p's padding (i0 + W <= R, which a whole group always
 * meets), or, for the group at 0, in the next p's first slots, which its own later
 * store overwrites (the last p masked). */
static inline __attribute__((always_inline)) void SFX(tpack_store)(T *d, int R, int i0, int rows, const V *t)
{
    const int fits = i0 + W <= R;
    if (fits || i0 == 0) {
        for (int p = 0; p < W - 1; p++)
            VSTOREU(d + p * R, t[p]);
        if (fits)
            VSTOREU(d + (W - 1) * R, t[W - 1]);
        else
            VSTOREM(d + (W - 1) * R, VMASK(rows), t[W - 1]);
    } else {
        for (int p = 0; p < W; p++)
            VSTOREM(d + p * R, VMASK(rows), t[p]);
    }
}

void SFX(bp_gemm_tpack_avx2)(int cnt, int R, int64_t kc, const T *src, int64_t ld, T *dst);
void SFX(bp_gemm_cpack_avx2)(int cnt, int R, int64_t kc, const T *src, int64_t ld, T *dst);

/* dst[p*R + i] = src[i*ld + p] for i < cnt, p < kc (gemm.c's tpack): W x W blocks
 * transposed in registers, rows past cnt read as row 0; dst[p*R + i] for cnt <= i < R
 * may be overwritten (padding the kernel does not read). The scalar
 * loop it replaces stored an element at a time, R apart: 6.6 % of the MLP's step. */
void SFX(bp_gemm_tpack_avx2)(int cnt, int R, int64_t kc, const T *src, int64_t ld, T *dst)
{
    int64_t p0 = 0;
    for (; p0 + W <= kc; p0 += W)
        for (int i0 = 0; i0 < cnt; i0 += W) {
            int rows = cnt - i0 < W ? cnt - i0 : W;
            V r[W], t[W];
            for (int i = 0; i < W; i++)
                r[i] = VLOADU(src + (int64_t)(i0 + (i < rows ? i : 0)) * ld + p0);
            SFX(transpose)(r, t);
            SFX(tpack_store)(dst + p0 * R + i0, R, i0, rows, t);
        }
    for (int i = 0; i < cnt; i++)
        for (int64_t p = p0; p < kc; p++)
            dst[p * R + i] = src[i * ld + p];
}

/* dst[p*R + i] = src[p*ld + i] for i < cnt <= 2 W (a panel of this kernel: R is
 * its MR or NR), p < kc (gemm.c's cpack): one or two vector moves per p (libc's
 * memcpy per p was 8.5 % of the MLP's step). */
void SFX(bp_gemm_cpack_avx2)(int cnt, int R, int64_t kc, const T *src, int64_t ld, T *dst)
{
    if (cnt == 2 * W) {
        for (int64_t p = 0; p < kc; p++) {
            VSTOREU(dst + p * R, VLOADU(src + p * ld));
            VSTOREU(dst + p * R + W, VLOADU(src + p * ld + W));
        }
        return;
    }
    __m256i m0 = VMASK(cnt > W ? W : cnt), m1 = VMASK(cnt > W ? cnt - W : 0);
    for (int64_t p = 0; p < kc; p++) {
        VSTOREM(dst + p * R, m0, VLOADM(m0, src + p * ld));
        if (cnt > W)
            VSTOREM(dst + p * R + W, m1, VLOADM(m1, src + p * ld + W));
    }
}

#endif
