/* spiral: train the generated MLP (spiral.bp) on the classic 3-class spiral,
 * using nothing but the generated C and the C library. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "spiral_mlp.h"

enum { PER_CLASS = 100, CLASSES = 3, POINTS = PER_CLASS * CLASSES, D = 2, H = 64 };

/* A small seeded generator: the data set is the same on every run. */
static uint64_t state = 42;
static double uniform(void)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void) { return sqrt(-2 * log(1 - uniform())) * cos(6.283185307179586 * uniform()); }

static float x[POINTS * D], scores[POINTS * CLASSES], loss;
static int32_t y[POINTS];
static float W1[D * H], b1[H], W2[H * CLASSES], b2[CLASSES];
static float gW1[D * H], gb1[H], gW2[H * CLASSES], gb2[CLASSES];
static float mW1[D * H], mb1[H], mW2[H * CLASSES], mb2[CLASSES];   /* momentum state, zero-filled */

static void make_spiral(void)
{
    for (int c = 0; c < CLASSES; c++)
        for (int i = 0; i < PER_CLASS; i++) {
            double r = (double)i / PER_CLASS, t = c * 4 + 4 * r + 0.2 * gauss();
            int k = c * PER_CLASS + i;
            x[2 * k] = (float)(r * sin(t));
            x[2 * k + 1] = (float)(r * cos(t));
            y[k] = c;
        }
}

static double accuracy(void)
{
    int hits = 0;
    for (int k = 0; k < POINTS; k++) {
        int best = 0;
        for (int c = 1; c < CLASSES; c++)
            if (scores[k * CLASSES + c] > scores[k * CLASSES + best])
                best = c;
        hits += best == y[k];
    }
    return (double)hits / POINTS;
}

int main(void)
{
    make_spiral();
    spiral_mlp_io io = {
        .N = POINTS, .x = x, .y = y, .W1 = W1, .b1 = b1, .W2 = W2, .b2 = b2, .scores = scores, .loss = &loss,
        .W1_grad = gW1, .b1_grad = gb1, .W2_grad = gW2, .b2_grad = gb2,
        .W1_m = mW1, .b1_m = mb1, .W2_m = mW2, .b2_m = mb2,
    };
    void *ws = malloc(spiral_mlp_workspace_size(&io));
    if (!ws)
        return 1;
    spiral_mlp_init(&io, 1);
    for (int step = 0; step <= 2000; step++) {
        int rc = spiral_mlp_step(&io, ws);
        if (rc != BP_OK) {
            fprintf(stderr, "step: %s\n", spiral_mlp_strerror(rc));
            return 1;
        }
        if (step % 250 == 0)
            printf("step %4d  loss %.4f\n", step, loss);
    }
    int rc = spiral_mlp_forward(&io, ws);
    double acc = accuracy();
    printf("training accuracy %.1f%%\n", 100 * acc);
    free(ws);
    return rc != BP_OK || acc < 0.9;
}
