/* aot_driver: time one bpc-generated model (bpc AOT), knowing nothing of it
 * beyond the SPEC §3 API and its reflection table. Compile it together with
 * the generated source, naming the header and the C prefix:
 *
 *   bpc mlp.bp -o m.c --name m --gemm=runtime
 *   cc -O3 -march=native -DMODEL_H='"m.h"' -DP=m -I. -Iruntime -Iinclude \
 *      bench/aot_driver.c m.c build/runtime/libbprt.a -lm -lpthread
 *
 * usage: aot_driver BATCH [--budget SEC] [--classes C] [--set NAME=V]...
 *                         [--check K] [--threads T]
 *   BATCH binds every symbolic dim not bound with --set. --set NAME=V also
 *   sets a rank-0 float input (a run-time hyperparameter; default 0.01).
 *   Inputs get seeded random data, int inputs labels uniform in [0, C) with
 *   C the last extent of the output "scores" (or --classes); P_init(seed 1).
 *   Prints, for P_forward and P_step (P_grad when the model has no step):
 *     forward_ms <median>   step_ms <median>
 *   the median over samples of the mean time per call within a sample of
 *   consecutive calls lasting >= 2 ms (bpc bench's method), after a warm-up;
 *   sampling stops after about SEC seconds per function (default 0.3).
 *   --check K: no timing; params and inputs from bench_fill (the same
 *   deterministic values baseline_blas.c and baseline_torch.py use), K steps,
 *   prints "losses l1 ... lK" (the loss each step computed).
 *   --threads T: T > 1 gives the model T threads through its io->bp_par hook
 *   (a bp_pool of the runtime, libbprt: link it even with --gemm=portable). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_timing.h"
#include "bp_runtime.h"

#ifndef MODEL_H
#define MODEL_H "bm.h"
#endif
#ifndef P
#define P bm
#endif
#include MODEL_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define M(s) CAT(P, s)
#define STR_(a) #a
#define STR(a) STR_(a)

typedef M(_io) io_t;

/* Deterministic values shared with baseline_blas.c / baseline_torch.py:
 * element k of tensor `which` (params in declaration order 0, 1, ...; the
 * input 100, the labels 101), exact in float: multiples of 2^-27 in
 * [-1/16, 1/16) (weights), [-1/2, 1/2) (inputs). */
static uint32_t bench_hash(uint64_t which, uint64_t k)
{
    return (uint32_t)(((k * 2654435761u + which * 40503u + 12345u) & 0xffffffffu) >> 8);
}
static float bench_fill(uint64_t which, uint64_t k, float scale)
{
    return ((float)bench_hash(which, k) / 16777216.0f - 0.5f) * scale;
}



static io_t io;
static void *ws;

static int call_forward(void) { return M(_forward)(&io, ws); }
static int call_step(void)
{
#ifdef BENCH_NO_STEP
    return M(_grad)(&io, ws);
#else
    return M(_step)(&io, ws);
#endif
}

static void check_rc(int rc, const char *what)
{
    if (rc != BP_OK) {
        fprintf(stderr, "aot_driver: %s: %s\n", what, M(_strerror)(rc));
        exit(1);
    }
}

/* The timed function, checked on its first calls, then timed without checks. */
static int (*timed)(void);
static void call_timed(void) { (void)timed(); }

static double median_ms(int (*f)(void), const char *what, double budget)
{
    check_rc(f(), what);
    timed = f;
    return bench_median_ms(call_timed, budget);
}

static const char *set_value(int nset, char **sets, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < nset; i++)
        if (strncmp(sets[i], name, n) == 0 && sets[i][n] == '=')
            return sets[i] + n + 1;
    return NULL;
}

