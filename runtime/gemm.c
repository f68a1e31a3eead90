/* gemm.c: bp_sgemm / bp_dgemm, GotoBLAS/BLIS style.
 *   - dispatch: the micro-kernel is chosen once at run time (avx512 > avx2 >
 *     portable, by __builtin_cpu_supports). The environment variable
 *     BP_GEMM_KERNEL=portable|avx2|avx512 forces one (if the CPU has it);
 *     tests can also call bp__gemm_force_kernel(name) (internal, not in the
 *     header).
 *   - blocking: C is walked in NC-column / KC-deep / MC-row blocks (KC and MC
 *     balanced to equal pieces); op(A) is packed into MR-row micro-panels,
 *     op(B) into NR-column micro-panels in per-thread 64-byte aligned
 *     buffers. AVX-512 sgemm: 14x32 tiles, KC 1024, MC 56, NC 1024 (measured
 *     on Zen 4: a deep KC amortises C traffic, panels live in its 1 MB L2),
 *     NC fewer when the packed op(B) block would pass 1 MiB (block_cols).
 *     AVX2 sgemm: 6x16 tiles, KC 256, MC 144. Both pack with vectors (the
 *     kernel file's tpack and cpack: transposes in registers, vector copies).
 *     An operand already laid out the way the kernel reads it (ta for A, !tb
 *     for B) is read in place when small; when n is narrower than a vector
 *     and m is not, the driver computes C^T = op(B)^T op(A)^T instead.
 *   - threads: bp_gemm_set_threads(n) lets big products split C's columns (or
 *     rows) across n pthreads; each uses its own packing buffers.
 *   - portable fallback: a plain C 4x8 (double) / 4x16 (float) kernel.
 * The type-generic part is written once and included twice (float, double)
 * through this file's own #include __FILE__, controlled by GEMM_TEMPLATE.  */
#ifndef GEMM_TEMPLATE
#define GEMM_TEMPLATE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bp_runtime.h"

typedef void (*skern_fn)(int mr, int nr, int64_t k, const float *a,
                         int64_t a_ps, const float *b, int64_t b_ps, float *c,
                         int64_t ldc, float alpha, float beta);
typedef void (*dkern_fn)(int mr, int nr, int64_t k, const double *a,
                         int64_t a_ps, const double *b, int64_t b_ps,
                         double *c, int64_t ldc, double alpha, double beta);

/* The vector-shape paths are cloned for each ISA and chosen at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEMM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GEMM_CLONES
#endif

#if defined(__x86_64__) || defined(__i386__)
#define GEMM_X86 1
void bp_gemm_kern_avx512_s(int, int, int64_t, const float *, int64_t,
                           const float *, int64_t, float *, int64_t, float,
                           float);
void bp_gemm_kern_avx512_d(int, int, int64_t, const double *, int64_t,
                           const double *, int64_t, double *, int64_t, double,
                           double);
void bp_gemm_kern_avx2_s(int, int, int64_t, const float *, int64_t,
                         const float *, int64_t, float *, int64_t, float,
                         float);
void bp_gemm_kern_avx2_d(int, int, int64_t, const double *, int64_t,
                         const double *, int64_t, double *, int64_t, double,
                         double);
void bp_gemm_tpack_avx2_s(int, int, int64_t, const float *, int64_t, float *);
void bp_gemm_tpack_avx2_d(int, int, int64_t, const double *, int64_t, double *);
void bp_gemm_cpack_avx2_s(int, int, int64_t, const float *, int64_t, float *);
void bp_gemm_cpack_avx2_d(int, int, int64_t, const double *, int64_t, double *);
void bp_gemm_tpack_avx512_s(int, int, int64_t, const float *, int64_t,
                            float *);
void bp_gemm_tpack_avx512_d(int, int, int64_t, const double *, int64_t,
                            double *);
void bp_gemm_cpack_avx512_s(int, int, int64_t, const float *, int64_t,
                            float *);
void bp_gemm_cpack_avx512_d(int, int, int64_t, const double *, int64_t,
                            double *);
#endif

/* Register tile and cache blocks of one kernel for one element type. */
typedef struct gemm_params {
    int mr, nr;      /* micro-tile                                         */
    int64_t kc;      /* depth of a packed block (B micro-panel ~ L1)        */
    int64_t mc;      /* rows of a packed A block (~ L2)                     */
    int64_t nc;      /* columns of a packed B block (~ L3)                  */
    void (*kern)(void);
    void (*tpack)(void); /* SIMD transposing pack, or NULL (plain C)        */
    void (*cpack)(void); /* SIMD copying pack, or NULL (memcpy per k)       */
} gemm_params;

