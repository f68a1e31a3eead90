/* harness: two generated copies of examples/mlp.bp linked into one program —
 * `fused` (default) and `plain` (-O0) — must agree; every entry point checks
 * its arguments before writing anything; step = grad + update; the reflection table describes the
 * struct exactly. Built against the generated headers only. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fused.h"
#include "plain.h"

enum { N = 5, D = 784, H = 256, C = 10 };
static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static float x[N * D], W1[2][D * H], b1[2][H], W2[2][H * C], b2[2][C], scores[2][N * C], loss[2];
static float gW1[2][D * H], gb1[2][H], gW2[2][H * C], gb2[2][C];
static int32_t y[N];

static double max_rel(const float *a, const float *b, int n)
{
    double worst = 0, scale = 1e-6;
    for (int i = 0; i < n; i++)
        scale = fmax(scale, fabs(a[i]));
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / scale);
    return worst;
}

static void check_reflection(void)
{
    CHECK(fused_num_tensors == 13);
    CHECK(strcmp(fused_tensors[0].name, "N") == 0 && fused_tensors[0].role == BP_DIM && fused_tensors[0].dtype == BP_I64);
    CHECK(fused_tensors[0].offset == offsetof(fused_io, N));
    CHECK(strcmp(fused_tensors[1].name, "x") == 0 && fused_tensors[1].dims[0] == -1 && fused_tensors[1].dims[1] == D);
    CHECK(fused_tensors[1].offset == offsetof(fused_io, x) && fused_tensors[1].role == BP_INPUT);
    CHECK(fused_tensors[2].dtype == BP_I32 && fused_tensors[2].offset == offsetof(fused_io, y));
    CHECK(fused_tensors[3].role == BP_PARAM && fused_tensors[3].offset == offsetof(fused_io, W1));
    CHECK(fused_tensors[7].role == BP_OUTPUT && fused_tensors[7].offset == offsetof(fused_io, scores));
    CHECK(fused_tensors[8].role == BP_TARGET && fused_tensors[8].rank == 0);
    CHECK(fused_tensors[9].role == BP_GRAD && strcmp(fused_tensors[9].of, "W1") == 0);
    CHECK(fused_tensors[9].offset == offsetof(fused_io, W1_grad));
    for (int i = 0; i < fused_num_tensors; i++)
        CHECK(strcmp(fused_tensors[i].name, plain_tensors[i].name) == 0 && fused_tensors[i].offset == plain_tensors[i].offset);
}

/* _predict gives forward's outputs bit for bit, needs neither labels nor the
 * loss nor the gradients, and writes neither. */
static void check_predict(const fused_io *f, const plain_io *p, void *wf, void *wp)
{
    static float want[N * C];
    CHECK(fused_forward(f, wf) == BP_OK);
    memcpy(want, f->scores, sizeof want);
    fused_io in = { N, x, NULL, f->W1, f->b1, f->W2, f->b2, f->scores, NULL, NULL, NULL, NULL, NULL, NULL };
    memset(f->scores, 0, sizeof want);
    float keep = *f->loss;
    CHECK(fused_predict(&in, wf) == BP_OK);
    CHECK(memcmp(want, f->scores, sizeof want) == 0 && *f->loss == keep);
    plain_io pin = { N, x, NULL, p->W1, p->b1, p->W2, p->b2, p->scores, NULL, NULL, NULL, NULL, NULL, NULL };
    CHECK(plain_predict(&pin, wp) == BP_OK && max_rel(want, p->scores, N * C) < 1e-5);
    /* _evaluate: forward's outputs and loss bit for bit (no mode ops here),
     * needing no gradient buffers; without the labels it is BP_ENULL */
    float want_loss = *f->loss;
    fused_io ev = { N, x, f->y, f->W1, f->b1, f->W2, f->b2, f->scores, f->loss, NULL, NULL, NULL, NULL, NULL };
    memset(f->scores, 0, sizeof want);
    *f->loss = 0;
    CHECK(fused_evaluate(&ev, wf) == BP_OK);
    CHECK(memcmp(want, f->scores, sizeof want) == 0 && *f->loss == want_loss);
    ev.y = NULL;
    CHECK(fused_evaluate(&ev, wf) == BP_ENULL);
    in.W1 = NULL;
    CHECK(fused_predict(&in, wf) == BP_ENULL && fused_predict(NULL, wf) == BP_ENULL);
    in.W1 = f->W1;
    in.N = 0;
    CHECK(fused_predict(&in, wf) == BP_EDIM);
}

