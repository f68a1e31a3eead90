/* test_rt_pool: the runtime's pthread pool (runtime/pool.c), the bp_parallel
 * hook bpc train/bench/run give generated models: every task of every run
 * runs exactly once and before run returns, runs follow each other at once
 * (the straggler of a run never takes a task of the next), a pool of one
 * thread runs serially, NULL is harmless, and the workers compute in the
 * creator's floating-point mode (bp_flush_denormals: bpc train and bench). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <time.h>
#include "bp_runtime.h"

enum { MAXN = 64 };

typedef struct Run {
    int id;                 /* the run: a task of another one would see a wrong id */
    atomic_int count[MAXN];
    atomic_int wrong;
    atomic_int started1;    /* slow_task: task 1 has begun */
} Run;

static void task(void *arg, int i)
{
    Run *r = arg;
    int id = r->id;
    if (i < 0 || i >= MAXN)
        atomic_fetch_add(&r->wrong, 1);
    else
        atomic_fetch_add(&r->count[i], 1);
    for (volatile int k = 0; k < (i % 7) * 50; k++)   /* uneven tasks */
        ;
    if (r->id != id)
        atomic_fetch_add(&r->wrong, 1);
}

/* Many runs of n tasks one after another, each checked when run returns. */
static void runs(const bp_parallel *par, int nruns)
{
    static Run r;
    for (int t = 0; t < nruns; t++) {
        int n = t % MAXN;   /* 0 and 1 tasks too */
        memset(&r, 0, sizeof r);
        r.id = t;
        par->run(par->ctx, n, task, &r);
        assert_int_equal(atomic_load(&r.wrong), 0);
        for (int i = 0; i < MAXN; i++)
            assert_int_equal(atomic_load(&r.count[i]), i < n ? 1 : 0);
    }
}

static void test_pool_runs(void **state)
{
    (void)state;
    for (int threads = 2; threads <= 4; threads++) {
        bp_pool *p = bp_pool_new(threads);
        assert_non_null(p);
        const bp_parallel *par = bp_pool_hook(p);
        assert_non_null(par);
        assert_int_equal(par->threads, bp_pool_threads(p));
        assert_true(par->threads >= 1 && par->threads <= threads);
        runs(par, 3000);
        bp_pool_free(p);
    }
}

static void test_pool_serial_and_null(void **state)
{
    (void)state;
    bp_pool *p = bp_pool_new(1);
    assert_non_null(p);
    assert_int_equal(bp_pool_threads(p), 1);
    assert_int_equal(bp_pool_hook(p)->threads, 1);
    runs(bp_pool_hook(p), 200);
    bp_pool_free(p);
    p = bp_pool_new(0);   /* one per core */
    assert_non_null(p);
    assert_int_equal(bp_pool_threads(p), bp_cpu_count());
    runs(bp_pool_hook(p), 200);
    bp_pool_free(p);
    assert_null(bp_pool_hook(NULL));
    assert_int_equal(bp_pool_threads(NULL), 1);
    bp_pool_free(NULL);
    assert_true(bp_cpu_count() >= 1);
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Task 1 of a Run holds its thread for about 5 ms, the others are short; task 0, the
 * calling thread's first, waits until task 1 has begun, so a worker has task 1 and the
 * caller then waits for it. */
static void slow_task(void *arg, int i)
{
    Run *r = arg;
    if (i == 1) {
        atomic_store(&r->started1, 1);
        sleep_ms(5);
    }
    while (i == 0 && !atomic_load(&r->started1))
        ;
    task(arg, i);
}

/* The pool's slow paths: each run starts after a pause in which the workers have gone to
 * sleep (they spin only briefly), and its task 1 outlasts the caller's spinning, so the
 * caller sleeps until the last task is done; and a pool freed while its workers sleep. */
static void test_pool_sleeps(void **state)
{
    (void)state;
    static Run r;
    for (int threads = 2; threads <= 3; threads++) {
        bp_pool *p = bp_pool_new(threads);
        assert_non_null(p);
        const bp_parallel *par = bp_pool_hook(p);
        for (int t = 0; t < 12; t++) {
            const int n = 2 + t % 5;
            sleep_ms(t % 3 == 0 ? 0 : 20);
            memset(&r, 0, sizeof r);
            r.id = t;
            par->run(par->ctx, n, t % 2 ? slow_task : task, &r);
            assert_int_equal(atomic_load(&r.wrong), 0);
            for (int i = 0; i < MAXN; i++)
                assert_int_equal(atomic_load(&r.count[i]), i < n ? 1 : 0);
        }
        sleep_ms(20);
        bp_pool_free(p);
    }
}

/* A pool freed at once, and one freed right after a run. */
static void test_pool_free(void **state)
{
    (void)state;
    for (int k = 0; k < 20; k++) {
        bp_pool *p = bp_pool_new(3);
        assert_non_null(p);
        if (k % 2)
            runs(bp_pool_hook(p), 5);
        bp_pool_free(p);
    }
}

/* Each task: a product whose exact value is a denormal, and whether it ran
 * on the thread that called run. */
typedef struct Tiny {
    pthread_t caller;
    float product[8];
    int on_worker[8];
} Tiny;
static void tiny_task(void *arg, int i)
{
    Tiny *t = arg;
    volatile float a = 1e-20f, b = 1e-20f;   /* 1e-40: below FLT_MIN, a denormal */
    t->product[i] = a * b;
    t->on_worker[i] = !pthread_equal(pthread_self(), t->caller);
    for (volatile int k = 0; k < 20000; k++)   /* long enough for a worker to take the others */
        ;
}
/* The product of the first run in which a worker took a task (-1: none did). */
static float worker_product(const bp_parallel *par)
{
    for (int run = 0; run < 1000; run++) {
        Tiny t = { .caller = pthread_self() };
        par->run(par->ctx, 8, tiny_task, &t);
        for (int i = 0; i < 8; i++)
            if (t.on_worker[i])
                return t.product[i];
    }
    return -1;
}

/* A pool made after bp_flush_denormals(1) flushes in its workers too; one made
 * after bp_flush_denormals(0) keeps denormals: a split step computes the same
 * on every thread. (Linux threads inherit the mode when created; the pool also
 * sets it itself, for threads that do not.) */
static void test_pool_takes_flush_mode(void **state)
{
    (void)state;
    volatile float a = 1e-20f, b = 1e-20f;
    if (bp_flush_denormals(1) != 0)
        skip();   /* a CPU without the mode */
    assert_true(a * b == 0.0f);
    bp_pool *p = bp_pool_new(3);
    assert_non_null(p);
    assert_true(worker_product(bp_pool_hook(p)) == 0.0f);
    bp_pool_free(p);
    assert_int_equal(bp_flush_denormals(0), 0);
    assert_true(a * b > 0.0f);
    p = bp_pool_new(3);
    assert_non_null(p);
    const float kept = worker_product(bp_pool_hook(p));
    assert_true(kept > 0.0f && kept < 1.2e-38f);
    bp_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs),
        cmocka_unit_test(test_pool_serial_and_null),
        cmocka_unit_test(test_pool_free),
        cmocka_unit_test(test_pool_sleeps),
        cmocka_unit_test(test_pool_takes_flush_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
