/* ir: the typed tensor IR. A graph is a DAG of nodes kept in topological order;
 * every node has a static shape. Nodes are hash-consed: building the same op on
 * the same inputs twice returns the first node (common subexpressions merge). */
#ifndef BPC_IR_H
#define BPC_IR_H
#include <stdbool.h>
#include <stdint.h>
#include "arena.h"
#include "diag.h"

enum { MAX_RANK = 4 };
/* Inputs a node holds inline: layernorm(x, gamma, beta) needs 3; an op of n
 * inputs (concat) declares ARITY_N and is built as a chain of MAX_IN-input nodes. */
enum { MAX_IN = 4, ARITY_N = -1 };
/* Integer attributes inline: conv2d stride/pad/dilation per axis, reshape extents,
 * a slice's start/stop/step per axis. */
enum { MAX_INTS = 3 * MAX_RANK };
/* A slice axis's third int when start is an Extent offset and stop the
 * extent (ir/shape_layout.c); 1 drops the axis, 0 a plain slice. */
enum { SLICE_EXT = 2 };

/* An extent: > 0 a constant; -(k+1) the k-th symbolic dim (as bp_tensor_info.dims),
 * or, k >= DIMS_BASE, a derived dim: a polynomial over them (ir/dims.h). */
typedef int64_t Extent;

typedef struct Shape {
    int rank;
    Extent d[MAX_RANK];
} Shape;

typedef enum OpKind {
#define OP(id, name, arity, kind, flags, attr, shape, grad, emit, expr) OP_##id,
#define FN(name, lowering, op, params)
#include "ops.def"
#undef OP
#undef FN
    OP_COUNT_
} OpKind;

typedef enum OpClass {
    K_LEAF,    /* no inputs                          */
    K_VIEW,    /* re-indexes its input               */
    K_EWISE,   /* elementwise on equal shapes        */
    K_REDUCE,  /* sum or max over axes               */
    K_KERNEL   /* its own emitter                    */
} OpClass;

/* ops.def flags: what passes ask of an op instead of testing op codes. */
enum {
    F_DATA = 1,      /* a leaf the caller fills: input, param, grad seed        */
    F_LABELS = 2,    /* input 1 is int labels indexing input 0's last axis       */
    F_MODE = 4,      /* training and inference differ (Node.mode)               */
    F_STATE = 8,     /* state kept across steps (Node.decl names it)            */
    F_GATHER = 16    /* input 1 is int ids indexing the rows (axis 0) of a table */
};

/* ops.def attr: the one attribute an op reads, which drives printing. */
typedef enum AttrKind {
    AT_NONE, AT_NUM, AT_AXES, AT_MAP, AT_TRANS, AT_COUNT, AT_DECL, AT_INTS
} AttrKind;

typedef struct Node Node;
typedef struct Graph Graph;

typedef enum Phase {
    PH_FORWARD,   /* computed by P_forward  */
    PH_BACKWARD   /* computed by P_backward */
} Phase;

struct Node {
    int id;              /* index in Graph.nodes: topological order         */
    OpKind op;
    int nin;
    Node *in[MAX_IN];
    Shape shape;
    bool is_int;         /* int32 data (labels); everything else is float   */
    Phase phase;
    /* attributes (which ones an op reads: see ops.def) */
    double f;            /* CONST value, LEAKY_RELU alpha, POWC exponent, SVM margin */
    int axes;            /* SUM/MAXR: bit k set = input axis k reduced       */
    int8_t map[MAX_RANK];/* BCAST: output axis i reads input axis map[i], -1 none */
    bool ta, tb;         /* MATMUL: input 0 / 1 used transposed              */
    int decl;            /* INPUT/PARAM: index in Graph.decls; GRADIN: target decl */
    Shape count;         /* COUNT: the extents whose product is its value    */
    int nints;           /* AT_INTS: how many of ints[] the op reads         */
    int64_t ints[MAX_INTS];
    int mode;            /* F_MODE ops: 0 training, 1 inference              */
    int loop;            /* 0, or the loop region it belongs to (ir/loop.h)  */
    /* naming and provenance */
    const char *name;    /* the source name bound to it, if any             */
    const char *rule;    /* derivative rule that built it (explain), or NULL */
    Span span;
    int line;            /* the .bp line of the statement computing it (0: none): ir_assign_lines, ad */
    int uses;            /* consumers, counted by ir_count_uses              */
};