typedef struct gemm_impl {
    const char *name;
    gemm_params s, d;
} gemm_impl;

/* ---- portable fallback (plain C) ---------------------------------------- */
#define PS_MR 4
#define PS_NR 16
#define PD_MR 4
#define PD_NR 8

#define GEMM_PORTABLE_KERNEL(T, NAME, MR, NR)                                  \
    static void NAME(int mr, int nr, int64_t k, const T *a, int64_t a_ps,      \
                     const T *b, int64_t b_ps, T *c, int64_t ldc, T alpha,     \
                     T beta)                                                   \
    {                                                                          \
        T acc[MR][NR] = {{0}};                                                 \
        if (mr == MR && nr == NR) {                                            \
            for (int64_t p = 0; p < k; p++, a += a_ps, b += b_ps)              \
                for (int i = 0; i < MR; i++)                                   \
                    for (int j = 0; j < NR; j++)                               \
                        acc[i][j] += a[i] * b[j];                              \
        } else {                                                               \
            for (int64_t p = 0; p < k; p++, a += a_ps, b += b_ps)              \
                for (int i = 0; i < mr; i++)                                   \
                    for (int j = 0; j < nr; j++)                               \
                        acc[i][j] += a[i] * b[j];                              \
        }                                                                      \
        for (int i = 0; i < mr; i++)                                           \
            for (int j = 0; j < nr; j++) {                                     \
                T *cij = c + i * ldc + j;                                      \
                *cij = alpha * acc[i][j] + (beta != 0 ? beta * *cij : 0);      \
            }                                                                  \
    }
GEMM_PORTABLE_KERNEL(float, kern_portable_s, PS_MR, PS_NR)
GEMM_PORTABLE_KERNEL(double, kern_portable_d, PD_MR, PD_NR)

/* ---- kernel table and dispatch ------------------------------------------ */
#define KFN(f) ((void (*)(void))(f))
static const gemm_impl impl_portable = {
    "portable",
    {PS_MR, PS_NR, 256, 128, 4096, KFN(kern_portable_s), NULL, NULL},
    {PD_MR, PD_NR, 256, 128, 4096, KFN(kern_portable_d), NULL, NULL},
};
#ifdef GEMM_X86
static const gemm_impl impl_avx2 = {
    "avx2",
    {6, 16, 256, 144, 4096, KFN(bp_gemm_kern_avx2_s), KFN(bp_gemm_tpack_avx2_s),
     KFN(bp_gemm_cpack_avx2_s)},
    {6, 8, 256, 72, 4096, KFN(bp_gemm_kern_avx2_d), KFN(bp_gemm_tpack_avx2_d),
     KFN(bp_gemm_cpack_avx2_d)},
};
static const gemm_impl impl_avx512 = {
    "avx512",
    {14, 32, 1024, 56, 1024, KFN(bp_gemm_kern_avx512_s),
     KFN(bp_gemm_tpack_avx512_s), KFN(bp_gemm_cpack_avx512_s)},
    {14, 16, 512, 56, 1024, KFN(bp_gemm_kern_avx512_d),
     KFN(bp_gemm_tpack_avx512_d), KFN(bp_gemm_cpack_avx512_d)},
};
#endif

static int cpu_has(const char *name)
{
#ifdef GEMM_X86
    __builtin_cpu_init();
    if (!strcmp(name, "avx512"))
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("fma");
    if (!strcmp(name, "avx2"))
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return !strcmp(name, "portable");
}

