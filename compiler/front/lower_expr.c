/* lower_expr: expressions to IR — names, operators, def expansion and the
 * built-in functions of SPEC §1. */
#include <math.h>
#include <string.h>
#include "dims.h"
#include "lower.h"
#include "lower_layout.h"

static bool finite_number(Lower *l, const Ast *a);

/* ---- messages ---- */

const char *lower_describe(Lower *l, const Ast *a, const Node *n)
{
    const char *shape = shape_str(l->g, n->shape);
    if (a && a->kind == AST_NAME)
        return arena_printf(l->arena, "%s%s", a->name, shape);
    const char *text = a ? span_text(l->diags, a->span) : "";
    if (a && a->span.end_line == a->span.line && strlen(text) <= 40)
        return arena_printf(l->arena, "'%s' of shape %s", text, shape);
    return arena_printf(l->arena, "an operand of shape %s", shape);
}

void lower_def_notes(Lower *l)
{
    for (int i = l->nframes - 1; i >= 0; i--)
        diag_note(l->diags, l->frames[i].call, "in expansion of '%s' called here", l->frames[i].def->name);
}

/* The place a named operand was defined, as a note. */
static void defined_here(Lower *l, const Ast *a)
{
    if (!a || a->kind != AST_NAME || l->nframes)
        return;
    Sym *s = symtab_find(&l->syms, a->name);
    if (s && s->kind != SYM_DEF)
        diag_note(l->diags, s->span, "'%s' is defined here", a->name);
}

void lower_shape_error(Lower *l, Span s, const ShapeErr *err, const Ast *const *args, Node *const *nodes, int n)
{
    char out[1024] = "";
    size_t len = 0;
    for (const char *p = err->msg; *p && len < sizeof out - 1; p++) {
        if (p[0] == '{' && p[1] >= '0' && p[1] < '0' + n && p[2] == '}') {
            int k = p[1] - '0';
            len += (size_t)snprintf(out + len, sizeof out - len, "%s", lower_describe(l, args[k], nodes[k]));
            p += 2;
        } else {
            out[len++] = *p;
            out[len] = 0;
        }
    }
    diag_error(l->diags, s, "%s", out);
    for (int k = 0; k < n; k++) {
        bool again = false;   /* concat(x, x): one note for x */
        for (int j = 0; j < k; j++)
            again |= args[j] && args[k] && args[j]->kind == AST_NAME && args[k]->kind == AST_NAME &&
                     strcmp(args[j]->name, args[k]->name) == 0;
        if (!again)
            defined_here(l, args[k]);
    }
    lower_def_notes(l);
}

/* ---- building with checks ---- */

static Node *make_checked(Lower *l, Node proto, Span s, const Ast *const *args)
{
    ShapeErr err;
    Node *r = ir_make(l->g, &proto, &err);
    if (!r)
        lower_shape_error(l, s, &err, args, proto.in, proto.nin);
    return r;
}

/* What a message says op does to two operands ("add"): the op table's. */
static const char *verb_of(OpKind op) { return op_print[op].verb ? op_print[op].verb : op_info[op].name; }

/* a (op) b, elementwise with NumPy broadcasting. */
static Node *elementwise2(Lower *l, OpKind op, Node *a, Node *b, Span s, const Ast *aa, const Ast *ab)
{
    const Ast *args[2] = { aa, ab };
    Node *nodes[2] = { a, b };
    ShapeErr err;
    if (a->is_int || b->is_int) {
        snprintf(err.msg, sizeof err.msg, "cannot %s {0} and {1}: {%d} holds int labels; " LOWER_INT_USE,
                 verb_of(op), a->is_int ? 0 : 1);
        lower_shape_error(l, s, &err, args, nodes, 2);
        return NULL;
    }
    Shape r;
    if (!shape_broadcast(a->shape, b->shape, &r)) {
        int ax = 0;
        for (int i = 1; i <= a->shape.rank && i <= b->shape.rank; i++)
            if (a->shape.d[a->shape.rank - i] != b->shape.d[b->shape.rank - i] &&
                a->shape.d[a->shape.rank - i] != 1 && b->shape.d[b->shape.rank - i] != 1)
                ax = i;
        snprintf(err.msg, sizeof err.msg, "cannot %s {0} and {1}: shapes do not broadcast (axis -%d differs%s)",
                 verb_of(op), ax, op == OP_MUL ? "; for a matrix product use @" : "");
        lower_shape_error(l, s, &err, args, nodes, 2);
        return NULL;
    }
    return ir_binary(l->g, op, a, b);
}

