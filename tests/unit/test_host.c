/* test_host: the CLI's host (compiler/jit/host.c), which allocates the io
 * struct and every tensor of a JIT-compiled model from its reflection table
 * for bpc run, train, bench, gradcheck and the REPL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bpc.h"
#include "host.h"

/* a param big enough that glibc's calloc maps it (16 bytes past a page), small ones of every role */
static const char model[] =
    "dim N, D = 300, C = 3\n"
    "input x[N, D]\n"
    "input y[N] : int\n"
    "param W[D, D] ~ he\n"
    "param V[D, C]\n"
    "param b[C]\n"
    "scores = relu(x @ W) @ V + b\n"
    "loss = cross_entropy(scores, y) + 1e-4 * sum(W * W)\n"
    "output scores\n"
    "optimize loss with adam(lr = 0.01)\n";

/* Every tensor the host allocates starts on a 64-byte boundary (a cache line, an
 * AVX-512 vector) and reads as zeros. Failed before: calloc gave 16 mod 64. */
static void test_tensors_aligned_and_zeroed(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(model, strlen(model), "host.bp", NULL);
    assert_true(bpc_ok(m));
    char err[256];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    assert_non_null(j);
    Host h;
    const int64_t dims[] = { 5 };
    assert_int_equal(host_open(&h, bpc_jit_entry(j), dims, 1, err, sizeof err), 0);
    int tensors = 0;
    for (int i = 0; i < h.n; i++) {
        const HostTensor *t = &h.t[i];
        if (!t->data)
            continue;
        tensors++;
        assert_int_equal((uintptr_t)t->data % 64, 0);
        for (int64_t k = 0; k < t->numel; k++)
            assert_true(host_get(t, k) == 0);
    }
    assert_true(tensors >= 10);   /* x, y, W, V, b, scores, loss, 3 grads, adam's m and v */
    host_close(&h);
    bpc_jit_free(j);
    bpc_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensors_aligned_and_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