int main(int argc, char **argv)
{
    int64_t batch = 0, classes = 0;
    double budget = 0.3;
    int check = 0, nset = 0, threads = 1;
    char *sets[64];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
            budget = atof(argv[++i]);
        else if (strcmp(argv[i], "--classes") == 0 && i + 1 < argc)
            classes = atoll(argv[++i]);
        else if (strcmp(argv[i], "--check") == 0 && i + 1 < argc)
            check = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && nset < 64)
            sets[nset++] = argv[++i];
        else if (argv[i][0] != '-' && batch == 0)
            batch = atoll(argv[i]);
        else {
            fprintf(stderr, "usage: %s BATCH [--budget SEC] [--classes C] [--set NAME=V]... [--check K] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    if (batch < 1)
        batch = 64;

    const bp_tensor_info *tab = M(_tensors);
    int nt = M(_num_tensors);
    int64_t sym[16];
    int nsym = 0;
    for (int i = 0; i < nt; i++)   /* bind the symbolic dims first: shapes refer to them */
        if (tab[i].role == BP_DIM && nsym < 16) {
            const char *v = set_value(nset, sets, tab[i].name);
            sym[nsym] = v ? atoll(v) : batch;
            memcpy((char *)&io + tab[i].offset, &sym[nsym], sizeof(int64_t));
            nsym++;
        }
    for (int i = 0; i < nt && classes == 0; i++)
        if (strcmp(tab[i].name, "scores") == 0 && tab[i].rank > 0 && tab[i].dims[tab[i].rank - 1] > 0)
            classes = tab[i].dims[tab[i].rank - 1];
    for (int i = 0; i < nt && classes == 0; i++)   /* no "scores": the first output with a fixed last extent */
        if (tab[i].role == BP_OUTPUT && tab[i].rank > 0 && tab[i].dims[tab[i].rank - 1] > 0)
            classes = tab[i].dims[tab[i].rank - 1];
    if (classes < 1)
        classes = 1;

    uint32_t seed = 1;
    int param_no = 0, label_no = 0, input_no = 0;
    for (int i = 0; i < nt; i++) {
        const bp_tensor_info *t = &tab[i];
        if (t->role == BP_DIM)
            continue;
        int64_t n = 1;
        for (int k = 0; k < t->rank; k++)
            n *= t->dims[k] > 0 ? t->dims[k] : sym[-t->dims[k] - 1];
        size_t esz = t->dtype == BP_F64 || t->dtype == BP_I64 ? 8 : 4;
        void *buf = bench_alloc((size_t)n * esz);   /* zeros: optimizer state, outputs, grads */
        if (!buf)
            return fprintf(stderr, "aot_driver: out of memory\n"), 1;
        int which = t->role == BP_PARAM ? param_no++ : -1;
        int is_label = t->role == BP_INPUT && (t->dtype == BP_I32 || t->dtype == BP_I64);
        int is_input = t->role == BP_INPUT && !is_label;
        if (is_label)
            label_no++;
        if (is_input)
            input_no++;
        for (int64_t k = 0; k < n; k++) {
            double v;
            seed = seed * 1103515245u + 12345u;
            if (is_label) {
                int64_t c = check ? (int64_t)(bench_hash(101 + 2 * (label_no - 1), (uint64_t)k) % classes)
                                  : (int64_t)((seed >> 8) % (uint32_t)classes);
                if (t->dtype == BP_I32)
                    ((int32_t *)buf)[k] = (int32_t)c;
                else
                    ((int64_t *)buf)[k] = c;
                continue;
            }
            if (is_input || t->role == BP_GRAD_IN) {
                if (t->rank == 0) {
                    const char *s = set_value(nset, sets, t->name);
                    v = s ? atof(s) : 0.01;
                } else if (check && is_input)
                    v = bench_fill(100 + 2 * (uint64_t)(input_no - 1), (uint64_t)k, 1.0f);
                else
                    v = (double)((seed >> 8) % 1000) / 1000.0 - 0.5;
            } else if (check && which >= 0)
                v = bench_fill((uint64_t)which, (uint64_t)k, 0.125f);
            else
                continue;
            if (t->dtype == BP_F64)
                ((double *)buf)[k] = v;
            else
                ((float *)buf)[k] = (float)v;
        }
        memcpy((char *)&io + t->offset, &buf, sizeof buf);
    }
    if (!check)
        M(_init)(&io, 1);
    bp_pool *pool = threads > 1 ? bp_pool_new(threads) : NULL;
    io.bp_par = bp_pool_hook(pool);
    size_t wsz = M(_workspace_size)(&io);
    ws = malloc(wsz ? wsz : 1);
    if (!ws)
        return fprintf(stderr, "aot_driver: out of memory\n"), 1;

    /* the scalar loss: the target, else the first rank-0 output */
    const bp_tensor_info *lt = NULL;
    for (int i = 0; i < nt && !lt; i++)
        if (tab[i].role == BP_TARGET && tab[i].rank == 0)
            lt = &tab[i];
    for (int i = 0; i < nt && !lt; i++)
        if (tab[i].role == BP_OUTPUT && tab[i].rank == 0)
            lt = &tab[i];

    if (check) {
        printf("losses");
        for (int s = 0; s < check; s++) {
            check_rc(call_step(), "step");
            if (lt) {
                void *p;
                memcpy(&p, (char *)&io + lt->offset, sizeof p);
                printf(" %.7g", lt->dtype == BP_F64 ? *(double *)p : (double)*(float *)p);
            }
        }
        printf("\n");
        return 0;
    }
    printf("model %s batch %lld workspace_bytes %zu threads %d\n", STR(P), (long long)batch, wsz, bp_pool_threads(pool));
    printf("forward_ms %.5f\n", median_ms(call_forward, "forward", budget));
    printf("step_ms %.5f\n", median_ms(call_step, "step", budget));
    return 0;
}
