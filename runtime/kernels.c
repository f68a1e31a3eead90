/* kernels: bp_kernels.inc compiled at -O3 for float (bp_s_*) and double
 * (bp_d_*), each function cloned for AVX-512, AVX2 and baseline x86-64 and
 * chosen at load time: what JIT-compiled models and --gemm=runtime call. */
#include <math.h>
#include "bp_runtime.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BPK_STATIC __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BPK_STATIC
#endif

/* float exp: the vectorisable one generated f32 models carry (the file's
 * other functions unused here) */
#if defined(__GNUC__)
#define BPM_STATIC static inline __attribute__((unused))
#else
#define BPM_STATIC static inline
#endif
#define BPM(name) bp_m_##name
#include "bp_mathf.inc"
#undef BPM_STATIC
#undef BPM

#define BPK_REAL float
#define BPK(name) bp_s_##name
#define BPK_EXP(x) bp_m_expf(x)
#define BPK_SQRT(x) sqrtf(x)
#define BPK_GEMM bp_sgemm
#include "bp_kernels.inc"
#undef BPK_REAL
#undef BPK
#undef BPK_EXP
#undef BPK_SQRT

#define BPK_REAL double
#define BPK(name) bp_d_##name
#define BPK_EXP(x) exp(x)
#define BPK_SQRT(x) sqrt(x)
#define BPK_GEMM bp_dgemm
#include "bp_kernels.inc"