static void fill(float *p, int n, float v)
{
    for (int i = 0; i < n; i++)
        p[i] = v;
}

static void sentinel_grads(int k)
{
    fill(gW1[k], D * H, 42), fill(gb1[k], H, 42), fill(gW2[k], H * C, 42), fill(gb2[k], C, 42);
}

static int grads_untouched(int k)
{
    int ok = 1;
    for (int i = 0; i < D * H; i++)
        ok &= gW1[k][i] == 42;
    for (int i = 0; i < H * C; i++)
        ok &= gW2[k][i] == 42;
    for (int i = 0; i < H; i++)
        ok &= gb1[k][i] == 42;
    for (int i = 0; i < C; i++)
        ok &= gb2[k][i] == 42;
    return ok;
}

/* A forward with valid labels, then a label that is out of range (just past
 * the row, far past it, negative): fused_backward and plain_backward return
 * BP_ELABEL and leave every gradient untouched; so do bad dims and NULLs. */
static void backward_checks_labels(void)
{
    static const int32_t bad_labels[] = { C, 1000000, -1, INT32_MAX, INT32_MIN };
    for (int i = 0; i < N; i++)
        y[i] = (i * 3) % C;
    fused_io f = { N, x, y, W1[0], b1[0], W2[0], b2[0], scores[0], &loss[0], gW1[0], gb1[0], gW2[0], gb2[0], NULL };
    plain_io p = { N, x, y, W1[1], b1[1], W2[1], b2[1], scores[1], &loss[1], gW1[1], gb1[1], gW2[1], gb2[1], NULL };
    void *wf = calloc(1, fused_workspace_size(&f)), *wp = calloc(1, plain_workspace_size(&p));
    for (size_t b = 0; b < sizeof bad_labels / sizeof bad_labels[0]; b++) {
        y[N - 1] = 0;
        CHECK(fused_forward(&f, wf) == BP_OK && plain_forward(&p, wp) == BP_OK);
        sentinel_grads(0), sentinel_grads(1);
        y[N - 1] = bad_labels[b];
        CHECK(fused_backward(&f, wf) == BP_ELABEL);
        CHECK(plain_backward(&p, wp) == BP_ELABEL);
        CHECK(grads_untouched(0) && grads_untouched(1));
    }
    y[N - 1] = 0;
    fused_io bad = f;
    bad.N = 0;
    CHECK(fused_backward(&bad, wf) == BP_EDIM);
    bad = f;
    bad.y = NULL;
    CHECK(fused_backward(&bad, wf) == BP_ENULL);
    bad = f;
    bad.W1_grad = NULL;
    CHECK(fused_backward(&bad, wf) == BP_ENULL && fused_backward(&f, NULL) == BP_ENULL);
    CHECK(grads_untouched(0));
    CHECK(fused_backward(&f, wf) == BP_OK && !grads_untouched(0));
    free(wf);
    free(wp);
}

