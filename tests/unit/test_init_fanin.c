/* test_init_fanin: `he` and `xavier` on a conv filter [F, C, KH, KW] use
 * fan-in C*KH*KW and fan-out F*KH*KW (SPEC §1, as PyTorch's init), and a
 * matrix [D, H] fan-in D, fan-out H, a stack of matrices [L, D, H] (a loop's
 * W[l]) those of each matrix: the sample std of each initialised
 * param matches its formula within 5%. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bpc.h"

static const char src[] =
    "dim N\n"
    "input x[N, 4, 6, 6]\n"
    "param w[32, 16, 3, 3] ~ he\n"
    "param v[8, 4, 5, 5] ~ xavier\n"
    "param m[200, 50] ~ he\n"
    "param k[100, 60] ~ xavier\n"
    "param s[4, 200, 50] ~ he\n"
    "param u[3, 100, 60] ~ xavier\n"
    "loss = sum(conv2d(x, v)) + sum(w) + sum(m) + sum(k) + sum(s) + sum(u)\n"
    "grad loss\n";

/* The sample standard deviation of p[0..n). */
static double sample_std(const float *p, int64_t n)
{
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++)
        s += p[i], s2 += (double)p[i] * p[i];
    return sqrt(s2 / (double)n - (s / (double)n) * (s / (double)n));
}

static void test_fan_in(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(src, strlen(src), "init.bp", NULL);
    assert_true(bpc_ok(m));
    char err[512];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    assert_non_null(j);
    const bpc_entry *e = bpc_jit_entry(j);
    unsigned char *io = calloc(1, e->io_size);
    void *bufs[32] = { 0 };
    int64_t counts[32] = { 0 };
    for (int i = 0; i < e->num_tensors && i < 32; i++) {
        const bp_tensor_info *t = &e->tensors[i];
        if (t->role == BP_DIM) {
            int64_t v = 2;
            memcpy(io + t->offset, &v, 8);
            continue;
        }
        counts[i] = 1;
        for (int k = 0; k < t->rank; k++)
            counts[i] *= t->dims[k] > 0 ? t->dims[k] : 2;
        bufs[i] = calloc((size_t)counts[i], sizeof(float));
        memcpy(io + t->offset, &bufs[i], sizeof(void *));
    }
    e->init(io, 7);
    static const struct { const char *name; double std; } want[] = {
        { "w", 0.11785113019775792 },   /* he: sqrt(2 / (16*3*3))                          */
        { "v", 0.08164965809277261 },   /* xavier: sqrt(2 / (4*5*5 + 8*5*5)) = sqrt(2/300)   */
        { "m", 0.1 },                   /* he: sqrt(2 / 200)                               */
        { "k", 0.11180339887498948 },   /* xavier: sqrt(2 / (100 + 60))                    */
        { "s", 0.1 },                   /* a stack of [200, 50] matrices (a loop's W[l])   */
        { "u", 0.11180339887498948 },   /* a stack of [100, 60] matrices                   */
    };
    for (size_t w = 0; w < sizeof want / sizeof *want; w++)
        for (int i = 0; i < e->num_tensors; i++)
            if (strcmp(e->tensors[i].name, want[w].name) == 0) {
                double s = sample_std(bufs[i], counts[i]);
                if (fabs(s / want[w].std - 1) > 0.05)
                    fail_msg("%s: std %g, expected %g", want[w].name, s, want[w].std);
            }
    for (int i = 0; i < 32; i++)
        free(bufs[i]);
    free(io);
    bpc_jit_free(j);
    bpc_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_fan_in) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