typedef enum DeclKind {
    DECL_DIM,    /* dim N [= v]    */
    DECL_INPUT,  /* input x[...]   */
    DECL_PARAM   /* param W[...]   */
} DeclKind;

typedef enum InitKind {
    INIT_ZEROS, INIT_ONES, INIT_NORMAL, INIT_UNIFORM, INIT_XAVIER, INIT_HE
} InitKind;

typedef struct Decl {
    DeclKind kind;
    const char *name;
    Span span;
    Shape shape;         /* INPUT/PARAM                                     */
    bool is_int;         /* INPUT : int                                     */
    int64_t value;       /* DIM: the constant, or 0 if symbolic             */
    int sym;             /* DIM: symbolic index k, or -1                    */
    int64_t at_least;    /* DIM symbolic: the least value constant indices on
                            it need (x[:, 4] needs 5); BP_EDIM below; 0: 1  */
    InitKind init;       /* PARAM                                           */
    double init_a, init_b;
    Node *node;          /* INPUT/PARAM leaf                                */
    bool used;           /* referenced by any expression (warnings)         */
    bool label;          /* INPUT : int used as labels of a loss            */
    Extent label_range;  /* the class count its labels index               */
} Decl;

typedef struct Output {
    const char *name;
    Node *node;
    Span span;
} Output;

typedef enum OptKind { OPT_NONE, OPT_SGD, OPT_MOMENTUM, OPT_ADAM } OptKind;

/* A hyperparameter: a literal or a rank-0 input. */
typedef struct Hyper {
    double value;
    int decl;            /* -1: the literal value */
} Hyper;

typedef struct Grad {
    int decl;            /* wrt: an input or param decl            */
    Node *node;          /* d target / d decl, after autodiff       */
} Grad;

struct Graph {
    Arena *arena;
    Node **nodes;
    int n, cap;
    Node **table;        /* hash-consing, open addressing           */
    int table_cap;
    Decl *decls;
    int ndecls, cdecls;
    int nsym, csym;      /* symbolic dims                           */
    int *sym_decl;       /* decl index of symbolic dim k, -1 if its
                            declaration failed: no pass scans decls  */
    struct DimTab *dims; /* derived dims N*T, N+M, N-1 (ir/dims.h)  */
    Output *outputs;
    int noutputs, coutputs;
    /* grad and optimize */
    const char *target_name;
    Node *target;
    Span target_span;
    bool has_grad;
    Node *grad_in;       /* GRADIN leaf for a non-scalar target     */
    Grad *grads;
    int ngrads, cgrads;
    OptKind opt;
    Hyper lr, mu, beta1, beta2, eps;
    int nfwd;            /* nodes [0, nfwd) are the forward pass    */
    Phase building;      /* phase given to new nodes                */
    int cur_loop;        /* loop region given to new nodes (ir/loop.h) */
    struct Loop *loops;  /* for-loops, by index (ir/loop.h)           */
    int nloops, cloops;
};

/* The op table, generated from ops.def. */
typedef struct ShapeErr {
    char msg[256];       /* {0} {1}: stand for the operands, filled in by the caller */
} ShapeErr;
typedef bool (*ShapeRule)(const Graph *g, const Node *n, Shape *out, ShapeErr *err);
typedef struct AdCtx AdCtx;
typedef void (*GradRule)(AdCtx *ad, Node *n, Node *g);
typedef struct Emit Emit;
typedef void (*EmitRule)(Emit *e, Node *n);
typedef double (*FoldRule)(double x, double y, double a);
typedef struct OpInfo {
    const char *name;    /* in ir_dump and explain                       */
    int arity;           /* or ARITY_N                                   */
    OpClass kind;
    int flags;           /* F_*                                          */
    AttrKind attr;
    ShapeRule shape;
    GradRule grad;
    EmitRule emit;
    const char *expr;    /* K_EWISE: the C expression (X Y A F(fn)), else NULL */
    FoldRule fold;       /* expr compiled, for constants; NAN when no expr     */
} OpInfo;
extern const OpInfo op_info[OP_COUNT_];
/* How an op reads in comments, explain and messages (ops_print.def). */
typedef struct OpPrint {
    int prec;            /* 1 + -, 2 * / @, 3 prefix/postfix, -1 a view shown as its input, 0 a call */
    int right;           /* the right operand binds tighter (- /)                   */
    const char *form;    /* "{0} + {1}"; NULL: name(x) or name(x, y)               */
    const char *verb;    /* "add": what a message says it does to two operands      */
} OpPrint;
extern const OpPrint op_print[OP_COUNT_];
bool op_reads_labels(OpKind op);
/* The extent the int labels or ids of a node that reads them (op_reads_labels)
 * must stay below: the class count of a loss, the row count of a gather. */
