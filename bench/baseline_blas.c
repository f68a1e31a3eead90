/* baseline_blas: a hand-written training step over OpenBLAS, for an MLP of
 * relu layers with softmax cross-entropy, the same L2 term as
 * examples/mlp.bp (1e-4 Σ W²) and SGD — written the way a competent engineer
 * writes it by hand: cblas_sgemm for the products, plain loops for the rest.
 *   usage: baseline_blas BATCH REPS D H1 [H2 ...] C   → "median_ms <value>" */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAXL = 8 };
static int L, dims[MAXL + 1], B;
static float *W[MAXL], *b[MAXL], *dW[MAXL], *db[MAXL], *act[MAXL + 1], *dact[MAXL + 1];
static float *x;
static int *y;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *alloc(size_t n) { return calloc(n, sizeof(float)); }

static float step(float lr, float reg)
{
    act[0] = x;
    for (int l = 0; l < L; l++) {   /* forward: act[l+1] = relu(act[l] W + b), last layer linear */
        int m = dims[l], n = dims[l + 1];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n, m, 1, act[l], m, W[l], n, 0, act[l + 1], n);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < n; j++) {
                float v = act[l + 1][i * n + j] + b[l][j];
                act[l + 1][i * n + j] = l + 1 < L && v < 0 ? 0 : v;
            }
    }
    int C = dims[L];
    float loss = 0, *s = act[L], *ds = dact[L];
    for (int i = 0; i < B; i++) {   /* softmax cross-entropy and its gradient */
        float mx = s[i * C];
        for (int j = 1; j < C; j++)
            mx = fmaxf(mx, s[i * C + j]);
        float sum = 0;
        for (int j = 0; j < C; j++)
            sum += ds[i * C + j] = expf(s[i * C + j] - mx);
        loss += logf(sum) + mx - s[i * C + y[i]];
        for (int j = 0; j < C; j++)
            ds[i * C + j] /= sum * B;
        ds[i * C + y[i]] -= 1.0f / B;
    }
    loss /= B;
    for (int l = L - 1; l >= 0; l--) {   /* backward */
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
    for (int l = 0; l < L; l++) {   /* L2 and the SGD update */
        int n = dims[l] * dims[l + 1];
        for (int k = 0; k < n; k++) {
            loss += reg * W[l][k] * W[l][k];
            W[l][k] -= lr * (dW[l][k] + 2 * reg * W[l][k]);
        }
        for (int j = 0; j < dims[l + 1]; j++)
            b[l][j] -= lr * db[l][j];
    }
    return loss;
}

static int cmp(const void *a, const void *c)
{
    double p = *(const double *)a, q = *(const double *)c;
    return (p > q) - (p < q);
}

int main(int argc, char **argv)
{
    if (argc < 6)
        return fprintf(stderr, "usage: baseline_blas BATCH REPS D H... C\n"), 2;
    B = atoi(argv[1]);
    int reps = atoi(argv[2]);
    L = argc - 4;
    for (int i = 0; i <= L; i++)
        dims[i] = atoi(argv[3 + i]);
    srand(1);
    x = alloc((size_t)B * dims[0]);
    y = calloc((size_t)B, sizeof(int));
    for (int k = 0; k < B * dims[0]; k++)
        x[k] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < B; i++)
        y[i] = rand() % dims[L];
    for (int l = 0; l < L; l++) {
        W[l] = alloc((size_t)dims[l] * dims[l + 1]);
        dW[l] = alloc((size_t)dims[l] * dims[l + 1]);
        b[l] = alloc((size_t)dims[l + 1]);
        db[l] = alloc((size_t)dims[l + 1]);
        act[l + 1] = alloc((size_t)B * dims[l + 1]);
        dact[l + 1] = alloc((size_t)B * dims[l + 1]);
        for (int k = 0; k < dims[l] * dims[l + 1]; k++)
            W[l][k] = ((float)rand() / RAND_MAX - 0.5f) * sqrtf(6.0f / dims[l]);
    }
    for (int i = 0; i < 5; i++)
        step(0.1f, 1e-4f);
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        step(0.1f, 1e-4f);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    printf("median_ms %.5f\n", 1e3 * t[reps / 2]);
    return 0;
}
