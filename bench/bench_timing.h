/* bench_timing.h — the sampling method every bench program shares (see
 * bench/README.md): after a warm-up, the median over samples of the mean time
 * per call of a run of consecutive calls lasting at least 2 ms. Header-only:
 * each bench program is one translation unit. */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* bytes zeroed, 64-byte aligned (a cache line, an AVX-512 vector), or NULL: every
 * program's tensors at their best (glibc's calloc gives 16 mod 64 for a large
 * one, and vector loads that split cache lines made both bpc's and the
 * OpenBLAS step at batch 1 about 1.2x slower) */
static void *bench_alloc(size_t bytes)
{
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes ? bytes : 64);
    return p;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Milliseconds per call of f, sampled for about `budget` seconds (11 to 401 samples). */
static double bench_median_ms(void (*f)(void), double budget)
{
    for (int i = 0; i < 3; i++)
        f();
    double t0 = bench_now();
    f();
    double once = bench_now() - t0;
    int per = once < 2e-3 ? (int)(2e-3 / (once > 1e-8 ? once : 1e-8)) + 1 : 1;
    int samples = (int)(budget / (once * per));
    samples = samples < 11 ? 11 : samples > 401 ? 401 : samples;
    double *t = malloc(sizeof(double) * (size_t)samples);
    if (!t)
        return -1;
    for (int s = 0; s < samples; s++) {
        t0 = bench_now();
        for (int k = 0; k < per; k++)
            f();
        t[s] = (bench_now() - t0) / per;
    }
    qsort(t, (size_t)samples, sizeof *t, bench_cmp);
    double m = t[samples / 2];
    free(t);
    return 1e3 * m;
}
#endif