Extent op_label_range(const Node *n);
static inline bool op_has(OpKind op, int flag) { return (op_info[op].flags & flag) != 0; }


Graph *ir_new(Arena *a);
/* The declaration of symbolic dim k (0 <= k < nsym), or NULL if it failed. */
static inline Decl *ir_sym_decl(const Graph *g, int k)
{
    return k >= 0 && k < g->nsym && g->sym_decl[k] >= 0 ? &g->decls[g->sym_decl[k]] : NULL;
}
/* Build (or find) a node; shape from the op's rule. NULL with err set when the rule fails. */
Node *ir_make(Graph *g, const Node *proto, ShapeErr *err);
/* Builders for valid operands; broadcasting made explicit. */
Node *ir_const(Graph *g, double v);
Node *ir_count(Graph *g, Shape extents);
Node *ir_unary(Graph *g, OpKind op, Node *x);
Node *ir_unary_attr(Graph *g, OpKind op, Node *x, double attr);
Node *ir_binary(Graph *g, OpKind op, Node *a, Node *b);   /* broadcasts a and b */
Node *ir_bcast_to(Graph *g, Node *x, Shape to);          /* NumPy alignment    */
Node *ir_bcast_map(Graph *g, Node *x, Shape to, const int8_t *map);
Node *ir_reduce(Graph *g, OpKind op, Node *x, int axes);
Node *ir_reshape(Graph *g, Node *x, Shape to);
Node *ir_transpose(Graph *g, Node *x);
Node *ir_matmul(Graph *g, Node *a, Node *b);
Node *ir_op2(Graph *g, OpKind op, Node *a, Node *b, double attr);
/* Broadcast shape of a and b, or false. */
bool shape_broadcast(Shape a, Shape b, Shape *out);
bool shape_eq(Shape a, Shape b);
Shape shape_of(int rank, const Extent *d);
/* "[N, 256]" into the arena. */
const char *shape_str(const Graph *g, Shape s);
const char *extent_str(const Graph *g, Extent e, char *buf, size_t len);
void ir_count_uses(Graph *g);
/* seen[id] = true for root and everything it depends on (no recursion). */
void ir_mark_deps(const Graph *g, const Node *root, bool *seen);
/* seen[id] = true for everything a node already marked depends on: one sweep
 * down the topological order, so marking many roots costs O(nodes) once, not
 * once per root (a model with 100,000 outputs). */
void ir_close_deps(const Graph *g, bool *seen);
/* The IR's invariants: ids in place, inputs existing and earlier (topological
 * order), arity as declared, every shape what its op's rule gives. false with
 * the first violation in msg. */
bool ir_verify(const Graph *g, char *msg, size_t len);
/* In debug builds (no NDEBUG: Debug and the sanitizer build) ir_verify, a
 * violation an internal error naming the pass it followed; nothing otherwise. */
void ir_check(const Graph *g, const char *after);
/* Node.line of every forward node: its own binding's line, else the first
 * statement that uses it (lines.c); run after lowering, before autodiff. */
void ir_assign_lines(Graph *g);
/* Names for unnamed forward temporaries with an obvious one: the input of a
 * named elementwise unary op is NAME_pre (lines.c); before autodiff, which
 * names gradients after them (dh_pre). */
void ir_name_temps(Graph *g);
void ir_dump(const Graph *g, FILE *out, int from, int to);
const char *node_label(const Graph *g, const Node *n);    /* "h" or "%12" */
/* shape_norm.c: whose batchnorm state stats (a BN_STATS node) is: the name
 * bound to the batchnorm, else "batchnorm<k>"; fields NAME_running_mean/_var. */
const char *norm_state_of(const Graph *g, const Node *stats);
bool ir_has_op(const Graph *g, OpKind op);
#endif
