/* test_rt_conv: the runtime's conv and pool kernels (bp_kernels.inc) against
 * plain double-precision references, in float and double, each buffer
 * allocated to its exact size (ASan sees a stray element):
 *   im2col, col2im   every stride / pad / kernel mix of a small grid, which
 *                    covers the stride-1 "same" shifted run (im2col_run,
 *                    col2im_run) with pads wider than the image and kernels
 *                    larger than the stride;
 *   maxpool_grad     2x2 (even and odd images, ties and zeros: the first
 *                    maximum in row-major order) and the general window;
 *   sum_mid          the sum around a kept run, runs of 1 to 40.         */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "bp_runtime.h"

static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* x[c][ih][iw] of the padded image, 0 outside */
static double at(const double *x, int64_t H, int64_t W, int64_t c, int64_t ih, int64_t iw)
{
    return ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : x[(c * H + ih) * W + iw];
}

typedef struct conv { int64_t C, H, W, K, S, P; } conv;

/* im2col and col2im of one shape in float (f64 = 0) or double against the references */
static void check_conv(conv g, int f64, uint64_t *seed)
{
    const int64_t OH = (g.H + 2 * g.P - g.K) / g.S + 1, OW = (g.W + 2 * g.P - g.K) / g.S + 1;
    const int64_t nx = g.C * g.H * g.W, ncol = g.C * g.K * g.K * OH * OW;
    double *x = malloc(nx * sizeof *x), *col = malloc(ncol * sizeof *col), *back = calloc(nx, sizeof *back);
    void *xs = malloc(nx * 8), *cs = malloc(ncol * 8), *bs = malloc(nx * 8);
    for (int64_t i = 0; i < nx; i++)
        x[i] = frand(seed);
    for (int64_t i = 0; i < ncol; i++)
        col[i] = frand(seed);
    for (int64_t i = 0; i < nx; i++) {
        if (f64)
            ((double *)xs)[i] = x[i], ((double *)bs)[i] = 0;
        else
            ((float *)xs)[i] = (float)x[i], ((float *)bs)[i] = 0;
    }
    if (f64)
        bp_d_im2col(g.C, g.H, g.W, g.K, g.K, g.S, g.P, OH, OW, xs, cs);
    else
        bp_s_im2col(g.C, g.H, g.W, g.K, g.K, g.S, g.P, OH, OW, xs, cs);
    for (int64_t c = 0; c < g.C; c++)
        for (int64_t i = 0; i < g.K; i++)
            for (int64_t j = 0; j < g.K; j++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++) {
                        const int64_t r = (((c * g.K + i) * g.K + j) * OH + oh) * OW + ow;
                        const double want = at(x, g.H, g.W, c, oh * g.S - g.P + i, ow * g.S - g.P + j);
                        const double got = f64 ? ((double *)cs)[r] : ((float *)cs)[r];
                        if (fabs(got - want) > 1e-6) {
                            print_error("im2col C%lld H%lld W%lld K%lld S%lld P%lld f64 %d: col[%lld] %g != %g\n",
                                        (long long)g.C, (long long)g.H, (long long)g.W, (long long)g.K, (long long)g.S,
                                        (long long)g.P, f64, (long long)r, got, want);
                            fail();
                        }
                    }
    /* col2im: the adjoint, from a random col (scratch: it may be changed) */
    for (int64_t c = 0; c < g.C; c++)
        for (int64_t i = 0; i < g.K; i++)
            for (int64_t j = 0; j < g.K; j++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++) {
                        const int64_t ih = oh * g.S - g.P + i, iw = ow * g.S - g.P + j;
                        if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
                            back[(c * g.H + ih) * g.W + iw] += col[(((c * g.K + i) * g.K + j) * OH + oh) * OW + ow];
                    }
    for (int64_t i = 0; i < ncol; i++) {
        if (f64)
            ((double *)cs)[i] = col[i];
        else
            ((float *)cs)[i] = (float)col[i];
    }
    if (f64)
        bp_d_col2im(g.C, g.H, g.W, g.K, g.K, g.S, g.P, OH, OW, cs, bs);
    else
        bp_s_col2im(g.C, g.H, g.W, g.K, g.K, g.S, g.P, OH, OW, cs, bs);
    for (int64_t i = 0; i < nx; i++) {
        const double got = f64 ? ((double *)bs)[i] : ((float *)bs)[i];
        if (fabs(got - back[i]) > 1e-4) {
            print_error("col2im C%lld H%lld W%lld K%lld S%lld P%lld f64 %d: x[%lld] %g != %g\n", (long long)g.C,
                        (long long)g.H, (long long)g.W, (long long)g.K, (long long)g.S, (long long)g.P, f64,
                        (long long)i, got, back[i]);
            fail();
        }
    }
    free(x), free(col), free(back), free(xs), free(cs), free(bs);
}

