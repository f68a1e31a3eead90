/* bpc.h — the backprop compiler as a library (libbpc).
 *
 *   bpc_model *m = bpc_compile(src, len, "mlp.bp", NULL);
 *   if (!bpc_ok(m)) { bpc_print_diags(m, stderr); bpc_free(m); return 1; }
 *   const char *c = bpc_c_source(m);             // the generated C, or:
 *   bpc_jit *j = bpc_jit_new(m, err, sizeof err); // compiled in-process by libtcc
 *   const bpc_entry *e = bpc_jit_entry(j);        // entry points + reflection
 *   ... e->predict(io, ws) / e->forward(io, ws) ...
 *   bpc_jit_free(j); bpc_free(m);
 *
 * Nothing here calls exit() or abort(), or prints unless asked to. Running out
 * of memory and internal compiler errors come back as an error diagnostic on
 * the model ("out of memory", "internal error: ..."); from then on bpc_ok is 0.
 * Every function accepts NULL pointers; what each gives is stated below. */
#ifndef BPC_H
#define BPC_H
#include <stddef.h>
#include <stdio.h>
#include "bp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bpc_level { BPC_ERROR = 0, BPC_WARNING = 1, BPC_NOTE = 2 };
enum bpc_gemm { BPC_GEMM_PORTABLE = 0, BPC_GEMM_BLAS = 1, BPC_GEMM_RUNTIME = 2 };
enum bpc_jit_kind { BPC_JIT_TCC = 0, BPC_JIT_CC = 1, BPC_JIT_TIERED = 2 };

/* One diagnostic; line 0 means the whole file. Columns count characters. */
typedef struct bpc_diag {
    int level;            /* enum bpc_level */
    int line, col;        /* where the caret points */
    int end_line, end_col;
    const char *message;
} bpc_diag;

/* Out-of-range values are an error diagnostic "invalid option: ..." on the
 * model bpc_compile returns. */
typedef struct bpc_options {
    const char *name;     /* C prefix; NULL: from the file name        */
    int dtype;            /* BP_F32 (default) or BP_F64                */
    int gemm;             /* enum bpc_gemm                             */
    int opt_level;        /* 1 (default): fusion and planning; 0: none;
                             2 and 3 are as 1                          */
    int jit;              /* enum bpc_jit_kind: libtcc in-process (default); the
                             system cc -O3 into a shared object loaded with dlopen;
                             or tiered: libtcc at once, cc on a background thread,
                             switched to by bpc_jit_upgrade                      */
    int check_finite;     /* 1: the generated code tests every tensor as it is
                             produced; the first holding NaN or Inf stops the call
                             with BP_ENONFINITE, and P_nonfinite(ws) (bpc_entry's
                             nonfinite) names it with its .bp line */
    int line_directives;  /* 1: `#line N "model.bp"` before each statement's code,
                             so debuggers and profilers show the .bp lines      */
    int split_all;        /* 1 (for tests): every split of the work the host's threads
                             could take is made at any size, in blocks of one row or
                             value, so a small model reaches the threaded code; results
                             then equal the serial ones up to float reassociation */
} bpc_options;

typedef struct bpc_model bpc_model;

/* Compile a .bp source. Never NULL (even out of memory); check bpc_ok.
 * opt NULL: the defaults; filename NULL: "<input>"; src NULL: a model with
 * the error "no source text (NULL)". */
bpc_model *bpc_compile(const char *src, size_t len, const char *filename, const bpc_options *opt);
/* 1 if m compiled without errors; 0 otherwise and for NULL. */
int bpc_ok(const bpc_model *m);
/* The number of diagnostics; -1 for NULL. */
int bpc_num_diags(const bpc_model *m);
/* Diagnostic i (owned by m); NULL for NULL m or i out of range. */
const bpc_diag *bpc_get_diag(const bpc_model *m, int i);
/* Print all diagnostics the way gcc does (file:line:col, source line, caret).
 * Nothing for NULL m or out. */
void bpc_print_diags(const bpc_model *m, FILE *out);

enum bpc_stage { BPC_STAGE_AST, BPC_STAGE_IR, BPC_STAGE_GRAD, BPC_STAGE_C, BPC_STAGE_EXPLAIN, BPC_STAGE_PLAN, BPC_STAGE_DOT,
                 BPC_STAGE_COST /* explain --cost: FLOPs and bytes per statement, the workspace */ };
/* Print a stage; returns 0, or -1 if the model has errors (or gets one: out
 * of memory), m or out is NULL, or stage is not an enum bpc_stage. */
int bpc_dump(bpc_model *m, int stage, FILE *out);

/* The generated source and header text (owned by m). NULL if the model has
 * errors (or gets one: out of memory) or m is NULL. */
const char *bpc_c_source(bpc_model *m);
const char *bpc_c_header(bpc_model *m);
/* The model's C prefix; NULL for NULL. */
const char *bpc_name(const bpc_model *m);

/* The entry points of a compiled model, typed generically (io is the model's P_io). */
typedef struct bpc_entry {
    size_t (*workspace_size)(const void *io);
    int (*forward)(const void *io, void *ws);
    int (*backward)(const void *io, void *ws);
    int (*grad)(const void *io, void *ws);
    int (*step)(void *io, void *ws);             /* NULL without `optimize` */
    void (*init)(const void *io, uint64_t seed);
    const char *(*strerror)(int code);
    const bp_tensor_info *tensors;
    int num_tensors;
    size_t io_size;                              /* sizeof(P_io) */
    int (*predict)(const void *io, void *ws);    /* inference mode: the outputs only */
    int (*update)(void *io, void *ws);           /* NULL without `optimize`: the optimizer on the params
                                                    from the *_grad fields as they are (step = grad + update) */
    /* check_finite models: after a call returned BP_ENONFINITE with this ws,
     * "NAME (FILE:LINE)" of the first tensor that held NaN or Inf; NULL
     * otherwise. NULL (the pointer) without check_finite. */
    const char *(*nonfinite)(const void *ws);
    size_t parallel_offset;                      /* offsetof(P_io, bp_par): the host's threads
                                                    (a const bp_parallel *; NULL: serial) */
    int (*evaluate)(const void *io, void *ws);   /* inference mode: the outputs and the target
                                                    (an eval-mode loss); NULL without a target */
} bpc_entry;

typedef struct bpc_jit bpc_jit;
/* Compile m's C: in-process with libtcc, or with cc (see bpc_options.jit).
 * NULL with a message in err on failure (m NULL or with errors too); err may
 * be NULL (no message). */
bpc_jit *bpc_jit_new(bpc_model *m, char *err, size_t errlen);
/* NULL for NULL. */
const bpc_entry *bpc_jit_entry(const bpc_jit *j);
/* Tiered JIT: once the optimised build is ready (wait = 1: wait for it), the
 * entry points switch to it; returns the entry to use from now on. Pointers
 * taken from the previous entry stay valid until bpc_jit_free. NULL for NULL. */
const bpc_entry *bpc_jit_upgrade(bpc_jit *j, int wait);
/* Both do nothing for NULL. A tiered JIT's cc build that still runs is
 * stopped (SIGTERM to the compiler's process group; the temporary folder,
 * the compiler's TMPDIR, is removed with all it holds), not waited for. */
void bpc_jit_free(bpc_jit *j);
void bpc_free(bpc_model *m);

const char *bpc_version(void);

#ifdef __cplusplus
}
#endif
#endif