static const gemm_impl *impl_named(const char *name)
{
    if (!name || !cpu_has(name))
        return NULL;
#ifdef GEMM_X86
    if (!strcmp(name, "avx512"))
        return &impl_avx512;
    if (!strcmp(name, "avx2"))
        return &impl_avx2;
#endif
    return &impl_portable;
}

static const gemm_impl *impl_best(void)
{
    const gemm_impl *im = impl_named(getenv("BP_GEMM_KERNEL"));
    if (!im)
        im = impl_named("avx512");
    if (!im)
        im = impl_named("avx2");
    return im ? im : &impl_portable;
}

static _Atomic(const gemm_impl *) g_impl;
static atomic_int g_threads = 1;

static const gemm_impl *impl_get(void)
{
    const gemm_impl *im = atomic_load_explicit(&g_impl, memory_order_acquire);
    if (!im) {
        im = impl_best();
        atomic_store_explicit(&g_impl, im, memory_order_release);
    }
    return im;
}

/* Internal (tests): force a kernel; returns 0, or -1 if not available. */
int bp__gemm_force_kernel(const char *name);
int bp__gemm_force_kernel(const char *name)
{
    const gemm_impl *im = impl_named(name);
    if (!im)
        return -1;
    atomic_store_explicit(&g_impl, im, memory_order_release);
    return 0;
}

const char *bp_gemm_kernel_name(void) { return impl_get()->name; }

void bp_gemm_set_threads(int n)
{
    atomic_store(&g_threads, n < 1 ? 1 : n > 64 ? 64 : n);
}

/* ---- per-thread packing buffers ----------------------------------------- */
#define GEMM_MAX_THREADS 64
#define GEMM_MAX_TILE (16 * 32) /* largest mr * nr of any kernel */
typedef struct gemm_bufs {
    void *p[GEMM_MAX_THREADS];
    size_t cap[GEMM_MAX_THREADS];
} gemm_bufs;

static _Thread_local gemm_bufs *tl_bufs;
static pthread_key_t bufs_key;
static pthread_once_t bufs_once = PTHREAD_ONCE_INIT;

static void bufs_free(void *v)
{
    gemm_bufs *b = v;
    for (int i = 0; i < GEMM_MAX_THREADS; i++)
        free(b->p[i]);
    free(b);
}

static void bufs_key_init(void) { (void)pthread_key_create(&bufs_key, bufs_free); }

