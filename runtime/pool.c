/* pool: a pthread pool implementing the bp_parallel hook of generated code
 * (bp_common.h), for bpc train / bench / run and any host that wants one.
 * threads - 1 workers plus the calling thread share each run's tasks, each
 * thread its own first (see work). A training step issues many small runs, so
 * a run's common path takes no lock: the caller publishes the run by bumping
 * a generation counter, workers spinning on it join, and the caller spins on
 * the count of finished tasks. A worker that saw no run for a while sleeps on
 * a condition variable, and a caller waiting long for a task sleeps on
 * another; each side takes the lock only when the other may be asleep. Before
 * the next run changes the fields, the caller waits only for the workers that
 * joined the last one and closes it to the others (close_run): waiting for a
 * sleeping worker to wake made each step wait for a wake-up on a busy machine.
 * One run at a time: the pool is for one model's calls on one thread. */
#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bp_runtime.h"

enum { POOL_MAX = 256, POOL_SPIN = 4000 };

/* Per worker, on a cache line of its own: claim is 2g when the worker has joined run g,
 * 2g + 1 when the caller closed run g before the worker joined it (the worker then skips
 * it); acked is the last run the worker has left. */
typedef struct pool_worker {
    _Alignas(64) atomic_ullong claim;
    atomic_ullong acked;
    bp_pool *p;
    int self;                         /* 1 .. nworkers; the calling thread is 0 */
} pool_worker;