static Node *unary_checked(Lower *l, OpKind op, Node *x, double attr, Span s, const Ast *ax)
{
    if (x->is_int) {
        ShapeErr err;
        snprintf(err.msg, sizeof err.msg, "%s of {0}: " LOWER_INT_USE, op_info[op].name);
        lower_shape_error(l, s, &err, &ax, &x, 1);
        return NULL;
    }
    return ir_unary_attr(l->g, op, x, attr);
}

/* ---- names and defs ---- */

static Node *lookup_local(Lower *l, const char *name)
{
    if (!l->nframes)
        return NULL;
    Frame *f = &l->frames[l->nframes - 1];
    for (int i = 0; i < f->nlocals; i++)
        if (strcmp(f->locals[i].name, name) == 0)
            return f->locals[i].node;
    return NULL;
}

static const char *const builtin_names[];
static int builtin_count(void);

static void unknown_name(Lower *l, const Ast *a, const char *what)
{
    const char *hint = symtab_suggest(&l->syms, a->name, builtin_names, builtin_count());
    if (hint)
        diag_error(l->diags, a->span, "unknown %s '%s'; did you mean '%s'?", what, a->name, hint);
    else
        diag_error(l->diags, a->span, "unknown %s '%s'", what, a->name);
    lower_def_notes(l);
}

static Node *lower_name(Lower *l, const Ast *a)
{
    Node *n = lookup_local(l, a->name);
    if (n || lower_loop_name(l, a->name, a->span, &n))
        return n;
    Sym *s = symtab_find(&l->syms, a->name);
    if (!s) {
        unknown_name(l, a, "name");
        return NULL;
    }
    s->used = true;
    if (s->decl >= 0)
        l->g->decls[s->decl].used = true;
    if (s->kind == SYM_DIM && s->decl < 0)
        return NULL;   /* reported where it was declared */
    if (s->kind == SYM_DIM) {
        Decl *d = &l->g->decls[s->decl];
        if (d->sym < 0)
            return ir_const(l->g, (double)d->value);
        return ir_count(l->g, (Shape){ 1, { -(Extent)d->sym - 1 } });
    }
    if (s->kind == SYM_DEF) {
        diag_error(l->diags, a->span, "'%s' is a def; call it with arguments: %s(...)", a->name, a->name);
        return NULL;
    }
    return s->node;   /* NULL for a binding whose definition was reported */
}

static Node *expand_def(Lower *l, const Ast *call, Sym *s)
{
    const Stmt *def = s->def;
    for (int i = 0; i < l->nframes; i++)
        if (l->frames[i].def == def) {
            diag_error(l->diags, call->span, "'%s' calls itself; defs are expanded inline and cannot recurse", def->name);
            lower_def_notes(l);
            return NULL;
        }
    if (l->nframes == DEF_MAX_NEST) {
        diag_error(l->diags, call->span, "def calls nested too deeply (more than %d)", DEF_MAX_NEST);
        return NULL;
    }
    if (call->nargs != def->nnames) {
        diag_error(l->diags, call->span, "'%s' takes %d argument%s, found %d", def->name, def->nnames,
                   def->nnames == 1 ? "" : "s", call->nargs);
        diag_note(l->diags, def->name_span, "'%s' is defined here", def->name);
        return NULL;
    }
    Local *locals = arena_alloc(l->arena, sizeof *locals * (size_t)(def->nnames + 1));
    for (int i = 0; i < call->nargs; i++) {
        if (call->args[i].key) {
            diag_error(l->diags, call->args[i].key_span, "defs take positional arguments only");
            return NULL;
        }
        locals[i] = (Local){ def->names[i].name, lower_expr(l, call->args[i].value), call->args[i].value };
        if (!locals[i].node)
            return NULL;
    }
    s->used = true;
    l->frames[l->nframes++] = (Frame){ def, call->span, locals, call->nargs };
    Node *r = lower_expr(l, def->expr);
    l->nframes--;
    return r;
}