/* The calling thread's buffer for worker w, at least `bytes` long. */
static void *buf_get(int w, size_t bytes)
{
    if (!tl_bufs) {
        pthread_once(&bufs_once, bufs_key_init);
        tl_bufs = calloc(1, sizeof *tl_bufs);
        if (!tl_bufs)
            return NULL;
        pthread_setspecific(bufs_key, tl_bufs);
    }
    if (tl_bufs->cap[w] < bytes) {
        free(tl_bufs->p[w]);
        bytes = (bytes + 4095) & ~(size_t)4095;
        tl_bufs->p[w] = aligned_alloc(64, bytes);
        tl_bufs->cap[w] = tl_bufs->p[w] ? bytes : 0;
    }
    return tl_bufs->p[w];
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t round_up(int64_t x, int64_t r) { return (x + r - 1) / r * r; }

/* Block size <= max (a multiple of r) splitting len into equal blocks. */
static int64_t balanced(int64_t len, int64_t max, int64_t r)
{
    int64_t nb = (len + max - 1) / max;
    return min64(max, round_up((len + nb - 1) / nb, r));
}

/* One product (or a thread's block of it) and the buffer to pack into.
 * C[i][j] is at C + i*csr + j*csc: csc != 1 when the driver computes C^T. */
typedef struct gemm_job {
    const gemm_params *kp;
    int ta, tb;
    int64_t m, n, k, lda, ldb, csr, csc;
    const void *A, *B;
    void *C;
    double alpha, beta;
    void *buf;
    size_t bytes;    /* packing buffer size for the whole product           */
    int is_double;
} gemm_job;

static void *job_run(void *arg);

/* Split C over nt threads (columns if n >= m, else rows) and wait. */
static void run_threads(gemm_job *job, int nt, size_t esz)
{
    gemm_job jobs[GEMM_MAX_THREADS];
    pthread_t tid[GEMM_MAX_THREADS];
    int started[GEMM_MAX_THREADS] = {0};
    int by_cols = job->n >= job->m;
    int64_t len = by_cols ? job->n : job->m;
    int64_t unit = by_cols ? job->kp->nr : job->kp->mr;
    int64_t chunk = round_up((len + nt - 1) / nt, unit);
    int used = 0;
    for (int t = 0; t < nt && t * chunk < len; t++, used++) {
        gemm_job *j = &jobs[t];
        int64_t off = t * chunk;
        *j = *job;
        j->buf = NULL;
        if (by_cols) {
            j->n = min64(chunk, len - off);
            j->B = (const char *)job->B +
                   (size_t)(job->tb ? off * job->ldb : off) * esz;
            j->C = (char *)job->C + (size_t)(off * job->csc) * esz;
        } else {
            j->m = min64(chunk, len - off);
            j->A = (const char *)job->A +
                   (size_t)(job->ta ? off : off * job->lda) * esz;
            j->C = (char *)job->C + (size_t)(off * job->csr) * esz;
        }
    }
    for (int t = 0; t < used; t++)
        jobs[t].buf = buf_get(t, job->bytes);
    for (int t = 1; t < used; t++)
        started[t] = jobs[t].buf &&
                     pthread_create(&tid[t], NULL, job_run, &jobs[t]) == 0;
    job_run(&jobs[0]);
    for (int t = 1; t < used; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            job_run(&jobs[t]);
    }
}

/* ---- type-generic part --------------------------------------------------- */
#define T float
#define SFX(x) x##_s
#define PFIELD s
#define PUBNAME bp_sgemm
#define VECNAME bp_s_gemm_vec
#include __FILE__
#undef T
#undef SFX
#undef PFIELD
#undef PUBNAME
#undef VECNAME

#define T double
#define SFX(x) x##_d
#define PFIELD d
#define PUBNAME bp_dgemm
#define VECNAME bp_d_gemm_vec
#include __FILE__

static void *job_run(void *arg)
{
    gemm_job *j = arg;
    if (j->is_double)
        gemm_st_d(j);
    else
        gemm_st_s(j);
    return NULL;
}

#else /* ===== template body: T, SFX, PFIELD, PUBNAME are defined ===================== */

typedef void (*SFX(kern_fn))(int mr, int nr, int64_t k, const T *a,
                             int64_t a_ps, const T *b, int64_t b_ps, T *c,
                             int64_t ldc, T alpha, T beta);

/* C = beta * C for an m x n block (beta == 0 writes zeros, never reads). */
static void SFX(scale_c)(int64_t m, int64_t n, T beta, T *C, int64_t ldc)
{
    for (int64_t i = 0; i < m; i++) {
        T *c = C + i * ldc;
        if (beta == 0)
            memset(c, 0, (size_t)n * sizeof(T));
        else if (beta != 1)
            for (int64_t j = 0; j < n; j++)
                c[j] *= beta;
    }
}

typedef void (*SFX(pack_fn))(int cnt, int R, int64_t kc, const T *src,
                              int64_t ld, T *dst);

/* dst[p*R + i] = src[i*ld + p] for i < cnt, p < kc: R-interleaved panel. */
static void SFX(tpack)(const gemm_params *kp, int cnt, int R, int64_t kc,
                       const T *src, int64_t ld, T *dst)
{
    if (kp->tpack) {
        ((SFX(pack_fn))kp->tpack)(cnt, R, kc, src, ld, dst);
        return;
    }
    for (int i = 0; i < cnt; i++)
        for (int64_t p = 0; p < kc; p++)
            dst[p * R + i] = src[i * ld + p];
}

/* dst[p*R + i] = src[p*ld + i]: a panel that is already k-major. The SIMD
 * pack copies a whole panel row in one or two vector moves; memcpy of 56 or
 * 128 bytes per k was 11 % of the 784-1024-1024-10 step. */
static void SFX(cpack)(const gemm_params *kp, int cnt, int R, int64_t kc,
                       const T *src, int64_t ld, T *dst)
{
    if (kp->cpack) {
        ((SFX(pack_fn))kp->cpack)(cnt, R, kc, src, ld, dst);
        return;
    }
    for (int64_t p = 0; p < kc; p++)
        memcpy(dst + p * R, src + p * ld, (size_t)cnt * sizeof(T));
}

/* Pack columns [0, n) of a k-major kc x n block (row p at src + p*ld) into
 * R-wide panels, dst[panel][p][i]. Eight rows at a time across the whole
 * width: each row is read front to back, so the hardware prefetcher streams
 * it (panel by panel, every row read was 128 bytes on a new 4 KB page, a
 * miss each: the packing of W was 11-13 % of a 784-1024-1024-10 step). */
static void SFX(cpack_panels)(const gemm_params *kp, int64_t n, int R,
                              int64_t kc, const T *src, int64_t ld, T *dst)
{
    enum { ROWS = 8 };
    for (int64_t p0 = 0; p0 < kc; p0 += ROWS) {
        int64_t rows = min64(ROWS, kc - p0);
        for (int64_t j = 0; j < n; j += R)
            SFX(cpack)(kp, (int)min64(R, n - j), R, rows, src + p0 * ld + j, ld,
                       dst + (j / R) * R * kc + p0 * R);
    }
}

/* Pack op(A)[0:mc, 0:kc] into MR-row micro-panels: dst[panel][p][i]. */
static void SFX(pack_a)(const gemm_params *kp, int ta, int64_t mc, int64_t kc,
                        const T *A, int64_t lda, T *dst)
{
    int mr = kp->mr;
    if (ta) {
        SFX(cpack_panels)(kp, mc, mr, kc, A, lda, dst);
        return;
    }
    for (int64_t ir = 0; ir < mc; ir += mr, dst += mr * kc)
        SFX(tpack)(kp, (int)min64(mr, mc - ir), mr, kc, A + ir * lda, lda, dst);
}

/* Pack op(B)[0:kc, 0:nc] into NR-column micro-panels: dst[panel][p][j]. */
static void SFX(pack_b)(const gemm_params *kp, int tb, int64_t kc, int64_t nc,
                        const T *B, int64_t ldb, T *dst)
{
    int nr = kp->nr;
    if (!tb) {
        SFX(cpack_panels)(kp, nc, nr, kc, B, ldb, dst);
        return;
    }
    for (int64_t jr = 0; jr < nc; jr += nr, dst += nr * kc)
        SFX(tpack)(kp, (int)min64(nr, nc - jr), nr, kc, B + jr * ldb, ldb, dst);
}

/* Operand views for one kc-deep block: either packed or in place. */
typedef struct SFX(opview) {
    const T *p;      /* first element of the block                          */
    int64_t ps;      /* stride between consecutive k                        */
    int64_t panel;   /* stride between micro-panels (MR rows / NR columns)  */
} SFX(opview);

/* C[i*csr + j*csc] = alpha * t[i*ldt + j] + beta * C (beta 0: not read). */
static void SFX(scatter)(int mr, int nr, const T *t, int ldt, T alpha, T beta,
                         T *C, int64_t csr, int64_t csc)
{
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            T *c = C + i * csr + j * csc;
            *c = alpha * t[i * ldt + j] + (beta != 0 ? beta * *c : 0);
        }
}

