/* train_dist: bpc train data-parallel (mpirun -np P bpc train ...). Every rank
 * holds the same model and params and shuffles the same way; of each global
 * batch of n rows rank r takes the contiguous shard train_dist_shard gives
 * (n_r rows; n_r = 0 when n < P), computes its gradient g_r with P_grad, and
 * one in-place allreduce over a bucket of every param's gradient, each scaled
 * by n_r / n, gives every rank
 *     g = sum_r (n_r / n) g_r,
 * which is the single-process gradient of the global batch when the loss is
 * a mean over the batch rows plus terms that do not depend on the batch
 * (cross_entropy(...) + 1e-4 * sum(W * W)): the batch-free terms' gradient
 * enters every g_r once and the weights sum to 1. (A loss that sums over the
 * rows would need weights 1; bpc assumes the mean, as every example does.)
 * Then P_update applies the optimizer on every rank alike, so the params stay
 * identical. The bucket also carries the shard's loss sum, its correct count
 * and a failure flag, so every rank sees the global batch's loss and stops
 * together. Batch statistics (batchnorm) are per shard, as in DDP. */
#ifndef BPC_TRAIN_DIST_H
#define BPC_TRAIN_DIST_H
#include "host.h"

enum { DIST_STATS = 3 };   /* loss * n_r, correct rows, failed */
enum { DIST_EOTHER = -1000 };   /* a step's code: some other rank's step failed */

typedef struct TrainDist {
    int rank, size;
    int dtype;               /* the gradients' (BP_F32 / BP_F64)   */
    HostTensor **grads;      /* the params' *_grad fields          */
    int ngrads;
    void *bucket;            /* every gradient, then DIST_STATS    */
    int64_t count;           /* elements in the bucket             */
    double wait;             /* seconds in the step allreduces but the first */
    int64_t steps;
} TrainDist;

/* Join the group (see dist_init; mpi: --mpi given). Prints; returns an exit code. */
int train_dist_init(TrainDist *d, bool mpi);
/* With more than one rank: find the gradients, allocate the bucket and give
 * every rank rank 0's params, optimizer state and step. Returns an exit code. */
int train_dist_bind(TrainDist *d, Host *h);
/* Rank d->rank's rows of n: [*lo, *lo + *cnt), contiguous, sizes differing by at most 1. */
void train_dist_shard(const TrainDist *d, int64_t n, int64_t *lo, int64_t *cnt);
/* Average the gradients as above, stats[DIST_STATS] summed alongside (in place):
 * one allreduce. cnt: this rank's rows, n: the global batch. Returns 0, or -1
 * when the allreduce failed or some rank flagged failure (stats[2] > 0). */
int train_dist_reduce(TrainDist *d, int64_t cnt, int64_t n, double *stats);
/* Sum k doubles over the ranks in place (per-epoch figures). 0 on success. */
int train_dist_sum(const TrainDist *d, double *v, int k);
/* Bytes one step's allreduce carries per rank (the bucket). */
int64_t train_dist_bytes(const TrainDist *d);
/* Free the bucket and leave the group (MPI_Abort when rc != 0 and P > 1);
 * rank 0 first notes the mean time a step spent in the allreduce (from the second step on). */
void train_dist_close(TrainDist *d, int rc);
#endif
