/* threads_host: a host with its own thread pool, driving any generated model
 * through its reflection table and the bp_par hook (bp_common.h), the way an
 * application with its own threads would. Compile with the model:
 *   cc -DMODEL_H='"m.h"' -DP=m threads_host.c m.c -lm -lpthread
 * usage: threads_host BATCH STEPS THREADS
 * Fills params and inputs with fixed values, runs STEPS steps (P_grad when
 * the model has no step, -DNO_STEP) with THREADS threads (1: bp_par NULL),
 * and prints every float of every param, output and gradient in hex (%a),
 * then "runs N": how many times the model called the hook. With
 * -DGRAD_UPDATE each step is P_grad then P_update (what P_step must equal). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include MODEL_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define M(s) CAT(P, s)

enum { MAXT = 16 };

/* The pool: a pthread per task beyond the first, started per run (simple,
 * not fast: what matters is that the tasks run concurrently on other threads). */
typedef struct Pool {
    int runs;
} Pool;

typedef struct Task {
    void (*task)(void *arg, int i);
    void *arg;
    int i;
} Task;

static void *start(void *p)
{
    Task *t = p;
    t->task(t->arg, t->i);
    return NULL;
}

static void run(void *ctx, int n, void (*task)(void *arg, int i), void *arg)
{
    Pool *pool = ctx;
    pthread_t tid[MAXT];
    Task t[MAXT];
    int started[MAXT] = { 0 };
    pool->runs++;
    for (int i = 1; i < n && i < MAXT; i++) {
        t[i] = (Task){ task, arg, i };
        started[i] = pthread_create(&tid[i], NULL, start, &t[i]) == 0;
    }
    task(arg, 0);
    for (int i = 1; i < n; i++) {
        if (i < MAXT && started[i])
            pthread_join(tid[i], NULL);
        else
            task(arg, i);
    }
}

static M(_io) io;

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: threads_host BATCH STEPS THREADS\n"), 2;
    int64_t batch = atoll(argv[1]);
    int steps = atoi(argv[2]), threads = atoi(argv[3]);
    Pool pool = { 0 };
    bp_parallel par = { run, &pool, threads };
    const bp_tensor_info *tab = M(_tensors);
    int nt = M(_num_tensors);
    int64_t sym[16];
    int nsym = 0;
    for (int i = 0; i < nt; i++)
        if (tab[i].role == BP_DIM && nsym < 16) {
            sym[nsym] = batch;
            memcpy((char *)&io + tab[i].offset, &sym[nsym++], sizeof(int64_t));
        }
    void *data[256] = { 0 };
    int64_t count[256] = { 0 };
    for (int i = 0; i < nt && i < 256; i++) {
        const bp_tensor_info *t = &tab[i];
        if (t->role == BP_DIM || (t->rank == 0 && t->dtype == BP_I64))
            continue;
        int64_t n = 1;
        for (int k = 0; k < t->rank; k++)
            n *= t->dims[k] > 0 ? t->dims[k] : sym[-t->dims[k] - 1];
        size_t esz = t->dtype == BP_F64 || t->dtype == BP_I64 ? 8 : 4;
        data[i] = calloc((size_t)n, esz);
        count[i] = n;
        if (!data[i])
            return 1;
        for (int64_t k = 0; k < n; k++) {
            double v = (double)((k * 2654435761u + (uint64_t)i * 40503u) % 1000) / 1000.0 - 0.5;
            if (t->dtype == BP_I32)
                ((int32_t *)data[i])[k] = (int32_t)(k % 3);   /* labels of at least 3 classes */
            else if (t->role == BP_INPUT && t->rank == 0)
                ((float *)data[i])[0] = 0.01f;                /* a run-time hyperparameter */
            else if (t->role == BP_INPUT || t->role == BP_GRAD_IN || t->role == BP_PARAM) {
                if (t->dtype == BP_F64)
                    ((double *)data[i])[k] = v * 0.2;
                else
                    ((float *)data[i])[k] = (float)(v * 0.2);
            }
        }
        memcpy((char *)&io + t->offset, &data[i], sizeof(void *));
    }
    if (threads > 1)
        io.bp_par = &par;
    if (M(_parallel_offset) != offsetof(M(_io), bp_par))
        return fprintf(stderr, "threads_host: wrong parallel_offset\n"), 1;
    size_t wsz = M(_workspace_size)(&io);
    void *ws = malloc(wsz ? wsz : 1);
    for (int s = 0; s < steps; s++) {
#if defined(NO_STEP)
        int rc = M(_grad)(&io, ws);
#elif defined(GRAD_UPDATE)
        int rc = M(_grad)(&io, ws);
        if (rc == BP_OK)
            rc = M(_update)(&io, ws);
#else
        int rc = M(_step)(&io, ws);
#endif
        if (rc != BP_OK)
            return fprintf(stderr, "threads_host: %s\n", M(_strerror)(rc)), 1;
    }
    for (int i = 0; i < nt && i < 256; i++) {
        const bp_tensor_info *t = &tab[i];
        if (!data[i] || t->dtype == BP_I32 || t->role == BP_INPUT)
            continue;
        printf("%s", t->name);
        for (int64_t k = 0; k < count[i]; k++)
            printf(" %a", t->dtype == BP_F64 ? ((double *)data[i])[k] : (double)((float *)data[i])[k]);
        printf("\n");
        free(data[i]);
    }
    printf("runs %d\n", pool.runs);
    free(ws);
    return 0;
}
