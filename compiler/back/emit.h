/* emit: C generation from a planned graph. emit_c.c writes the file (header,
 * io struct, reflection, entry points); emit_loops.c the fused loops;
 * emit_kernels.c the ops with loops of their own; emit_support.c the static
 * helpers (GEMM, RNG, initialisers, optimizer updates). */
#ifndef BPC_EMIT_H
#define BPC_EMIT_H
#include "bpc.h"
#include "fields.h"
#include "plan.h"
#include "strbuf.h"

struct Emit {
    Graph *g;
    Plan *p;
    Fields *f;
    const char *P;        /* the C prefix                                  */
    bool f64;
    const char *real;     /* "float" or "double"                          */
    const char *sfx;      /* libm suffix: "f" or ""                        */
    int gemm;             /* enum bpc_gemm                                 */
    StrBuf *out;          /* where lines go                                */
    bool *used;           /* by node id: buffer read or written here       */
    int indent;
    /* loop generation state */
    bool flat;            /* one flat index i                              */
    bool identity;        /* every access so far used the loop index as is */
    StrBuf *temps;        /* per-element temporaries of the loop body      */
    int ntemps;
    const char *kernels[8];  /* support kernels the model calls            */
    int nkernels;
    bool uses_uniform, uses_normal;   /* P_init's draws                    */
    const char **dimc;    /* by symbolic dim: the C name of its local      */
};

/* An indented line of the current function. */
void em_line(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Each line of text (statements separated by '\n') on a line of its own, indented. */
void em_lines(Emit *e, const char *text);
/* The C names of locals (names.h): each source name as written where it
 * cannot collide with anything the generated code uses, else renamed;
 * sets e->dimc and rewrites the plan's buffer names. */
void em_name_locals(Emit *e);
const char *em_extent(Emit *e, Extent x);
const char *em_numel(Emit *e, Shape s);
/* v as the shortest decimal that reads back exactly as the double v ("0.1"). */
const char *em_double(Emit *e, double v);
const char *em_lit(Emit *e, double v);
/* The pointer variable of a node's buffer (marks it used). */
const char *em_buf(Emit *e, const Node *n);
/* The contiguous buffer behind n (through reshapes), for kernels. */
const char *em_ptr(Emit *e, const Node *n);
/* A readable expression of n with its fused inputs, for comments. */
const char *em_render(Emit *e, const Node *n, int depth);
/* The comment over a loop: what it computes. */
void em_comment(Emit *e, const Node *n);
/* Store src into dst (a pointer variable) elementwise: the copy loops. */
void em_copy(Emit *e, const char *dst, Node *src);
/* The same without the comment line. */
void em_fill(Emit *e, const char *dst, Node *src);
/* src as c * X with X a whole contiguous buffer (returned, with c), else NULL. */
const char *em_scaled(Emit *e, Node *src, double *c);

/* A rank-0 node's value as a C expression (temporaries emitted as lines). */
const char *em_scalar(Emit *e, Node *n);
/* The name a support kernel (bp_kernels.inc) has in this model: P_name, or
 * bp_s_name / bp_d_name when the model calls the runtime. */
const char *em_kernel(Emit *e, const char *name);
/* A fusion's single pass (emit_kernels.c). */
void em_fusion(Emit *e, const Fusion *f);

/* Static helper text for the generated source (emit_support.c). */
void em_support(Emit *e);
void em_init_fn(Emit *e);
void em_step_fn(Emit *e);
/* The helpers that reach the host's threads (emit_parallel.c): P_mm when the
 * model multiplies, P_upd when it has a step; after the support kernels. */
void em_parallel(Emit *e);
#endif
