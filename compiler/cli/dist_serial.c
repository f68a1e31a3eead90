/* dist_serial: the group of one process, when bpc is built without MPI. */
#if !BPC_HAVE_MPI
#include <stdio.h>
#include "dist.h"

bool dist_available(void) { return false; }
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
int dist_allreduce_sum(void *buf, int64_t count, int dtype) { (void)buf, (void)count, (void)dtype; return 0; }
int dist_bcast(void *buf, int64_t bytes) { (void)buf, (void)bytes; return 0; }
void dist_finalize(int code) { (void)code; }

int dist_init(bool force)
{
    if (!force && !dist_launched())
        return 0;
    fprintf(stderr, "bpc: train: %s, but this bpc was built without MPI: install OpenMPI (Debian: "
            "apt-get install libopenmpi-dev openmpi-bin), rebuild bpc (CMake finds it), then run "
            "mpirun -np P bpc train ...\n", force ? "--mpi asks for data-parallel training" : "started by mpirun");
    return -1;
}
#else
typedef int dist_serial_unused;   /* ISO C: a translation unit is not empty */
#endif
