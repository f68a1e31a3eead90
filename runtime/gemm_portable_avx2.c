/* gemm_portable_avx2.c: for the tests (tests/unit/test_rt_kernels.c) only — the
 * portable GEMM of runtime/bp_kernels.inc compiled for AVX2 and FMA, i.e. with its
 * BPK_GEMM_V256 tile and packing, which every model built with -mavx2 (or
 * -march=native on such a CPU) carries, and with small blocks (KC 16 floats, 8
 * doubles; MC 18 rows; NC 32 columns) so that small shapes cross every edge:
 * bp__gemm_portable_avx2_{s,d}. Compiled with -mavx2 -mfma (runtime/CMakeLists.txt);
 * callers check __builtin_cpu_supports first. */
#include <math.h>
#include <stdint.h>

#define BPK_STATIC static inline __attribute__((unused))
#define BPK_EXP(x) exp(x)
#define BPK_SQRT(x) sqrt(x)
#define BPK_GEMM_MR 6
#define BPK_GEMM_NB 64
#define BPK_GEMM_KB 64
#define BPK_GEMM_AB 1152
#define BPK_GEMM_LB 2048
#define BPK_REAL float
#define BPK(name) bp_kv2s_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#define BPK_GEMM_MR 6
#define BPK_GEMM_NB 64
#define BPK_GEMM_KB 64
#define BPK_GEMM_AB 1152
#define BPK_GEMM_LB 2048
#define BPK_REAL double
#define BPK(name) bp_kv2d_##name
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK

#ifndef __AVX__
#error "gemm_portable_avx2.c is compiled with -mavx2 -mfma: the tile under test is bp_kernels.inc's BPK_GEMM_V256"
#endif

void bp__gemm_portable_avx2_s(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A,
                              int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    bp_kv2s_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void bp__gemm_portable_avx2_d(int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha, const double *A,
                              int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc)
{
    bp_kv2d_gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