int main(void)
{
    check_reflection();
    for (int i = 0; i < N * D; i++)
        x[i] = (float)sin(0.37 * i);
    for (int i = 0; i < N; i++)
        y[i] = (i * 7) % C;
    fused_io f = { N, x, y, W1[0], b1[0], W2[0], b2[0], scores[0], &loss[0], gW1[0], gb1[0], gW2[0], gb2[0], NULL };
    plain_io p = { N, x, y, W1[1], b1[1], W2[1], b2[1], scores[1], &loss[1], gW1[1], gb1[1], gW2[1], gb2[1], NULL };
    fused_init(&f, 7);
    plain_init(&p, 7);
    CHECK(memcmp(W1[0], W1[1], sizeof W1[0]) == 0);
    void *wf = malloc(fused_workspace_size(&f)), *wp = malloc(plain_workspace_size(&p));
    CHECK(fused_workspace_size(&f) <= plain_workspace_size(&p));   /* sharing never costs memory */
    for (int s = 0; s < 3; s++) {
        CHECK(fused_step(&f, (char *)wf + 1) == BP_OK);             /* any alignment will do */
        if (s == 0)
            CHECK(plain_step(&p, wp) == BP_OK);
        else   /* step = grad + update; update needs no workspace */
            CHECK(plain_grad(&p, wp) == BP_OK && plain_update(&p, NULL) == BP_OK);
    }
    CHECK(fused_grad(&f, wf) == BP_OK && plain_grad(&p, wp) == BP_OK);
    CHECK(max_rel(scores[0], scores[1], N * C) < 1e-5);
    CHECK(fabs(loss[0] - loss[1]) < 1e-5 * fabs(loss[1]));
    CHECK(max_rel(gW1[0], gW1[1], D * H) < 1e-5 && max_rel(gb1[0], gb1[1], H) < 1e-5);
    CHECK(max_rel(gW2[0], gW2[1], H * C) < 1e-5 && max_rel(gb2[0], gb2[1], C) < 1e-5);
    CHECK(max_rel(W1[0], W1[1], D * H) < 1e-5);
    check_predict(&f, &p, wf, wp);

    /* errors come before any write: outputs keep a sentinel */
    for (int i = 0; i < N * C; i++)
        scores[0][i] = 42;
    fused_io bad = f;
    bad.N = 0;
    CHECK(fused_forward(&bad, wf) == BP_EDIM && fused_workspace_size(&bad) == 0);
    bad.N = -1;
    CHECK(fused_grad(&bad, wf) == BP_EDIM);
    bad.N = (int64_t)1 << 45;
    CHECK(fused_forward(&bad, wf) == BP_EDIM);
    bad = f;
    bad.W2 = NULL;
    CHECK(fused_forward(&bad, wf) == BP_ENULL);
    bad = f;
    bad.b1_grad = NULL;
    CHECK(fused_grad(&bad, wf) == BP_ENULL);
    CHECK(fused_forward(&f, NULL) == BP_ENULL && fused_forward(NULL, wf) == BP_ENULL);
    static float W1_before[D * H];   /* a failing update changes no param */
    memcpy(W1_before, W1[0], sizeof W1_before);
    bad = f;
    bad.b2_grad = NULL;
    CHECK(fused_update(&bad, wf) == BP_ENULL && fused_update(NULL, wf) == BP_ENULL);
    bad = f;
    bad.N = 0;
    CHECK(fused_update(&bad, wf) == BP_EDIM);
    CHECK(memcmp(W1_before, W1[0], sizeof W1_before) == 0);
    y[3] = C;
    CHECK(fused_forward(&f, wf) == BP_ELABEL);
    y[3] = -1;
    CHECK(fused_step(&f, wf) == BP_ELABEL);
    for (int i = 0; i < N * C; i++)
        CHECK(scores[0][i] == 42);

    /* backward after a valid forward checks the labels (and dims, NULLs)
     * itself, before writing any gradient, in both builds */
    backward_checks_labels();
    CHECK(strcmp(fused_strerror(BP_ELABEL), plain_strerror(BP_ELABEL)) == 0);
    free(wf);
    free(wp);
    printf("%s\n", failures ? "harness: FAILED" : "harness: ok");
    return failures != 0;
}