/* ---- built-in functions ---- */

/* ARG_TENSORS: any number of positional tensors, read by the lowering itself (concat) */
typedef enum ArgKind { ARG_TENSOR, ARG_NUMBER, ARG_AXIS, ARG_BOOL, ARG_INTS, ARG_TENSORS } ArgKind;
enum { MAX_PARAMS = 6 };

typedef struct ParamSpec {
    const char *name;
    ArgKind kind;
    bool optional;
    double dflt;
} ParamSpec;

typedef struct Args {
    Node *t[MAX_PARAMS];     /* tensors, by parameter position */
    const Ast *ast[MAX_PARAMS];
    double num[MAX_PARAMS];
    bool given[MAX_PARAMS];
} Args;

typedef Node *(*BuiltinFn)(Lower *l, const Ast *call, Args *a, OpKind op);

typedef struct Builtin {
    const char *name;
    BuiltinFn fn;
    OpKind op;
    ParamSpec params[MAX_PARAMS];
} Builtin;

static Node *bi_unary(Lower *l, const Ast *c, Args *a, OpKind op)
{
    return unary_checked(l, op, a->t[0], a->num[1], c->span, a->ast[0]);
}

/* axis=k: negative k counts from the end; the mask of reduced axes. */
static bool axis_mask(Lower *l, const Ast *c, Args *a, int slot, const Node *x, int *mask)
{
    if (!a->given[slot]) {
        *mask = (1 << x->shape.rank) - 1;
        return true;
    }
    double k = a->num[slot];
    int r = x->shape.rank;
    if (k != floor(k) || k < -r || k >= r) {
        const Ast *arg = a->ast[slot] ? a->ast[slot] : c;
        diag_error(l->diags, arg->span, "axis %g is out of range for %s (rank %d: expected %d..%d)", k,
                   lower_describe(l, a->ast[0], x), r, -r, r - 1);
        lower_def_notes(l);
        return false;
    }
    *mask = 1 << (int)(k < 0 ? k + r : k);
    return true;
}

/* keepdims=true: r, the reduction of x over mask, with the reduced axes kept at extent 1 */
static Node *keep_dims(Lower *l, Node *r, const Node *x, int mask)
{
    Shape kept = x->shape;
    for (int i = 0; i < kept.rank; i++)
        if (mask & 1 << i)
            kept.d[i] = 1;
    return ir_reshape(l->g, r, kept);
}

/* sum or max over the axis= axis (all by default); mean divides the sum by the count;
 * slot 2 is keepdims. */
static Node *reduce(Lower *l, const Ast *c, Args *a, OpKind op, bool mean)
{
    Node *x = a->t[0];
    int mask;
    if (x->is_int) {
        ShapeErr err;
        snprintf(err.msg, sizeof err.msg, "cannot reduce {0}: " LOWER_INT_USE);
        lower_shape_error(l, c->span, &err, a->ast, a->t, 1);
        return NULL;
    }
    if (!axis_mask(l, c, a, 1, x, &mask))
        return NULL;
    Node *s = ir_reduce(l->g, op, x, mask);
    if (mean) {
        Shape counted = { 0, { 0 } };
        for (int i = 0; i < x->shape.rank; i++)
            if (mask & 1 << i)
                counted.d[counted.rank++] = x->shape.d[i];
        s = ir_binary(l->g, OP_DIV, s, ir_count(l->g, counted));
    }
    return a->num[2] ? keep_dims(l, s, x, mask) : s;
}

static Node *bi_reduce(Lower *l, const Ast *c, Args *a, OpKind op) { return reduce(l, c, a, op, false); }
static Node *bi_mean(Lower *l, const Ast *c, Args *a, OpKind op) { return reduce(l, c, a, op, true); }

