/* Definitions shared by bpc.h and every generated model (SPEC §3).
 * This file is the single source: the emitter embeds it verbatim. */
#ifndef BP_COMMON_DEFINED
#define BP_COMMON_DEFINED
#include <stddef.h>
#include <stdint.h>

enum bp_role {
    BP_DIM = 0,     /* a symbolic dim (int64_t field)                 */
    BP_INPUT = 1,   /* data the caller provides                       */
    BP_PARAM = 2,   /* a trainable parameter                          */
    BP_OUTPUT = 3,  /* a tensor the forward pass writes out           */
    BP_TARGET = 4,  /* a grad target that is not an output            */
    BP_GRAD = 5,    /* d target / d tensor, named NAME_grad           */
    BP_GRAD_IN = 6, /* upstream gradient of a non-scalar target       */
    BP_STATE = 7    /* optimizer state (caller zero-fills)            */
};

enum bp_dtype {
    BP_F32 = 0, /* float   */
    BP_F64 = 1, /* double  */
    BP_I32 = 2, /* int32_t */
    BP_I64 = 3  /* int64_t */
};

enum bp_error {
    BP_OK = 0,     /* success                                              */
    BP_EDIM = 1,   /* a symbolic dim < 1 (or below what a constant index on
                      it needs: x[:, 4] needs 5), or sizes overflowing       */
    BP_ENULL = 2,  /* a pointer the call needs is NULL                      */
    BP_ELABEL = 3, /* an int label outside its range                        */
    BP_ENONFINITE = 4 /* check_finite models: a tensor became NaN or Inf;
                         P_nonfinite(ws) names it                          */
};

typedef struct bp_tensor_info {
    const char *name;  /* "W1", "W1_grad", "N"                                 */
    int role;          /* enum bp_role                                         */
    int dtype;         /* enum bp_dtype                                        */
    int rank;          /* 0..4                                                 */
    int64_t dims[4];   /* > 0 a fixed extent; -(k+1) the k-th symbolic dim      */
    size_t offset;     /* offsetof(model_io, field)                            */
    const char *of;    /* BP_GRAD / BP_GRAD_IN / BP_STATE: the tensor it is of  */
} bp_tensor_info;

/* The parallel hook of generated code (io field bp_par; NULL: serial). A host
 * that has threads (a pthread pool, OpenMP, its own scheduler) fills one and
 * points io->bp_par at it; the model then splits its big GEMMs and updates
 * into up to 2 x `threads` tasks (a late worker then delays less) and calls
 * run once per split. run must call
 * task(arg, i) once for every i in [0, n), in any order on any threads
 * (the calling thread included), and return only when all have returned.
 * Each task writes its own block of the output and every element is computed
 * by the same operations in the same order whatever the split: the results
 * are bit-identical for every thread count. */
typedef struct bp_parallel {
    void (*run)(void *ctx, int n, void (*task)(void *arg, int i), void *arg);
    void *ctx;       /* passed to run: the host's pool                */
    int threads;     /* tasks worth running at once; < 2: serial      */
} bp_parallel;

#endif /* BP_COMMON_DEFINED */
