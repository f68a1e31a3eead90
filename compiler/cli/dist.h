/* dist: the process group bpc train runs data-parallel over — MPI when bpc is
 * built with it (dist_mpi.c, CMake found MPI) and started by mpirun; one
 * process otherwise (dist_serial.c). Nothing else in bpc includes <mpi.h>. */
#ifndef BPC_DIST_H
#define BPC_DIST_H
#include <stdbool.h>
#include <stdint.h>

/* Whether this bpc was built with MPI. */
bool dist_available(void);
/* Whether a launcher (mpirun, srun) started this process as one of several:
 * OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in the environment. */
bool dist_launched(void);
/* Join the group (MPI_Init) when built with MPI and launched, or when force;
 * else a group of one. 0 on success; -1 after printing a one-line error. */
int dist_init(bool force);
int dist_rank(void);    /* 0 .. dist_size() - 1 */
int dist_size(void);    /* 1 without MPI        */
/* Sum count values of dtype (BP_F32 or BP_F64) over every rank, in place:
 * every rank ends with the same sums. 0 on success. */
int dist_allreduce_sum(void *buf, int64_t count, int dtype);
/* Copy bytes from rank 0's buf into every rank's buf. 0 on success. */
int dist_bcast(void *buf, int64_t bytes);
/* Leave the group: MPI_Finalize after success, MPI_Abort(code) when this
 * rank fails while the others may still wait in a collective. */
void dist_finalize(int code);
#endif