/* All MR x NR tiles of one mc x nc block of C. */
static void SFX(macro_kernel)(const gemm_params *kp, int64_t mc, int64_t nc,
                              int64_t kc, SFX(opview) a, SFX(opview) b,
                              T alpha, T beta, T *C, int64_t csr, int64_t csc)
{
    SFX(kern_fn) kern = (SFX(kern_fn))kp->kern;
    _Alignas(64) T tile[GEMM_MAX_TILE];
    for (int64_t jr = 0; jr < nc; jr += kp->nr) {
        int nr = (int)min64(kp->nr, nc - jr);
        const T *bp = b.p + (jr / kp->nr) * b.panel;
        for (int64_t ir = 0; ir < mc; ir += kp->mr) {
            int mr = (int)min64(kp->mr, mc - ir);
            const T *ap = a.p + (ir / kp->mr) * a.panel;
            T *c = C + ir * csr + jr * csc;
            if (csc == 1) {
                kern(mr, nr, kc, ap, a.ps, bp, b.ps, c, csr, alpha, beta);
            } else {
                kern(mr, nr, kc, ap, a.ps, bp, b.ps, tile, kp->nr, 1, 0);
                SFX(scatter)(mr, nr, tile, kp->nr, alpha, beta, c, csr, csc);
            }
        }
    }
}

