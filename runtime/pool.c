/* pool: a pthread pool implementing the bp_parallel hook of generated code
 * (bp_common.h), for bpc train / bench / run and any host that wants one.
 * threads - 1 workers plus the calling thread share each run's tasks through
 * an atomic counter. A worker that finished spins briefly for the next run
 * (a training step issues many small ones) and then sleeps on a condition
 * variable. A run returns when every task is done and no worker is still
 * inside it, so the next run can reuse the fields. One run at a time: the
 * pool is for one model's calls on one thread. */
#include <fenv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include "bp_runtime.h"

enum { POOL_MAX = 256, POOL_SPIN = 4000 };

struct bp_pool {
    bp_parallel hook;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    pthread_t tid[POOL_MAX];
    int nworkers;
    atomic_uint gen;        /* run number: a change wakes the workers        */
    atomic_int next, done;  /* the run's next task index, tasks finished     */
    int active;             /* workers inside the current run (under mu)     */
    int ntasks;
    void (*task)(void *arg, int i);
    void *arg;
    int quit;
    fenv_t env;             /* the creator's floating-point environment      */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Take tasks of the current run until none is left; the one finishing the
 * last task tells the caller. */
static void work(bp_pool *p)
{
    for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->ntasks;) {
        p->task(p->arg, i);
        if (atomic_fetch_add(&p->done, 1) + 1 == p->ntasks) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->idle);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *worker(void *arg)
{
    bp_pool *p = arg;
    fesetenv(&p->env);   /* the creator's rounding and denormal modes, as the caller's tasks run */
    unsigned seen = atomic_load(&p->gen);
    for (;;) {
        for (int s = 0; s < POOL_SPIN && atomic_load_explicit(&p->gen, memory_order_acquire) == seen; s++)
            cpu_relax();
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->gen) == seen && !p->quit)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = atomic_load(&p->gen);
        p->active++;   /* under mu: the next run waits until this one is out */
        pthread_mutex_unlock(&p->mu);
        work(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_broadcast(&p->idle);
        pthread_mutex_unlock(&p->mu);
    }
}

/* The hook's run: a straggler of the previous run (a worker that woke after
 * it ended) leaves before the fields change; returns when all n tasks are done. */
static void pool_run(void *ctx, int n, void (*task)(void *arg, int i), void *arg)
{
    bp_pool *p = ctx;
    if (n <= 0)
        return;
    if (n == 1 || p->nworkers == 0) {
        for (int i = 0; i < n; i++)
            task(arg, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    while (p->active > 0)
        pthread_cond_wait(&p->idle, &p->mu);
    p->task = task, p->arg = arg, p->ntasks = n;
    atomic_store(&p->next, 0);
    atomic_store(&p->done, 0);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    work(p);
    for (int s = 0; s < POOL_SPIN && atomic_load(&p->done) < n; s++)
        cpu_relax();
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->done) < n)
        pthread_cond_wait(&p->idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

int bp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : (int)n;
}

bp_pool *bp_pool_new(int threads)
{
    bp_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    threads = threads < 1 ? bp_cpu_count() : threads > POOL_MAX ? POOL_MAX : threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->idle, NULL);
    fegetenv(&p->env);
    for (int t = 0; t < threads - 1; t++) {
        if (pthread_create(&p->tid[t], NULL, worker, p) != 0)
            break;
        p->nworkers++;
    }
    p->hook = (bp_parallel){ pool_run, p, p->nworkers + 1 };
    return p;
}

const bp_parallel *bp_pool_hook(const bp_pool *p) { return p ? &p->hook : NULL; }

int bp_pool_threads(const bp_pool *p) { return p ? p->nworkers + 1 : 1; }

void bp_pool_free(bp_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int t = 0; t < p->nworkers; t++)
        pthread_join(p->tid[t], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
