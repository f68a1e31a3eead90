/* baseline_blas: a hand-written training step over OpenBLAS for an MLP of
 * relu layers with softmax cross-entropy, the same L2 term as examples/mlp.bp
 * (1e-4 Σ W² over the weights) and SGD (lr 0.1) — written the way a competent
 * engineer writes it by hand: cblas_sgemm for the products, plain loops for
 * the rest (cblas_sdot for the L2 sum; its gradient folded into the update;
 * no other fusion).
 *
 * usage: baseline_blas BATCH D H... C [--budget SEC] [--check K]
 *        baseline_blas --info            the OpenBLAS core and configuration
 *   Prints "forward_ms <median>" and "step_ms <median>", timed like
 *   aot_driver.c (median over samples of >= 2 ms of consecutive calls).
 *   --check K: the deterministic params and data of aot_driver.c, K steps,
 *   "losses l1 ... lK". */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_timing.h"

char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);

enum { MAXL = 8 };
static int L, dims[MAXL + 1], B;
static float *W[MAXL], *b[MAXL], *dW[MAXL], *db[MAXL], *act[MAXL + 1], *dact[MAXL + 1];
static float *x;
static int *y;
static const float lr = 0.1f, reg = 1e-4f;

/* the values of aot_driver.c's --check */
static uint32_t bench_hash(uint64_t which, uint64_t k)
{
    return (uint32_t)(((k * 2654435761u + which * 40503u + 12345u) & 0xffffffffu) >> 8);
}
static float bench_fill(uint64_t which, uint64_t k, float scale)
{
    return ((float)bench_hash(which, k) / 16777216.0f - 0.5f) * scale;
}


static float *alloc(size_t n)
{
    float *p = bench_alloc(n * sizeof(float));
    if (!p)
        fprintf(stderr, "baseline_blas: out of memory\n"), exit(1);
    return p;
}

/* Forward: act[l+1] = relu(act[l] W[l] + b[l]) (the last layer linear), then
 * the softmax cross-entropy, its gradient into dact[L], and the L2 term. */
static float forward(void)
{
    act[0] = x;
    for (int l = 0; l < L; l++) {
        int m = dims[l], n = dims[l + 1];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n, m, 1, act[l], m, W[l], n, 0, act[l + 1], n);
        float *a = act[l + 1];
        if (l + 1 < L) {
            for (int i = 0; i < B; i++)
                for (int j = 0; j < n; j++) {
                    float v = a[i * n + j] + b[l][j];
                    a[i * n + j] = v > 0 ? v : 0;
                }
        } else {
            for (int i = 0; i < B; i++)
                for (int j = 0; j < n; j++)
                    a[i * n + j] += b[l][j];
        }
    }
    int C = dims[L];
    float loss = 0, *s = act[L], *ds = dact[L];
    for (int i = 0; i < B; i++) {
        float mx = s[i * C];
        for (int j = 1; j < C; j++)
            mx = fmaxf(mx, s[i * C + j]);
        float sum = 0;
        for (int j = 0; j < C; j++)
            sum += ds[i * C + j] = expf(s[i * C + j] - mx);
        loss += logf(sum) + mx - s[i * C + y[i]];
        float inv = 1.0f / (sum * B);
        for (int j = 0; j < C; j++)
            ds[i * C + j] *= inv;
        ds[i * C + y[i]] -= 1.0f / B;
    }
    loss /= B;
    for (int l = 0; l < L; l++)   /* the L2 term: a BLAS dot, not a serial scalar sum */
        loss += reg * cblas_sdot(dims[l] * dims[l + 1], W[l], 1, W[l], 1);
    return loss;
}

static float step(void)
{
    float loss = forward();
    for (int l = L - 1; l >= 0; l--) {
        int m = dims[l], n = dims[l + 1];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, B, 1, act[l], m, dact[l + 1], n, 0, dW[l], n);
        memset(db[l], 0, sizeof(float) * (size_t)n);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < n; j++)
                db[l][j] += dact[l + 1][i * n + j];
        if (l > 0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, m, n, 1, dact[l + 1], n, W[l], n, 0, dact[l], m);
            for (int k = 0; k < B * m; k++)
                if (act[l][k] <= 0)
                    dact[l][k] = 0;
        }
    }
    for (int l = 0; l < L; l++) {   /* SGD, with the L2 gradient 2·reg·W folded in */
        int n = dims[l] * dims[l + 1];
        for (int k = 0; k < n; k++)
            W[l][k] -= lr * (dW[l][k] + 2 * reg * W[l][k]);
        for (int j = 0; j < dims[l + 1]; j++)
            b[l][j] -= lr * db[l][j];
    }
    return loss;
}

static volatile float sink;
static void call_forward(void) { sink = forward(); }
static void call_step(void) { sink = step(); }



int main(int argc, char **argv)
{
    double budget = 0.3;
    int check = 0, nd = 0, sz[MAXL + 3];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--info") == 0) {
            printf("openblas_core %s\nopenblas_config %s\n", openblas_get_corename(), openblas_get_config());
            return 0;
        } else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
            budget = atof(argv[++i]);
        else if (strcmp(argv[i], "--check") == 0 && i + 1 < argc)
            check = atoi(argv[++i]);
        else if (argv[i][0] != '-' && nd < MAXL + 3)
            sz[nd++] = atoi(argv[i]);
        else
            nd = -100;
    }
    if (nd < 4) {
        fprintf(stderr, "usage: baseline_blas BATCH D H... C [--budget SEC] [--check K] | --info\n");
        return 2;
    }
    B = sz[0];
    L = nd - 2;
    for (int i = 0; i <= L; i++)
        dims[i] = sz[1 + i];
    for (int i = 0; i <= L; i++)
        if (dims[i] < 1 || B < 1)
            return fprintf(stderr, "baseline_blas: sizes must be positive\n"), 2;

    x = alloc((size_t)B * dims[0]);
    y = calloc((size_t)B, sizeof(int));
    srand(1);
    for (int k = 0; k < B * dims[0]; k++)
        x[k] = check ? bench_fill(100, (uint64_t)k, 1.0f) : (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < B; i++)
        y[i] = check ? (int)(bench_hash(101, (uint64_t)i) % (uint32_t)dims[L]) : rand() % dims[L];
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)dims[l] * dims[l + 1];
        W[l] = alloc(n);
        dW[l] = alloc(n);
        b[l] = alloc((size_t)dims[l + 1]);
        db[l] = alloc((size_t)dims[l + 1]);
        act[l + 1] = alloc((size_t)B * dims[l + 1]);
        dact[l + 1] = alloc((size_t)B * dims[l + 1]);
        for (size_t k = 0; k < n; k++)   /* he: normal(0, sqrt(2 / fan_in)), approximated by a uniform */
            W[l][k] = check ? bench_fill(2 * (uint64_t)l, k, 0.125f)
                            : ((float)rand() / RAND_MAX - 0.5f) * sqrtf(24.0f / dims[l]);
        if (check)
            for (int j = 0; j < dims[l + 1]; j++)
                b[l][j] = bench_fill(2 * (uint64_t)l + 1, (uint64_t)j, 0.125f);
    }
    if (check) {
        printf("losses");
        for (int s = 0; s < check; s++)
            printf(" %.7g", step());
        printf("\n");
        return 0;
    }
    printf("forward_ms %.5f\n", bench_median_ms(call_forward, budget));
    printf("step_ms %.5f\n", bench_median_ms(call_step, budget));
    return 0;
}