/* Read op(A) in place? Only when ta (k-major, as packed) and it is small. */
static int SFX(direct_a)(int ta, int64_t m, int64_t k)
{
    return ta && m * k * (int64_t)sizeof(T) <= (256 << 10);
}

/* Read op(B) in place? Only when !tb (k-major) and few rows of C reuse it. */
static int SFX(direct_b)(const gemm_params *kp, int tb, int64_t m)
{
    return !tb && m <= 8 * kp->mr;
}

/* Elements of the packed A block (rounded to 64 bytes); B's block follows. */
static int64_t SFX(abuf_elems)(const gemm_params *kp, int64_t m, int64_t k)
{
    return round_up(min64(kp->mc, round_up(m, kp->mr)) * min64(kp->kc, k), 16);
}

/* Bytes of packing buffer a product (or any block of it) needs. */
static size_t SFX(buf_bytes)(const gemm_params *kp, int64_t m, int64_t n,
                             int64_t k)
{
    int64_t nb = min64(kp->nc, round_up(n, kp->nr)) * min64(kp->kc, k);
    return (size_t)(SFX(abuf_elems)(kp, m, k) + nb) * sizeof(T);
}

/* Used only if no packing buffer could be allocated. */
static void SFX(gemm_naive)(const gemm_job *jb)
{
    const T *A = jb->A, *B = jb->B;
    T alpha = (T)jb->alpha, beta = (T)jb->beta;
    int64_t lda = jb->lda, ldb = jb->ldb;
    for (int64_t i = 0; i < jb->m; i++)
        for (int64_t j = 0; j < jb->n; j++) {
            T s = 0, *c = (T *)jb->C + i * jb->csr + j * jb->csc;
            for (int64_t p = 0; p < jb->k; p++)
                s += (jb->ta ? A[p * lda + i] : A[i * lda + p]) *
                     (jb->tb ? B[j * ldb + p] : B[p * ldb + j]);
            *c = alpha * s + (beta != 0 ? beta * *c : 0);
        }
}

/* Columns of op(B) per packed block: the kernel's nc, fewer when the block
 * (kc x nc) would pass 1 MiB, a Zen 4 core's L2. With nc 1024 the products of
 * 784-1024-1024-10 (k 784 and 1024, n 1024) packed 3-4 MiB blocks, read back
 * from the shared L3, and ran at 75-200 GFLOP/s by the neighbours' load
 * (bench/gemm_bench.sh). Which columns share a block changes, no element's
 * sum: results are the same bit for bit. */
static int64_t SFX(block_cols)(const gemm_params *kp, int64_t n, int64_t kc)
{
    int64_t fit = (1 << 20) / (kc * (int64_t)sizeof(T)) / kp->nr * kp->nr;
    return balanced(n, max64(kp->nr, min64(kp->nc, fit)), kp->nr);
}

