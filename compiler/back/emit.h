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

/* A trained param's rows split between tasks in multiples of this many rows: P_mmu's
 * tasks, and the boundary of the row halves of a product by it (param_halves), which
 * must be the 2-task boundary of the same rows. */
enum { EM_PARAM_ROW_GRAIN = 8 };

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
    bool io_only;         /* reading views in a check: only io fields exist */
    StrBuf *temps;        /* per-element temporaries of the loop body      */
    int ntemps;
    const char *kernels[32]; /* support kernels the model calls            */
    int nkernels;
    bool uses_uniform, uses_normal;   /* P_init's draws                    */
    unsigned mathf;       /* f32 math functions called (emit_math.c)       */
    bool scratch_used;    /* the pass uses the workspace's scratch area    */
    const char **dimc;    /* by symbolic dim: the C name of its local      */
    int mode;             /* F_MODE ops: 0 training, 1 inference (P_predict) */
    bool with_target;     /* an `only` pass (P_evaluate) also writes the target field */
    const bool *only;     /* by node id: what the current pass computes, or NULL: all of its phase */
    /* debugging the model (emit_check.c) */
    bool check;           /* --check-finite: test each tensor produced      */
    bool lines;           /* --line-directives: #line before each statement */
    bool split_all;       /* --split-all: every split at any size (em_grain)  */
    const char *file;     /* the .bp file's name                           */
    const char **what;    /* the checked tensors' "NAME (FILE:LINE)", 1-based */
    int nwhat;
    int *what_of;         /* by node id: its index in what, or 0            */
    /* P_step's backward pass (emit_stepfuse.c) */
    bool step_fuse;       /* emitting P_backward_step_run: fuse updates     */
    int nfused;           /* params it updates (the rest: after it)        */
    bool *fused;          /* by grad index: updated inside the pass        */
    bool mmu;             /* P_mmu (emit_parallel.c) is called              */
    bool *recomputed;     /* by node id: a product P_mmu's tasks recompute,  */
                          /* their copies in the scratch area (P_copies); NULL: none */
    bool mmk;             /* P_mmk (emit_parallel.c) is called              */
    int mvk;              /* P_mvk is called: bit 1; bit 2: with the sum of squares */
    /* a pass split by rows (emit_rows.c) */
    const char *pass;     /* the function being emitted: "forward", "backward"... */
    StrBuf *parts;        /* where its row functions go (before it), or NULL */
    bool *row_used;       /* by node id: read or written by one of them      */
    int *row_ids, nrow_ids, crow_ids; /* the buffers the statement being tried touches, */
    int *row_mark, row_stamp;         /* each once (row_mark[id] == row_stamp)          */
    const Node *rows_node; /* the statement that may claim a split of its loop */
    const char *rows;     /* claimed: the outer loop's extent, its units of grain */
    const char *rows_work; /* and the elements the statement touches          */
    const char *rows_grain;
    bool rows_used;       /* some pass calls P_rows                         */
    bool row_scratch;     /* a row function of the pass uses the scratch area */
    struct RowFn { const char *text, *name; int next; } *row_fns; /* the row functions so far */
    int nrow_fns, crow_fns;
    int *row_fn_of;       /* by node id: its latest row function (index), or -1 */
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
/* The row-major linear index of indices idx in shape s ("0" at rank 0; emit_loops.c). */
const char *em_row_major(Emit *e, Shape s, const char *const *idx);
const char *em_numel(Emit *e, Shape s);
/* v as the shortest decimal that reads back exactly as the double v ("0.1"). */
const char *em_double(Emit *e, double v);
const char *em_lit(Emit *e, double v);
/* The number literal at p (an op's expr text) appended to b as the model's
 * precision reads it (0.5f in f32, as written in f64); returns its end. */
const char *em_expr_number(Emit *e, const char *p, StrBuf *b);
/* v as an operand of a double accumulator: "(double)v" in f32 (the widening
 * written out, so -Wdouble-promotion finds only unintended ones), v in f64. */
const char *em_widen(Emit *e, const char *v);
/* The pointer variable of a node's buffer (marks it used: in e->used, or in
 * e->row_ids while em_rows_statement tries a statement). */
const char *em_buf(Emit *e, const Node *n);
/* The contiguous buffer behind n (through reshapes), for kernels. */
const char *em_ptr(Emit *e, const Node *n);
/* A readable expression of n with its fused inputs, for comments. */
const char *em_render(Emit *e, const Node *n, int depth);
/* The comment over a loop: what it computes. */
void em_comment(Emit *e, const Node *n);
/* Declares the real NAME = the sum (op '+') or the max (op '>') over j < len of term (an
 * expression of j), in the model's real type and vectorisable: 16 partial results, one
 * per j % 16 (whole blocks of 16, then the rest), combined in lane order; a max's
 * partials start at -INFINITY. Uses part, whole, i, j inside a block (emit_loops.c). */