static void test_im2col_col2im(void **state)
{
    (void)state;
    uint64_t seed = 7;
    int n = 0;
    for (int64_t H = 1; H <= 7; H += 2)
        for (int64_t W = 1; W <= 9; W += 4)
            for (int64_t K = 1; K <= 5; K++)
                for (int64_t S = 1; S <= 3; S++)
                    for (int64_t P = 0; P <= 3; P++) {
                        if (K > H + 2 * P || K > W + 2 * P)
                            continue;
                        for (int f64 = 0; f64 < 2; f64++)
                            check_conv((conv){ 2, H, W, K, S, P }, f64, &seed), n++;
                    }
    check_conv((conv){ 16, 14, 14, 3, 1, 1 }, 0, &seed);   /* the convnet's second conv */
    check_conv((conv){ 1, 28, 28, 3, 1, 1 }, 1, &seed);
    assert_true(n > 300);
}

/* maxpool_grad of planes x H x W with window k, stride S, from x with ties (values in {-1, 0, .., 3}) */
static void check_pool(int64_t planes, int64_t H, int64_t W, int64_t k, int64_t S, int f64, uint64_t *seed)
{
    const int64_t OH = (H - k) / S + 1, OW = (W - k) / S + 1, nx = planes * H * W, ny = planes * OH * OW;
    double *want = calloc(nx, sizeof *want), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    void *xs = malloc(nx * 8), *dys = malloc(ny * 8), *dxs = malloc(nx * 8);
    for (int64_t i = 0; i < nx; i++) {
        x[i] = floor(frand(seed) * 2.5 + 1);
        if (f64)
            ((double *)xs)[i] = x[i], ((double *)dxs)[i] = NAN;
        else
            ((float *)xs)[i] = (float)x[i], ((float *)dxs)[i] = NAN;
    }
    for (int64_t i = 0; i < ny; i++) {
        dy[i] = frand(seed);
        if (f64)
            ((double *)dys)[i] = dy[i];
        else
            ((float *)dys)[i] = (float)dy[i];
    }
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t best = (p * H + oh * S) * W + ow * S;
                for (int64_t i = 0; i < k; i++)
                    for (int64_t j = 0; j < k; j++) {
                        const int64_t q = (p * H + oh * S + i) * W + ow * S + j;
                        if (x[q] > x[best])
                            best = q;
                    }
                want[best] += dy[(p * OH + oh) * OW + ow];
            }
    if (f64)
        bp_d_maxpool_grad(planes, H, W, k, S, xs, dys, dxs);
    else
        bp_s_maxpool_grad(planes, H, W, k, S, xs, dys, dxs);
    for (int64_t i = 0; i < nx; i++) {
        const double got = f64 ? ((double *)dxs)[i] : ((float *)dxs)[i];
        if (!(fabs(got - want[i]) <= 1e-5)) {
            print_error("maxpool_grad %lldx%lld k%lld S%lld f64 %d: dx[%lld] %g != %g\n", (long long)H, (long long)W,
                        (long long)k, (long long)S, f64, (long long)i, got, want[i]);
            fail();
        }
    }
    free(want), free(x), free(dy), free(xs), free(dys), free(dxs);
}

static void test_maxpool_grad(void **state)
{
    (void)state;
    uint64_t seed = 11;
    for (int f64 = 0; f64 < 2; f64++) {
        check_pool(3, 4, 4, 2, 2, f64, &seed);
        check_pool(3, 7, 9, 2, 2, f64, &seed);
        check_pool(2, 28, 28, 2, 2, f64, &seed);
        check_pool(2, 2, 3, 2, 2, f64, &seed);
        check_pool(3, 7, 9, 3, 1, f64, &seed);
        check_pool(3, 7, 9, 2, 1, f64, &seed);
        check_pool(1, 5, 5, 3, 2, f64, &seed);
    }
}

static void test_sum_mid(void **state)
{
    (void)state;
    uint64_t seed = 5;
    for (int64_t A = 1; A <= 3; A++)
        for (int64_t B = 1; B <= 4; B++)
            for (int64_t C = 1; C <= 40; C += 3) {
                const int64_t n = A * B * C;
                float *xs = malloc(n * sizeof *xs), *out = malloc(B * sizeof *out);
                double *xd = malloc(n * sizeof *xd), *outd = malloc(B * sizeof *outd);
                for (int64_t i = 0; i < n; i++)
                    xd[i] = frand(&seed), xs[i] = (float)xd[i];
                bp_s_sum_mid(A, B, C, xs, out);
                bp_d_sum_mid(A, B, C, xd, outd);
                for (int64_t b = 0; b < B; b++) {
                    double want = 0;
                    for (int64_t a = 0; a < A; a++)
                        for (int64_t c = 0; c < C; c++)
                            want += xd[(a * B + b) * C + c];
                    assert_true(fabs(out[b] - want) < 1e-4);
                    assert_true(fabs(outd[b] - want) < 1e-12);
                }
                free(xs), free(out), free(xd), free(outd);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_im2col_col2im),
        cmocka_unit_test(test_maxpool_grad),
        cmocka_unit_test(test_sum_mid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
