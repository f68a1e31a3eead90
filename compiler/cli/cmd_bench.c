/* cmd_bench: bpc bench — median time of forward, backward, grad and step of
 * a JIT-compiled model on random data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bp_runtime.h"
#include "session.h"

enum { BENCH_RUNS = 41 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef int (*Call)(Session *s);
static int call_forward(Session *s) { return s->e->forward(s->h.io, s->h.ws); }
static int call_backward(Session *s) { return s->e->backward(s->h.io, s->h.ws); }
static int call_grad(Session *s) { return s->e->grad(s->h.io, s->h.ws); }
static int call_step(Session *s) { return s->e->step(s->h.io, s->h.ws); }

/* Median seconds per call over BENCH_RUNS batches sized to take ~2 ms each. */
static double median_time(Session *s, Call f)
{
    int reps = 1;
    double t0 = now();
    f(s);
    double once = now() - t0;
    if (once < 2e-3)
        reps = (int)(2e-3 / (once > 1e-7 ? once : 1e-7)) + 1;
    double times[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
        t0 = now();
        for (int k = 0; k < reps; k++)
            f(s);
        times[r] = (now() - t0) / reps;
    }
    qsort(times, BENCH_RUNS, sizeof *times, cmp);
    return times[BENCH_RUNS / 2];
}

/* Time every entry point the model has; a line each. */
static int measure(Session *s, const char *tier)
{
    const char *what[] = { "forward", "backward", "grad", "step" };
    Call calls[] = { call_forward, call_backward, call_grad, call_step };
    bool has_grad = false;
    for (int i = 0; i < s->e->num_tensors; i++)
        has_grad |= s->e->tensors[i].role == BP_GRAD;
    for (int k = 0; k < 4; k++) {
        if ((k > 0 && !has_grad) || (k == 3 && !s->e->step))
            continue;
        if (k == 1)
            call_forward(s);
        int r = calls[k](s);
        if (r != BP_OK) {
            fprintf(stderr, "bpc: %s: %s\n", what[k], s->e->strerror(r));
            return EXIT_MODEL;
        }
        printf("  %-9s %10.4f ms   (%s)\n", what[k], 1e3 * median_time(s, calls[k]), tier);
    }
    return EXIT_OK;
}

int cmd_bench(Cli *cli)
{
    Session s;
    bp_flush_denormals(1);   /* as bpc train steps: a converged example's denormals would time a slow path */
    int rc = session_open(&s, cli, cli->opt.dtype, 64);
    if (rc == EXIT_OK) {
        const char *jit = cli->jit ? cli->jit : "tcc";
        const int threads = bp_pool_threads(s.pool);
        printf("%s (jit %s, gemm kernel %s, %d thread%s)\n", cli->model, jit, bp_gemm_kernel_name(), threads,
               threads == 1 ? "" : "s");
        rc = measure(&s, cli->opt.jit == BPC_JIT_CC ? "cc" : "tcc");
        if (rc == EXIT_OK && cli->opt.jit == BPC_JIT_TIERED) {
            s.e = bpc_jit_upgrade(s.j, 1);
            rc = measure(&s, "cc tier");
        }
    }
    session_close(&s);
    return rc;
}