struct bp_pool {
    bp_parallel hook;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    pthread_t tid[POOL_MAX];
    pool_worker self[POOL_MAX];
    int nworkers;
    _Alignas(64) atomic_ullong gen;   /* run number, bumped once the run's fields are set     */
    atomic_int quit;                  /* set before the last bump: the workers leave           */
    atomic_int sleepers;              /* workers asleep, or about to be, on wake               */
    atomic_int caller_asleep;         /* the caller waits on idle for the last task            */
    _Alignas(64) atomic_int done;     /* tasks of the run finished                             */
    atomic_uchar *taken;              /* taken[i]: task i of the run has a thread              */
    int cap;                          /* room in taken                                         */
    int ntasks;
    void (*task)(void *arg, int i);
    void *arg;
    fenv_t env;                       /* the creator's floating-point environment              */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Task i, unless another thread took it; the one finishing the last task wakes the
 * caller if it sleeps (seq_cst on done and caller_asleep: one of the two sees the other). */
static void take(bp_pool *p, int i)
{
    if (atomic_load_explicit(&p->taken[i], memory_order_relaxed) ||
        atomic_exchange_explicit(&p->taken[i], 1, memory_order_acq_rel))
        return;
    p->task(p->arg, i);
    if (atomic_fetch_add(&p->done, 1) + 1 == p->ntasks && atomic_load(&p->caller_asleep)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->idle);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Thread self's share of the current run: its own tasks first (self, self + threads, ...),
 * then, from the end, any no thread has taken yet. Own tasks first keep task i on the same
 * thread run after run when none is late, so a model's split keeps each block of a param,
 * its gradient and its activations in one core's cache (the models split every pass over
 * the same rows or columns the same way); the rest balances a late or busy thread. */
static void work(bp_pool *p, int self)
{
    const int n = p->ntasks, threads = p->nworkers + 1;
    for (int i = self; i < n; i += threads)
        take(p, i);
    for (int i = n - 1; i >= 0; i--)
        take(p, i);
}

/* The next run after seen: spin for it, then sleep until the caller's bump wakes us
 * (sleepers counted before gen is read again: the caller sees us or we see its bump). */
static unsigned long long next_run(bp_pool *p, unsigned long long seen)
{
    unsigned long long g;
    for (int s = 0; s < POOL_SPIN; s++) {
        if ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) != seen)
            return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    while ((g = atomic_load(&p->gen)) == seen)
        pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void *worker(void *arg)
{
    pool_worker *w = arg;
    bp_pool *p = w->p;
    fesetenv(&p->env);   /* the creator's rounding and denormal modes, as the caller's tasks run */
    for (unsigned long long seen = 0;;) {
        seen = next_run(p, seen);
        if (atomic_load(&p->quit))
            return NULL;
        /* join run seen unless the caller has closed it (or a later one: this worker slept
         * through runs) meanwhile; then skip to the run after the last one closed */
        unsigned long long c = atomic_load(&w->claim);
        if (c / 2 >= seen || !atomic_compare_exchange_strong(&w->claim, &c, 2 * seen)) {
            seen = c / 2 > seen ? c / 2 : seen;
            continue;
        }
        work(p, w->self);
        atomic_store_explicit(&w->acked, seen, memory_order_release);
    }
}

/* Until no worker is inside run g, so that its fields can change: a worker that joined
 * it is waited for (it is running, so not for long); one that has not joined it yet (asleep,
 * or not yet scheduled) never will, its claim closed here, and nothing waits for it to wake. */
static void close_run(bp_pool *p, unsigned long long g)
{
    for (int t = 0; t < p->nworkers; t++) {
        pool_worker *w = &p->self[t];
        unsigned long long c = atomic_load(&w->claim);
        while (c != 2 * g && c != 2 * g + 1 && !atomic_compare_exchange_weak(&w->claim, &c, 2 * g + 1))
            ;
        if (c != 2 * g)
            continue;
        for (int s = 0; atomic_load_explicit(&w->acked, memory_order_acquire) != g; s++)
            if (s < POOL_SPIN)
                cpu_relax();
            else
                sched_yield();
    }
}

/* Publish the run's fields with a new generation, waking sleeping workers. */
static void start_run(bp_pool *p, int n, void (*task)(void *arg, int i), void *arg)
{
    for (int i = 0; i < n; i++)
        atomic_init(&p->taken[i], 0);
    p->task = task, p->arg = arg, p->ntasks = n;
    atomic_store(&p->done, 0);
    atomic_store(&p->gen, atomic_load(&p->gen) + 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
}

/* The hook's run: returns when all n tasks are done (workers may still be leaving it;
 * the next run, or bp_pool_free, closes it first: close_run). */
static void pool_run(void *ctx, int n, void (*task)(void *arg, int i), void *arg)
{
    bp_pool *p = ctx;
    if (n <= 0)
        return;
    close_run(p, atomic_load(&p->gen));
    if (n > p->cap) {   /* no worker is inside a run: taken can move */
        atomic_uchar *grown = realloc(p->taken, (size_t)n * sizeof *grown);
        if (grown)
            p->taken = grown, p->cap = n;
    }
    if (n == 1 || p->nworkers == 0 || n > p->cap) {   /* (no room to share the tasks: all here) */
        for (int i = 0; i < n; i++)
            task(arg, i);
        return;
    }
    start_run(p, n, task, arg);
    work(p, 0);
    for (int s = 0; s < POOL_SPIN && atomic_load(&p->done) < n; s++)
        cpu_relax();
    if (atomic_load(&p->done) < n) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->caller_asleep, 1);
        while (atomic_load(&p->done) < n)
            pthread_cond_wait(&p->idle, &p->mu);
        atomic_store(&p->caller_asleep, 0);
        pthread_mutex_unlock(&p->mu);
    }
}

int bp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : (int)n;
}

bp_pool *bp_pool_new(int threads)
{
    bp_pool *p = aligned_alloc(64, sizeof *p);   /* (its counters have cache lines of their own) */
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    threads = threads < 1 ? bp_cpu_count() : threads > POOL_MAX ? POOL_MAX : threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->idle, NULL);
    fegetenv(&p->env);
    for (int t = 0; t < threads - 1; t++) {
        p->self[t].p = p, p->self[t].self = t + 1;
        if (pthread_create(&p->tid[t], NULL, worker, &p->self[t]) != 0)
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
    close_run(p, atomic_load(&p->gen));
    atomic_store(&p->quit, 1);
    start_run(p, 0, NULL, NULL);   /* a last generation: the workers see quit and leave */
    for (int t = 0; t < p->nworkers; t++)
        pthread_join(p->tid[t], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->mu);
    free(p->taken);
    free(p);
}