/* Single-threaded GEMM on one block of C; jb->buf holds both packed blocks. */
static void SFX(gemm_st)(const gemm_job *jb)
{
    const gemm_params *kp = jb->kp;
    int ta = jb->ta, tb = jb->tb;
    int64_t m = jb->m, n = jb->n, k = jb->k, lda = jb->lda, ldb = jb->ldb;
    const T *A = jb->A, *B = jb->B;
    T *C = jb->C, alpha = (T)jb->alpha, beta = (T)jb->beta;
    int da = SFX(direct_a)(ta, m, k), db = SFX(direct_b)(kp, tb, m);
    T *abuf = jb->buf, *bbuf = abuf + SFX(abuf_elems)(kp, m, k);
    int64_t KC = balanced(k, kp->kc, 16), MC = balanced(m, kp->mc, kp->mr);
    int64_t NC = SFX(block_cols)(kp, n, KC);
    if (!jb->buf) {
        SFX(gemm_naive)(jb);
        return;
    }
    for (int64_t jc = 0; jc < n; jc += NC) {
        int64_t nc = min64(NC, n - jc);
        for (int64_t pc = 0; pc < k; pc += KC) {
            int64_t kc = min64(KC, k - pc);
            T bt = pc ? (T)1 : beta;
            SFX(opview) bv = {bbuf, kp->nr, kp->nr * kc};
            if (db)
                bv = (SFX(opview)){B + pc * ldb + jc, ldb, kp->nr};
            else
                SFX(pack_b)(kp, tb, kc, nc,
                            tb ? B + jc * ldb + pc : B + pc * ldb + jc, ldb,
                            bbuf);
            for (int64_t ic = 0; ic < m; ic += MC) {
                int64_t mc = min64(MC, m - ic);
                SFX(opview) av = {abuf, kp->mr, kp->mr * kc};
                if (da)
                    av = (SFX(opview)){A + pc * lda + ic, lda, kp->mr};
                else
                    SFX(pack_a)(kp, ta, mc, kc,
                                ta ? A + pc * lda + ic : A + ic * lda + pc,
                                lda, abuf);
                SFX(macro_kernel)(kp, mc, nc, kc, av, bv, alpha, bt,
                                  C + ic * jb->csr + jc * jb->csc, jb->csr,
                                  jb->csc);
            }
        }
    }
}

/* Compute C^T = op(B)^T op(A)^T instead? When n is too narrow to fill the
 * kernel's vectors and m is not: the kernel then runs along m. */
static int SFX(want_transposed)(const gemm_params *kp, int64_t m, int64_t n)
{
    int64_t w = 64 / (int64_t)sizeof(T);
    return n < w && m >= 2 * w && kp->nr > 1;
}

static void SFX(gemm)(int ta, int tb, int64_t m, int64_t n, int64_t k,
                      T alpha, const T *A, int64_t lda, const T *B,
                      int64_t ldb, T beta, T *C, int64_t ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0 || alpha == 0) {
        SFX(scale_c)(m, n, beta, C, ldc);
        return;
    }
    /* A row times op(B) (batch 1) or an outer product: memory-bound, no packing;
     * bp_kernels.inc's gemm_vec, the code portable models carry, so both GEMM modes
     * compute them alike (n == 1 keeps the packed path: its dots down op(A)'s
     * columns would stride) */
    if (m == 1 || k == 1) {
        VECNAME(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const gemm_params *kp = &impl_get()->PFIELD;
    gemm_job job = {kp, ta, tb, m, n, k, lda, ldb, ldc, 1, A, B, C,
                    alpha, beta, NULL, 0, sizeof(T) == sizeof(double)};
    if (SFX(want_transposed)(kp, m, n)) {
        job.ta = !tb, job.tb = !ta, job.m = n, job.n = m;
        job.A = B, job.B = A, job.lda = ldb, job.ldb = lda;
        job.csr = 1, job.csc = ldc;
    }
    job.bytes = SFX(buf_bytes)(kp, job.m, job.n, k);
    double flops = 2.0 * (double)m * (double)n * (double)k;
    int nt = atomic_load(&g_threads);
    if (flops < 4e6)
        nt = 1;
    run_threads(&job, nt, sizeof(T));
}

/* The public entry point for this type. */
void PUBNAME(int ta, int tb, int64_t m, int64_t n, int64_t k, T alpha,
                    const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
                    T *C, int64_t ldc)
{
    SFX(gemm)(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

#endif
