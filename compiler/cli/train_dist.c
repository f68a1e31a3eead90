/* train_dist: the data-parallel part of bpc train (see train_dist.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "dist.h"
#include "train_dist.h"
#include "train_report.h"

int train_dist_init(TrainDist *d, bool mpi)
{
    memset(d, 0, sizeof *d);
    d->size = 1;
    if (dist_init(mpi) != 0)
        return EXIT_USAGE;
    d->rank = dist_rank();
    d->size = dist_size();
    return EXIT_OK;
}

/* Rank 0's params, optimizer state and step, everywhere (resume and init agree anyway). */
static int share_state(Host *h)
{
    for (int i = 0; i < h->n; i++) {
        HostTensor *t = &h->t[i];
        int role = t->info->role;
        bool step = role == BP_STATE && !t->data;
        if (role != BP_PARAM && role != BP_STATE)
            continue;
        void *p = step ? (void *)(h->io + t->info->offset) : t->data;
        int64_t bytes = step ? (int64_t)sizeof(int64_t) : t->numel * (int64_t)t->elsize;
        if (p && dist_bcast(p, bytes) != 0)
            return -1;
    }
    return 0;
}

int train_dist_bind(TrainDist *d, Host *h)
{
    if (d->size == 1)
        return EXIT_OK;
    d->grads = calloc((size_t)h->n, sizeof *d->grads);
    if (!d->grads)
        return fprintf(stderr, "bpc: out of memory\n"), EXIT_MODEL;
    d->count = DIST_STATS;
    for (int i = 0; i < h->n; i++) {
        HostTensor *t = &h->t[i];
        HostTensor *of = t->info->role == BP_GRAD && t->info->of ? host_find(h, t->info->of) : NULL;
        if (!of || of->info->role != BP_PARAM || !t->data)
            continue;
        d->grads[d->ngrads++] = t;
        d->count += t->numel;
        d->dtype = t->info->dtype;
    }
    size_t el = d->dtype == BP_F64 ? sizeof(double) : sizeof(float);
    d->bucket = calloc((size_t)d->count, el);
    if (!d->bucket)
        return fprintf(stderr, "bpc: out of memory\n"), EXIT_MODEL;
    if (share_state(h) != 0)
        return fprintf(stderr, "bpc: train: MPI_Bcast of the params failed\n"), EXIT_MODEL;
    if (d->rank == 0)
        fprintf(stderr, "bpc: train: data-parallel over %d ranks: each step one allreduce of %lld bytes per rank "
                "(%d gradients, %lld values, and %d figures)\n", d->size, (long long)train_dist_bytes(d), d->ngrads,
                (long long)(d->count - DIST_STATS), DIST_STATS);
    return EXIT_OK;
}

void train_dist_shard(const TrainDist *d, int64_t n, int64_t *lo, int64_t *cnt)
{
    int64_t q = n / d->size, r = n % d->size, k = d->rank;
    *lo = k * q + (k < r ? k : r);
    *cnt = q + (k < r);
}

/* Gradients times w into the bucket (in, zeros when w is 0) or back out of it. */
static void copy_grads(TrainDist *d, double w, bool in)
{
    int64_t at = 0;
    for (int g = 0; g < d->ngrads; g++) {
        int64_t n = d->grads[g]->numel;
        void *p = d->grads[g]->data;
        if (d->dtype == BP_F64) {
            double *b = (double *)d->bucket + at, *q = p;
            for (int64_t i = 0; i < n; i++)
                in ? (void)(b[i] = w * q[i]) : (void)(q[i] = b[i]);
        } else {
            float *b = (float *)d->bucket + at, *q = p;
            for (int64_t i = 0; i < n; i++)
                in ? (void)(b[i] = (float)(w * (double)q[i])) : (void)(q[i] = b[i]);
        }
        at += n;
    }
}

/* The DIST_STATS figures after the gradients, as doubles. */
static void stats_io(TrainDist *d, double *stats, bool in)
{
    int64_t at = d->count - DIST_STATS;
    for (int s = 0; s < DIST_STATS; s++) {
        if (d->dtype == BP_F64)
            in ? (void)(((double *)d->bucket)[at + s] = stats[s]) : (void)(stats[s] = ((double *)d->bucket)[at + s]);
        else
            in ? (void)(((float *)d->bucket)[at + s] = (float)stats[s]) : (void)(stats[s] = ((float *)d->bucket)[at + s]);
    }
}

int train_dist_reduce(TrainDist *d, int64_t cnt, int64_t n, double *stats)
{
    copy_grads(d, (double)cnt / (double)n, true);
    stats_io(d, stats, true);
    double t0 = progress_now();
    int rc = dist_allreduce_sum(d->bucket, d->count, d->dtype);
    if (d->steps++)   /* not the first: it also waits for the slowest rank's start (its cc build) */
        d->wait += progress_now() - t0;
    if (rc != 0) {
        fprintf(stderr, "bpc: train: MPI_Allreduce failed\n");
        return -1;
    }
    copy_grads(d, 1, false);
    stats_io(d, stats, false);
    return stats[2] > 0 ? -1 : 0;
}

int train_dist_sum(const TrainDist *d, double *v, int k)
{
    return d->size == 1 ? 0 : dist_allreduce_sum(v, k, BP_F64);
}

int64_t train_dist_bytes(const TrainDist *d)
{
    return d->count * (d->dtype == BP_F64 ? 8 : 4);
}

void train_dist_close(TrainDist *d, int rc)
{
    if (d->rank == 0 && d->steps > 1)
        fprintf(stderr, "bpc: train: a step waited %.3f ms on average in the allreduce (transfer, and the slowest rank; part of ms/step)\n",
                1e3 * d->wait / (double)(d->steps - 1));
    free(d->grads);
    free(d->bucket);
    d->grads = NULL, d->bucket = NULL;
    dist_finalize(rc);
}
