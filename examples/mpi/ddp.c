/* ddp: data-parallel training of the generated spiral MLP (../embed/spiral.bp)
 * over MPI, by the application — the generated C knows nothing of MPI.
 * Each step every rank computes spiral_mlp_grad on its shard of the batch,
 * the gradients found through the reflection table (role BP_GRAD) are
 * weighted by the shard's share of the rows and summed with MPI_Allreduce,
 * and spiral_mlp_update applies the optimizer: the params stay identical on
 * every rank. Rank 0 then checks them against one process that trained on the
 * whole batch with spiral_mlp_step: equal up to float reassociation (about
 * 1e-6 relative after 20 steps; with lr 0.5 and momentum a ReLU that flips
 * on a rounding difference can later amplify it to 1e-3, as between any two
 * summation orders, so the check stops at 20 steps).
 *   mpicc -std=c99 ddp.c spiral_mlp.c -lm && mpirun -np 2 ./ddp */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spiral_mlp.h"

enum { PER_CLASS = 100, CLASSES = 3, POINTS = PER_CLASS * CLASSES, D = 2, H = 64, STEPS = 20 };

static uint64_t state = 42;
static double uniform(void)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void) { return sqrt(-2 * log(1 - uniform())) * cos(6.283185307179586 * uniform()); }

static float x[POINTS * D], scores[POINTS * CLASSES], loss;
static int32_t y[POINTS];

/* The params, gradients and momentum state of one model copy. */
typedef struct Model {
    float W1[D * H], b1[H], W2[H * CLASSES], b2[CLASSES];
    float gW1[D * H], gb1[H], gW2[H * CLASSES], gb2[CLASSES];
    float mW1[D * H], mb1[H], mW2[H * CLASSES], mb2[CLASSES];
} Model;
static Model dist, ref;

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

/* An io over rows [lo, lo + n) of the data set for model m. */
static spiral_mlp_io bind(Model *m, int64_t lo, int64_t n)
{
    spiral_mlp_io io = {
        .N = n, .x = x + lo * D, .y = y + lo, .W1 = m->W1, .b1 = m->b1, .W2 = m->W2, .b2 = m->b2,
        .scores = scores + lo * CLASSES, .loss = &loss,
        .W1_grad = m->gW1, .b1_grad = m->gb1, .W2_grad = m->gW2, .b2_grad = m->gb2,
        .W1_m = m->mW1, .b1_m = m->mb1, .W2_m = m->mW2, .b2_m = m->mb2,
    };
    return io;
}

/* Elements of tensor t, its symbolic dims read from io (the k-th BP_DIM entry). */
static int64_t numel(const bp_tensor_info *t, const void *io)
{
    int64_t n = 1;
    for (int k = 0; k < t->rank; k++) {
        int64_t d = t->dims[k];
        for (int i = 0, sym = 0; d < 0 && i < spiral_mlp_num_tensors; i++)
            if (spiral_mlp_tensors[i].role == BP_DIM && sym++ == -t->dims[k] - 1)
                d = *(const int64_t *)((const char *)io + spiral_mlp_tensors[i].offset);
        n *= d;
    }
    return n;
}

/* The generic part: every gradient of a param, times w = (this rank's rows) /
 * (all rows), summed over the ranks in place. One call per tensor keeps it
 * short; packing them into one buffer (as bpc train does) saves latency. */
static int average_grads(spiral_mlp_io *io, double w)
{
    for (int i = 0; i < spiral_mlp_num_tensors; i++) {
        const bp_tensor_info *t = &spiral_mlp_tensors[i];
        if (t->role != BP_GRAD)
            continue;
        float *g = *(float **)((char *)io + t->offset);
        int64_t n = numel(t, io);
        for (int64_t k = 0; k < n; k++)
            g[k] = (float)(w * g[k]);
        if (MPI_Allreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

/* One data-parallel step on rows [lo, lo + n) of POINTS. */
static int ddp_step(spiral_mlp_io *io, void *ws, int64_t n)
{
    int rc = n ? spiral_mlp_grad(io, ws) : BP_OK;
    if (rc != BP_OK)
        return rc;
    if (!n)   /* no rows here (more ranks than rows): contribute zeros */
        memset(dist.gW1, 0, sizeof dist.gW1), memset(dist.gb1, 0, sizeof dist.gb1),
        memset(dist.gW2, 0, sizeof dist.gW2), memset(dist.gb2, 0, sizeof dist.gb2);
    if (average_grads(io, (double)n / POINTS) != 0)
        return -1;
    return spiral_mlp_update(io, ws);
}

/* The largest |a - b| relative to max |a| over the params of two copies. */
static double max_rel_diff(const Model *a, const Model *b)
{
    const float *pa[] = { a->W1, a->b1, a->W2, a->b2 }, *pb[] = { b->W1, b->b1, b->W2, b->b2 };
    const int n[] = { D * H, H, H * CLASSES, CLASSES };
    double worst = 0;
    for (int t = 0; t < 4; t++) {
        double big = 1e-30, diff = 0;
        for (int k = 0; k < n[t]; k++) {
            big = fmax(big, fabs(pa[t][k]));
            diff = fmax(diff, fabs((double)pa[t][k] - pb[t][k]));
        }
        worst = fmax(worst, diff / big);
    }
    return worst;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    make_spiral();
    int64_t q = POINTS / size, r = POINTS % size;
    int64_t lo = rank * q + (rank < r ? rank : r), n = q + (rank < r);
    spiral_mlp_io io = bind(&dist, lo, n ? n : 1);
    void *ws = malloc(spiral_mlp_workspace_size(&io) + 1);
    spiral_mlp_init(&io, 1);   /* the same seed: the same params on every rank */
    int rc = ws ? BP_OK : -1;
    for (int step = 0; step < STEPS && rc == BP_OK; step++)
        rc = ddp_step(&io, ws, n);
    if (rc != BP_OK) {
        fprintf(stderr, "rank %d: %s\n", rank, rc < 0 ? "MPI error" : spiral_mlp_strerror(rc));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int bad = 0;
    if (rank == 0) {   /* the same training in one process, for comparison */
        spiral_mlp_io one = bind(&ref, 0, POINTS);
        void *ws1 = malloc(spiral_mlp_workspace_size(&one));
        spiral_mlp_init(&one, 1);
        for (int step = 0; step < STEPS && ws1 && rc == BP_OK; step++)
            rc = spiral_mlp_step(&one, ws1);
        double d = max_rel_diff(&ref, &dist);
        printf("%d ranks, %d steps (one-process loss %.4f): params vs one process: max relative difference %.3g\n", size, STEPS,
               loss, d);
        bad = rc != BP_OK || !(d <= 1e-4);
        free(ws1);
    }
    free(ws);
    MPI_Finalize();
    return bad;
}