void em_lane_reduce(Emit *e, const char *name, char op, const char *len, const char *term);
/* k sums in one pass over j < len, the same way: name[q] = the sum of term[q], after the
 * statement prelude (over j; or NULL) each element (layernorm's gradient: Σĝ and Σĝx̂). */
void em_lane_sums(Emit *e, const char *len, const char *prelude, int k, const char *const *name, const char *const *term);
/* softmax of n's input along the axes of mask, one exp per entry (emit_bmm.c) */
void em_softmax_lines(Emit *e, Node *n, int mask);
/* Store src into dst (a pointer variable) elementwise: the copy loops. */
void em_copy(Emit *e, const char *dst, Node *src);
/* The check, before a pass runs, that int labels or ids read through a view of
 * an int input (ids[:, 1:], reshape(y, [-1])) lie in [0, range). */
void em_view_label_check(Emit *e, Node *labels, const char *range);
/* The same without the comment line. */
void em_fill(Emit *e, const char *dst, Node *src);
/* src as c * X with X a whole contiguous buffer (returned, with c), else NULL. */
const char *em_scaled(Emit *e, Node *src, double *c);

/* A rank-0 node's value as a C expression (temporaries emitted as lines). */
const char *em_scalar(Emit *e, Node *n);
/* The name a support kernel (bp_kernels.inc) has in this model: P_name, or
 * bp_s_name / bp_d_name when the model calls the runtime. */
const char *em_kernel(Emit *e, const char *name);
/* A GEMM fusion's sum of squares of its weight, when the current pass computes it (emit_kernels.c). */
const Node *em_sumsq(const Emit *e, const Fusion *f);
/* n's product's rows when a fused product of this pass computes n at one row, else NULL. */
const char *em_sumsq_rows(Emit *e, const Node *n);
/* The indices into view n's input 0 for indices idx of n: the permute,
 * slice and gather views (emit_layout.c). */
const char **em_view_index(Emit *e, Node *n, const char *const *idx);
/* The scratch elements node n needs (its per-image im2col columns) as a C
 * expression, or NULL (emit_conv.c): for a convolution split by images, a slot of
 * columns per task (P_slots, emitted by em_conv_slots before the layout when used). */
const char *em_conv_scratch(Emit *e, const Node *n);
/* The workspace's scratch area as a pointer expression of the current pass
 * (after the regions; sized by layout from em_conv_scratch and em_gemm_scratch). */
const char *em_scratch(Emit *e);
/* The values of scratch product n needs (its second half over a param's rows,
 * emit_kernels.c), or NULL. */
const char *em_gemm_scratch(Emit *e, const Node *n);
void em_conv_slots(Emit *e);
/* static int64_t P_NAME(int64_t elems): how many buffers of elems values fit in bytes,
 * at most most and at least 1 (the scratch's per-task slots and copies) */
void em_fit_fn(Emit *e, const char *name, int most, long bytes);
/* A loop's node that LOOP or LOOP_BACK emits, not the pass (emit_for.c). */
bool em_loop_skips(const Node *n);
/* explain's lines for a loop's node: the loop's opening and closing lines
 * (true: n printed so), or nothing (false: n is an ordinary statement). */
bool explain_loop(Emit *e, const Node *n, FILE *out);
/* The readable form of a layout op over its rendered operands x, y
 * ("x[:, 2:5]", "E[ids]", "transpose(x, 0, 2)"), or NULL for other ops. */
const char *em_render_layout(Emit *e, const Node *n, const char *x, const char *y);
/* The integer arguments of a conv or pool node as the language writes them
 * (", stride=2, pad=1"), "" for other ops (emit_conv.c). */
const char *em_conv_args(Emit *e, const Node *n);
/* sum n over the axes around one kept run of axes of its buffered input, as
 * the sum_mid kernel (a conv bias's gradient), into out; false otherwise (emit_conv.c). */
bool em_sum_mid(Emit *e, Node *n, const char *out);
/* A fusion's single pass (emit_kernels.c). */
void em_fusion(Emit *e, const Fusion *f);

/* --check-finite (emit_check.c): the helpers P_finite and P_record; after
 * the statement that produced n (a buffer), its test; after a param's
 * update, that param's; at the end, the table of what is tested and
 * P_nonfinite. em_check_leaves: the float leaves of phase ph the pass used. */
void em_check_helpers(Emit *e);
void em_check(Emit *e, const Node *n);
void em_check_param(Emit *e, const Decl *d, const char *after);
void em_check_leaves(Emit *e, Phase ph);
void em_check_table(Emit *e);
/* --line-directives: `#line N "file"` for node n's statement; and the line
 * that resumes the C file's own numbering (fixed up by em_fix_lines). */