static Node *bi_max_min(Lower *l, const Ast *c, Args *a, OpKind op)
{
    if (!a->t[1]) {
        if (op == OP_MIN2) {
            diag_error(l->diags, c->span, "min takes two tensors (elementwise); for a reduction use -max(-x)");
            return NULL;
        }
        Args r = { { a->t[0] }, { a->ast[0] }, { 0 }, { true } };
        r.num[1] = a->num[2];
        r.given[1] = a->given[2];
        r.num[2] = a->num[3];
        return bi_reduce(l, c, &r, OP_MAXR);
    }
    if (a->given[2] || a->given[3]) {
        diag_error(l->diags, c->span, "%s= applies to the one-tensor form %s(x, axis=k)", a->given[2] ? "axis" : "keepdims",
                   op == OP_MAX2 ? "max" : "min");
        return NULL;
    }
    return elementwise2(l, op, a->t[0], a->t[1], c->span, a->ast[0], a->ast[1]);
}

static Node *bi_kernel(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node p = { .op = op, .nin = op_info[op].arity, .in = { a->t[0], a->t[1], a->t[2] }, .f = a->num[2] };
    Node *r = make_checked(l, p, c->span, a->ast);
    if (r && op_reads_labels(op)) {
        Decl *labels = a->t[1]->op == OP_INPUT ? &l->g->decls[a->t[1]->decl] : NULL;
        if (labels)
            labels->label = true;
    }
    return r;
}

/* mse(a, b) = mean((a - b)²) over all elements */
static Node *bi_mse(Lower *l, const Ast *c, Args *a, OpKind op)
{
    (void)op;
    Node *d = elementwise2(l, OP_SUB, a->t[0], a->t[1], c->span, a->ast[0], a->ast[1]);
    if (!d)
        return NULL;
    Node *sq = ir_unary(l->g, OP_SQUARE, d);
    return ir_binary(l->g, OP_DIV, ir_reduce(l->g, OP_SUM, sq, (1 << sq->shape.rank) - 1), ir_count(l->g, sq->shape));
}

/* ---- issue 9, batched matmul group: softmax axis, var, causal ---- */

/* softmax(x, axis=k) / log_softmax: the row kernel over the last axis, the axis kernel otherwise */
static Node *bi_softmax(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node *x = a->t[0];
    int mask;
    if (x->is_int || x->shape.rank == 0 || !a->given[1])
        return bi_kernel(l, c, a, op);
    if (!axis_mask(l, c, a, 1, x, &mask))
        return NULL;
    if (mask == 1 << (x->shape.rank - 1))
        return bi_kernel(l, c, a, op);
    Node p = { .op = op == OP_SOFTMAX ? OP_SOFTMAX_AX : OP_LOG_SOFTMAX_AX, .nin = 1, .in = { x }, .axes = mask };
    return make_checked(l, p, c->span, a->ast);
}

/* var(x [, axis=k] [, keepdims=true]): the biased variance (torch.var(unbiased=False)) */
static Node *bi_var(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node *x = a->t[0];
    int mask;
    if (!x->is_int && !axis_mask(l, c, a, 1, x, &mask))
        return NULL;
    if (x->is_int || x->shape.rank == 0)
        mask = 0;
    Node p = { .op = op, .nin = 1, .in = { x }, .axes = mask };
    Node *r = make_checked(l, p, c->span, a->ast);
    if (r && x->shape.rank == 0)
        return ir_const(l->g, 0);   /* the variance of one number */
    return r && a->num[2] ? keep_dims(l, r, x, mask) : r;
}

static Node *bi_causal(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node p = { .op = op, .nin = 1, .in = { a->t[0] } };
    return make_checked(l, p, c->span, a->ast);
}

/* layout (lower_layout.c) */
static Node *bi_transpose(Lower *l, const Ast *c, Args *a, OpKind op)
{
    (void)op;
    return lower_transpose(l, c, a->t[0], a->ast[0], a->num + 1, a->ast + 1);
}

static Node *bi_reshape(Lower *l, const Ast *c, Args *a, OpKind op)
{
    (void)op, (void)c;
    return lower_reshape(l, a->t[0], a->ast[0], a->ast[1]);
}

