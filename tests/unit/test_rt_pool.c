/* test_rt_pool: the runtime's pthread pool (runtime/pool.c), the bp_parallel
 * hook bpc train/bench/run give generated models: every task of every run
 * runs exactly once and before run returns, runs follow each other at once
 * (the straggler of a run never takes a task of the next), a pool of one
 * thread runs serially, and NULL is harmless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bp_runtime.h"

enum { MAXN = 64 };

typedef struct Run {
    int id;                 /* the run: a task of another one would see a wrong id */
    atomic_int count[MAXN];
    atomic_int wrong;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs),
        cmocka_unit_test(test_pool_serial_and_null),
        cmocka_unit_test(test_pool_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