void em_line_directive(Emit *e, const Node *n);
void em_line_resume(Emit *e);
/* Replace each resume marker by `#line <its own line + 1> "P.c"`. */
char *em_fix_lines(Emit *e, const char *src);
/* s as the text of a C string literal: '"', '\' and '?' escaped, every
 * other byte outside printable ASCII as a 3-digit octal escape. */
const char *em_c_string(Emit *e, const char *s);

/* Splitting a pass by rows (emit_rows.c). em_rows_claim: called by node n's
 * emitter before it opens its one loop, which must be all the statement runs:
 * true when n's statement may run as rows [lo, hi) of that loop (extent rows,
 * in blocks of grain), touching the elements of shape work in all (never when
 * they are fewer than a split's bound whatever the dims); the emitter then writes
 * `for (... = lo; ... < hi; ...)`. em_rows_statement: n's statement through
 * its op's emitter (or fusion f's, root n), outlined into P_<pass>_rows_<name> and called through
 * P_rows when the emitter claimed, else inline as always. em_rows_helper:
 * P_rows, emitted by em_parallel when a pass calls it. */
bool em_rows_claim(Emit *e, const Node *n, const char *rows, Shape work, const char *grain);
/* A split's block, grain rows, columns or values (C text), or "1" under --split-all
 * (emit_parallel.c): there every split is made at any size, so the small models of
 * the tests reach the threaded code. */
const char *em_grain(const Emit *e, const char *grain);
void em_rows_statement(Emit *e, Node *n, const Fusion *f);
/* The head of a row kernel's outer loop, var over [0, rows) (no brace): over [lo, hi) when
 * statement n (NULL: not all of its statement's work) claims its split, in blocks of 1. */
const char *em_rows_for(Emit *e, const Node *n, const char *var, const char *rows, Shape work);
void em_rows_helper(Emit *e);
/* The locals of a pass (ids NULL: the buffers e->used marks) or of a function
 * of its rows (the nids buffers of ids): dims, then a pointer per buffer (emit_c.c). */
void em_locals(Emit *e, const int *ids, int nids);
void em_dim_locals(Emit *e, bool one_line);

/* Static helper text for the generated source (emit_support.c). */
void em_support(Emit *e);
/* emit_math.c: the C function for libm's fn (exp, log, erf, tanh, sqrt...) in
 * the model's precision: libm in f64, the carried f32 functions where there
 * are some (recorded for em_mathf), else fn with the f suffix. */
const char *em_math(Emit *e, const char *fn);
/* the f32 math functions the model called (before the support kernels) */
void em_mathf(Emit *e);
void em_init_fn(Emit *e);
void em_step_fn(Emit *e);
/* emit_norm.c: the NULL checks of the batchnorm state a pass touches, and
 * P_init's running statistics (mean 0, variance 1). */
void em_norm_checks(Emit *e, Phase ph, const bool *only);
void em_norm_init(Emit *e);
/* The support kernels em_parallel's helpers call, recorded before the kernels are put out. */
void em_parallel_kernels(Emit *e);
/* The helpers that reach the host's threads (emit_parallel.c): P_mm when the
 * model multiplies, P_upd when it has a step; after the support kernels. */
void em_parallel(Emit *e);
/* C = op(A) @ op(B), C n wide (a batched product folded into one GEMM, emit_bmm.c), as
 * every unfused product: the serial call, or P_mm on the host's threads (emit_kernels.c) */
void em_gemm_plain(Emit *e, int ta, int tb, const char *m, const char *n, const char *k, const char *A, const char *lda,
                   const char *B, const char *ldb, const char *C);
/* the P_bmm helper of batched products (emit_bmm.c), emitted by em_parallel when used */
void em_bmm_parallel(Emit *e);
/* the fused softmax(causal(s * scale)) of plan_fuse (emit_bmm.c) */
void em_causal_softmax(Emit *e, const Fusion *f);
/* the fused causal_grad(softmax_axis_grad(y, g)) * scale of plan_fuse (emit_bmm.c) */
void em_causal_softmax_grad(Emit *e, const Fusion *f);
/* The optimizer kernel's call on count values: param p, state m and v
 * (momentum, adam), gradient g, hyperparameters h (a double array). */
const char *em_upd_call(Emit *e, const char *count, const char *p, const char *m, const char *v, const char *g,
                        const char *h);
/* The gradient index whose param update P_step fuses into GEMM fusion f
 * (scaled: its addend, if any, is c X over a whole buffer), or -1. */
int em_step_upd(Emit *e, const Fusion *f, bool scaled);
const Fusion *em_step_pre(Emit *e, const Fusion *u, int gi);
#endif
