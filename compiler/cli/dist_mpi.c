/* dist_mpi: the group as MPI_COMM_WORLD (bpc built with MPI). */
#if BPC_HAVE_MPI
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include "bp_common.h"
#include "dist.h"

static int rank_, size_ = 1;
static bool joined;

bool dist_available(void) { return true; }
int dist_rank(void) { return rank_; }
int dist_size(void) { return size_; }

int dist_init(bool force)
{
    if (joined || (!force && !dist_launched()))
        return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "bpc: train: MPI_Init failed\n");
        return -1;
    }
    joined = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    return 0;
}

/* In pieces of at most INT_MAX elements (MPI counts are int). */
int dist_allreduce_sum(void *buf, int64_t count, int dtype)
{
    if (!joined || size_ == 1)
        return 0;
    MPI_Datatype t = dtype == BP_F64 ? MPI_DOUBLE : MPI_FLOAT;
    size_t el = dtype == BP_F64 ? sizeof(double) : sizeof(float);
    for (int64_t at = 0; at < count; at += INT_MAX) {
        int n = count - at < INT_MAX ? (int)(count - at) : INT_MAX;
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)buf + (size_t)at * el, n, t, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

int dist_bcast(void *buf, int64_t bytes)
{
    if (!joined || size_ == 1)
        return 0;
    for (int64_t at = 0; at < bytes; at += INT_MAX) {
        int n = bytes - at < INT_MAX ? (int)(bytes - at) : INT_MAX;
        if (MPI_Bcast((char *)buf + at, n, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

void dist_finalize(int code)
{
    if (!joined)
        return;
    joined = false;
    if (code != 0 && size_ > 1) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    MPI_Finalize();
}
#else
typedef int dist_mpi_unused;   /* ISO C: a translation unit is not empty */
#endif
