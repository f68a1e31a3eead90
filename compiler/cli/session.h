/* session: a model compiled, JIT-ed and bound to data — what run, gradcheck,
 * bench, train and the REPL share. */
#ifndef BPC_SESSION_H
#define BPC_SESSION_H
#include "cli.h"
#include "bp_runtime.h"
#include "host.h"

typedef struct Session {
    bpc_model *m;
    bpc_jit *j;
    const bpc_entry *e;
    Host h;
    char err[512];   /* session_strerror's text */
    bp_pool *pool;       /* the model's threads (--threads; NULL: one) */
} Session;

/* The model's message for return code rc; for BP_ENONFINITE (--check-finite)
 * followed by the tensor that went non-finite, "NAME (FILE:LINE)". */
const char *session_strerror(Session *s, int rc);

/* Compile cli->model (with dtype), JIT it, give it cli->threads threads (0:
 * every core; through the model's bp_par hook and a bp_pool), bind dims (--set, else the shapes of
 * --in arrays, else dflt), allocate, init params from seed, fill inputs not
 * given with seeded random data, then load the --in arrays (inputs, params,
 * upstream gradients). Prints errors; returns an exit code. */
int session_open(Session *s, const Cli *cli, int dtype, int64_t dflt);
/* The same for a model already compiled (the session owns m from here on). */
int session_bind(Session *s, const Cli *cli, bpc_model *m, int64_t dflt);
void session_close(Session *s);
/* Fill every input not given with --in: floats N(0,1), labels uniform in range. */
void session_random_inputs(Session *s, const Cli *cli, uint64_t seed);
/* mkdir -p for one level; prints and returns EXIT_MODEL on failure. */
int session_mkdir(const char *dir);
/* Save tensor t as DIR/NAME.npy (atomically). */
int session_save(const Host *h, const HostTensor *t, const char *dir);
/* The value of the grad target (sum of T * T_grad_in for a non-scalar one). */
double session_objective(Session *s);
#endif