static Node *bi_concat(Lower *l, const Ast *c, Args *a, OpKind op)
{
    (void)a, (void)op;
    return lower_concat(l, c);
}

/* ---- convolution and pooling ---- */

/* Argument slot as an integer >= lo, or a diagnostic at the argument. */
static bool int_arg(Lower *l, const Ast *c, Args *a, int slot, const char *what, int64_t lo, int64_t *out)
{
    double v = a->num[slot];
    if (v != floor(v) || v < (double)lo || v > 1e9) {
        diag_error(l->diags, (a->ast[slot] ? a->ast[slot] : c)->span, "%s of %s must be an integer >= %lld, not %g", what,
                   c->name, (long long)lo, v);
        lower_def_notes(l);
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* conv2d(x, w, stride=1, pad=0): ints [stride, pad] */
static Node *bi_conv2d(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node p = { .op = op, .nin = 2, .in = { a->t[0], a->t[1] }, .nints = 2 };
    if (!int_arg(l, c, a, 2, "stride", 1, &p.ints[0]) || !int_arg(l, c, a, 3, "pad", 0, &p.ints[1]))
        return NULL;
    return make_checked(l, p, c->span, a->ast);
}

/* maxpool2d / avgpool2d(x, k, stride=k): ints [k, stride] */
static Node *bi_pool(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node p = { .op = op, .nin = 1, .in = { a->t[0] }, .nints = 2 };
    if (!int_arg(l, c, a, 1, "k", 1, &p.ints[0]))
        return NULL;
    if (!a->given[2])
        p.ints[1] = p.ints[0];
    else if (!int_arg(l, c, a, 2, "stride", 1, &p.ints[1]))
        return NULL;
    return make_checked(l, p, c->span, a->ast);
}

/* flatten(x) = reshape to [extent 0, product of the rest] */
static Node *bi_flatten(Lower *l, const Ast *c, Args *a, OpKind op)
{
    (void)op;
    Node *x = a->t[0];
    if (x->shape.rank < 1) {
        diag_error(l->diags, c->span, "flatten of %s: a scalar has no axis 0", lower_describe(l, a->ast[0], x));
        lower_def_notes(l);
        return NULL;
    }
    DimPoly rest = dims_const(1);   /* the product of the extents after axis 0: N*T*D is a derived dim */
    for (int k = 1; k < x->shape.rank; k++)
        rest = dims_mul(rest, dims_poly(l->g, x->shape.d[k]));
    Extent ext;
    if (!dims_extent(l->g, rest, &ext)) {
        diag_error(l->diags, c->span, "flatten of %s: the product of the extents after axis 0 is too large to represent",
                   lower_describe(l, a->ast[0], x));
        lower_def_notes(l);
        return NULL;
    }
    Shape to = { 2, { x->shape.d[0], ext } };
    return ir_reshape(l->g, x, to);
}

/* ---- normalization and dropout (ops.def "normalization and dropout") ---- */

/* How many nodes of op the graph holds: the index of the next batchnorm or
 * dropout, which keys its state fields or its random mask. */
static int op_sites(const Lower *l, OpKind op)
{
    int k = 0;
    for (int i = 0; i < l->g->n; i++)
        k += l->g->nodes[i]->op == op;
    return k;
}

/* gamma and beta (slots 1 and 2) are float vectors [extent]; eps (slot 3)
 * is >= 0 and momentum (slot 4, batchnorm's) in [0, 1]. */
static bool norm_args(Lower *l, const Ast *c, Args *a, Extent extent, const char *axis)
{
    ShapeErr err;
    for (int k = 1; k <= 2; k++) {
        Node *t = a->t[k];
        if (t->is_int || t->shape.rank != 1 || t->shape.d[0] != extent) {
            char buf[32];
            snprintf(err.msg, sizeof err.msg, "%s of {0} needs %s of shape [%s] (%s), found {1}", c->name,
                     k == 1 ? "gamma" : "beta", extent_str(l->g, extent, buf, sizeof buf), axis);
            const Ast *args[2] = { a->ast[0], a->ast[k] };
            Node *nodes[2] = { a->t[0], t };
            lower_shape_error(l, c->span, &err, args, nodes, 2);
            return false;
        }
    }
    const char *bad = a->num[3] < 0 ? "eps must be >= 0" : a->ast[4] && (a->num[4] < 0 || a->num[4] > 1) ? "momentum must lie in [0, 1]" : NULL;
    if (bad) {
        diag_error(l->diags, a->ast[a->num[3] < 0 ? 3 : 4]->span, "%s's %s, found %g", c->name, bad,
                   a->num[a->num[3] < 0 ? 3 : 4]);
        lower_def_notes(l);
        return false;
    }
    return true;
}

/* layernorm(x, gamma, beta, eps) over the last axis */
static Node *bi_layernorm(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node *x = a->t[0];
    Node p = { .op = OP_LN_STATS, .nin = 1, .in = { x }, .f = a->num[3] };
    Node *st = make_checked(l, p, c->span, a->ast);
    if (!st || !norm_args(l, c, a, x->shape.d[x->shape.rank - 1], "its last axis"))
        return NULL;
    return make_checked(l, (Node){ .op = op, .nin = 4, .in = { x, st, a->t[1], a->t[2] } }, c->span, a->ast);
}

/* batchnorm(x, gamma, beta, eps, momentum) over every axis but the channel (axis 1) */
static Node *bi_batchnorm(Lower *l, const Ast *c, Args *a, OpKind op)
{
    Node *x = a->t[0];
    Node p = { .op = OP_BN_STATS, .nin = 1, .in = { x }, .f = a->num[4], .decl = op_sites(l, OP_BN_STATS) };
    Node *st = make_checked(l, p, c->span, a->ast);
    if (!st || !norm_args(l, c, a, x->shape.d[1], "its channel axis, axis 1"))
        return NULL;
    return make_checked(l, (Node){ .op = op, .nin = 4, .in = { x, st, a->t[1], a->t[2] }, .f = a->num[3] }, c->span, a->ast);
}

/* dropout(x, p), 0 <= p <= 1 */
static Node *bi_dropout(Lower *l, const Ast *c, Args *a, OpKind op)
{
    if (!(a->num[1] >= 0 && a->num[1] <= 1)) {
        diag_error(l->diags, a->ast[1]->span, "dropout's p is a probability: it must lie in [0, 1], found %g", a->num[1]);
        lower_def_notes(l);
        return NULL;
    }
    Node p = { .op = op, .nin = 1, .in = { a->t[0] }, .f = a->num[1], .decl = op_sites(l, op) };
    return make_checked(l, p, c->span, a->ast);
}

/* The FN rows of ops.def: the language's functions, their parameters and lowerings. */
#define REQ false, 0
#define OPT true, 0
#define DEF(v) true, v
#define P(name, kind, need) { name, kind, need }
#define PARAMS(...) { __VA_ARGS__ }
#define OP(id, name, arity, kind, flags, attr, shape, grad, emit, expr)
#define FN(name, lowering, op, params) { name, lowering, OP_##op, params },
static const Builtin builtins[] = {
#include "ops.def"
};
#undef FN
#define FN(name, lowering, op, params) name,
static const char *const builtin_names[] = {
#include "ops.def"
};
#undef FN
#undef OP
enum { NUM_BUILTINS = sizeof builtins / sizeof builtins[0] };
static int builtin_count(void) { return NUM_BUILTINS; }

static int nparams(const Builtin *b)
{
    int n = 0;
    while (n < MAX_PARAMS && b->params[n].name)
        n++;
    return n;
}

/* A boolean argument: true or false (1 or 0). */
static bool lower_bool(Lower *l, const Builtin *b, const ParamSpec *p, const Ast *value, double *out)
{
    if (value->kind == AST_NAME && (strcmp(value->name, "true") == 0 || strcmp(value->name, "false") == 0)) {
        *out = value->name[0] == 't';
        return true;
    }
    if (value->kind == AST_NUM && (value->num == 0 || value->num == 1)) {
        *out = value->num;
        return true;
    }
    diag_error(l->diags, value->span, "argument '%s' of %s is true or false, found '%s'", p->name, b->name,
               span_text(l->diags, value->span));
    return false;
}

static bool bind_arg(Lower *l, const Builtin *b, Args *a, int slot, const Ast *value)
{
    const ParamSpec *p = &b->params[slot];
    if (a->given[slot] || a->ast[slot]) {
        diag_error(l->diags, value->span, "argument '%s' of %s given twice", p->name, b->name);
        return false;
    }
    a->given[slot] = true;
    a->ast[slot] = value;
    if (p->kind == ARG_TENSOR)
        return (a->t[slot] = lower_expr(l, value)) != NULL;
    if (p->kind == ARG_BOOL)
        return lower_bool(l, b, p, value, &a->num[slot]);
    if (p->kind == ARG_INTS)
        return true;   /* the lowering reads the list a->ast[slot] */
    return lower_const(l, value, &a->num[slot]);
}

static bool bind_args(Lower *l, const Builtin *b, const Ast *c, Args *a)
{
    int np = nparams(b), pos = 0;
    for (int i = 0; i < c->nargs; i++) {
        const AstArg *arg = &c->args[i];
        int slot = -1;
        if (!arg->key) {
            slot = pos++;
            if (slot >= np || b->params[slot].kind == ARG_AXIS) {
                diag_error(l->diags, arg->value->span, "too many arguments to %s (it takes %d%s)", b->name,
                           slot, slot < np ? "; give the axis as axis=k" : "");
                return false;
            }
        } else {
            for (int k = 0; k < np; k++)
                if (strcmp(b->params[k].name, arg->key) == 0)
                    slot = k;
            if (slot < 0) {
                diag_error(l->diags, arg->key_span, "%s has no argument '%s'", b->name, arg->key);
                return false;
            }
        }
        if (!bind_arg(l, b, a, slot, arg->value))
            return false;
    }
    for (int k = 0; k < np; k++) {
        if (!a->given[k] && !b->params[k].optional) {
            diag_error(l->diags, c->span, "%s needs argument '%s'", b->name, b->params[k].name);
            return false;
        }
        if (!a->given[k])
            a->num[k] = b->params[k].dflt;
    }
    return true;
}

/* A call names a def or a function of the language. Tensors are never
 * callable, so a binding that shares a function's name (`sum = ...`) does not
 * hide the function from calls, wherever they are (a def's body expanded
 * after the binding included). */
static Node *lower_call(Lower *l, const Ast *c)
{
    Sym *s = lookup_local(l, c->name) ? NULL : symtab_find(&l->syms, c->name);
    if (s && s->kind == SYM_DEF)
        return expand_def(l, c, s);
    for (int i = 0; i < NUM_BUILTINS; i++) {
        if (strcmp(builtins[i].name, c->name) != 0)
            continue;
        Args a = { 0 };
        if (builtins[i].params[0].kind == ARG_TENSORS)
            return builtins[i].fn(l, c, &a, builtins[i].op);
        if (!bind_args(l, &builtins[i], c, &a))
            return NULL;
        return builtins[i].fn(l, c, &a, builtins[i].op);
    }
    if (s || lookup_local(l, c->name)) {
        diag_error(l->diags, c->span, "'%s' is a tensor, not a function", c->name);
        return NULL;
    }
    unknown_name(l, c, "function");
    return NULL;
}

/* ---- operators ---- */

/* [k] @ [..., k, n] → [..., n] and [..., m, k] @ [k] → [..., m] (NumPy's matmul):
 * the vector as a 1-row / 1-column matrix, that axis dropped from the result. */
static Node *matmul_vector(Lower *l, Node *x, Node *y, Span s, const Ast *const *args)
{
    bool left = x->shape.rank == 1;
    Node *v = left ? x : y;
    Shape m = { 2, { 1, 1 } };
    m.d[left ? 1 : 0] = v->shape.d[0];
    Node *vm = ir_reshape(l->g, v, m);
    Node p = { .op = OP_MATMUL, .nin = 2, .in = { left ? vm : x, left ? y : vm } };
    ShapeErr err;
    Node *r = ir_make(l->g, &p, &err);
    if (!r) {
        Node *ops[2] = { x, y };
        lower_shape_error(l, s, &err, args, ops, 2);
        return NULL;
    }
    Shape out = r->shape;
    int drop = out.rank - (left ? 2 : 1);
    for (int i = drop; i + 1 < out.rank; i++)
        out.d[i] = out.d[i + 1];
    out.rank--;
    return ir_reshape(l->g, r, out);
}

static Node *lower_binary(Lower *l, const Ast *a)
{
    if (a->op == '^') {
        double e;
        Node *x = lower_expr(l, a->lhs);
        if (!x || !lower_const(l, a->rhs, &e))
            return NULL;
        return unary_checked(l, OP_POWC, x, e, a->span, a->lhs);
    }
    Node *x = lower_expr(l, a->lhs), *y = x ? lower_expr(l, a->rhs) : NULL;
    if (!y)
        return NULL;
    if (a->op == '@') {
        const Ast *args[2] = { a->lhs, a->rhs };
        if ((x->shape.rank == 1 && y->shape.rank > 2) || (y->shape.rank == 1 && x->shape.rank > 2))
            return matmul_vector(l, x, y, a->span, args);
        Node p = { .op = OP_MATMUL, .nin = 2, .in = { x, y } };
        return make_checked(l, p, a->span, args) ? ir_matmul(l->g, x, y) : NULL;
    }
    OpKind op = a->op == '+' ? OP_ADD : a->op == '-' ? OP_SUB : a->op == '*' ? OP_MUL : OP_DIV;
    return elementwise2(l, op, x, y, a->span, a->lhs, a->rhs);
}

Node *lower_expr(Lower *l, const Ast *a)
{
    if (++l->work > LOWER_MAX_WORK) {
        if (!l->work_reported)
            diag_error(l->diags, a->span, "the model expands to more than %d operations (defs calling defs?)", LOWER_MAX_WORK);
        l->work_reported = true;
        return NULL;
    }
    switch (a->kind) {
    case AST_NUM: return finite_number(l, a) ? ir_const(l->g, a->num) : NULL;
    case AST_NAME: return lower_name(l, a);
    case AST_CALL: return lower_call(l, a);
    case AST_BINARY: return lower_binary(l, a);
    case AST_NEG: {
        Node *x = lower_expr(l, a->lhs);
        return x ? unary_checked(l, OP_NEG, x, 0, a->span, a->lhs) : NULL;
    }
    case AST_TRANSPOSE: {
        Node *x = lower_expr(l, a->lhs);
        return x ? ir_transpose(l->g, x) : NULL;
    }
    case AST_INDEX:
        if (lower_is_loop_index(l, a))
            return lower_loop_index(l, a);
        return lower_index(l, a);
    case AST_LIST:
        diag_error(l->diags, a->span, "a list [...] is only an argument (reshape's extents), not a tensor");
        return NULL;
    }
    return NULL;
}

/* ---- constants ---- */

/* A literal beyond double's range (1e400) reads as inf: an error, never a silent inf. */
static bool finite_number(Lower *l, const Ast *a)
{
    if (isfinite(a->num))
        return true;
    diag_error(l->diags, a->span, "number too large: it is beyond double precision's range (about 1.8e308)");
    return false;
}

bool lower_const(Lower *l, const Ast *a, double *out)
{
    double x, y;
    switch (a->kind) {
    case AST_NUM: *out = a->num; return finite_number(l, a);
    case AST_NEG:
        if (!lower_const(l, a->lhs, &x))
            return false;
        *out = -x;
        return true;
    case AST_BINARY:
        if (a->op == '@')
            break;
        if (!lower_const(l, a->lhs, &x) || !lower_const(l, a->rhs, &y))
            return false;
        *out = a->op == '+' ? x + y : a->op == '-' ? x - y : a->op == '*' ? x * y : a->op == '/' ? x / y : pow(x, y);
        if (!isfinite(*out)) {
            diag_error(l->diags, a->span, "constant is not a finite number");
            return false;
        }
        return true;
    default: break;
    }
    if (!l->diags->stopped)
        diag_error(l->diags, a->span, "expected a constant number here");
    return false;
}
