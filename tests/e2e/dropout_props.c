/* dropout_props: dropout's properties on a generated model (tests/e2e/norm.sh)
 *   drop.bp:  dim N; input x[N, 64]; param w[64] ~ ones; h = dropout(x * w, P)
 *             loss = sum(h); output h; grad loss wrt x; compiled with --name drop
 * Checks, on N = 1000 (64000 elements): the fraction zeroed is within 0.01 of
 * p; a kept value is x scaled by exactly 1/(1-p); the gradient is the same
 * mask times the same scale; the same (seed, step) gives the same mask, another
 * step or seed another one; _predict is the identity. Prints "N passed, N failed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drop.h"

#ifndef P_DROP
#define P_DROP 0.3
#endif
enum { N = 1000, M = N * 64 };

static int pass, fail;

static void check(int ok, const char *what)
{
    if (ok)
        pass++;
    else
        fail++, printf("FAIL: %s\n", what);
}

static float x[M], w[64], h[M], loss, xg[M], h2[M];

/* elements of a and b where one is zero and the other is not */
static long mask_diff(const float *a, const float *b)
{
    long d = 0;
    for (long i = 0; i < M; i++)
        d += (a[i] == 0) != (b[i] == 0);
    return d;
}

int main(void)
{
    for (long i = 0; i < M; i++)
        x[i] = (float)(i % 13 + 1) * (i % 2 ? 0.25f : -0.5f);   /* never zero */
    for (int k = 0; k < 64; k++)
        w[k] = 1;
    drop_io io = { .N = N, .x = x, .w = w, .h = h, .loss = &loss, .x_grad = xg, .seed = 42, .step = 7 };
    void *ws = malloc(drop_workspace_size(&io));
    const float scale = (float)(1 / (1 - P_DROP));
    check(ws && drop_grad(&io, ws) == BP_OK, "grad runs");
    long zeros = 0, exact = 0, gmatch = 0;
    for (long i = 0; i < M; i++) {
        zeros += h[i] == 0;
        exact += h[i] == 0 || h[i] == x[i] * scale;
        gmatch += xg[i] == (h[i] == 0 ? 0 : scale);
    }
    printf("fraction zeroed %.4f (p = %g)\n", (double)zeros / M, P_DROP);
    check(fabs((double)zeros / M - P_DROP) < 0.01, "the fraction zeroed is p within 0.01");
    check(exact == M, "kept values are x scaled by exactly 1/(1-p)");
    check(gmatch == M, "the gradient is forward's mask times 1/(1-p)");
    memcpy(h2, h, sizeof h);
    check(drop_forward(&io, ws) == BP_OK && memcmp(h, h2, sizeof h) == 0, "the same seed and step: the same values");
    io.step = 8;
    check(drop_forward(&io, ws) == BP_OK && mask_diff(h, h2) > M / 4, "another step: another mask");
    io.step = 7;
    io.seed = 43;
    check(drop_forward(&io, ws) == BP_OK && mask_diff(h, h2) > M / 4, "another seed: another mask");
    check(drop_predict(&io, ws) == BP_OK && memcmp(h, x, sizeof h) == 0, "predict is the identity");
    free(ws);
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}
