/* lower_expr: expressions to IR — names, operators, def expansion and the
 * built-in functions of SPEC §1. */
#include <math.h>
#include <string.h>
#include "lower.h"

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
    for (int k = 0; k < n; k++)
        defined_here(l, args[k]);
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
        snprintf(err.msg, sizeof err.msg, "cannot %s {0} and {1}: {%d} holds int labels, which only cross_entropy and svm take",
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
        snprintf(err.msg, sizeof err.msg, "%s of {0}: int labels are only taken by cross_entropy and svm", op_info[op].name);
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
    if (n)
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

typedef enum ArgKind { ARG_TENSOR, ARG_NUMBER, ARG_AXIS, ARG_BOOL, ARG_INTS } ArgKind;
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

/* sum or max over the axis= axis (all by default); mean divides the sum by the count. */
static Node *reduce(Lower *l, const Ast *c, Args *a, OpKind op, bool mean)
{
    Node *x = a->t[0];
    int mask;
    if (x->is_int) {
        ShapeErr err;
        snprintf(err.msg, sizeof err.msg, "cannot reduce {0}: int labels are only taken by cross_entropy and svm");
        lower_shape_error(l, c->span, &err, a->ast, a->t, 1);
        return NULL;
    }
    if (!axis_mask(l, c, a, 1, x, &mask))
        return NULL;
    Node *s = ir_reduce(l->g, op, x, mask);
    if (!mean)
        return s;
    Shape counted = { 0, { 0 } };
    for (int i = 0; i < x->shape.rank; i++)
        if (mask & 1 << i)
            counted.d[counted.rank++] = x->shape.d[i];
    return ir_binary(l->g, OP_DIV, s, ir_count(l->g, counted));
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
        return bi_reduce(l, c, &r, OP_MAXR);
    }
    if (a->given[2]) {
        diag_error(l->diags, c->span, "axis= applies to the one-tensor form %s(x, axis=k)", op == OP_MAX2 ? "max" : "min");
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

static Node *lower_call(Lower *l, const Ast *c)
{
    Sym *s = lookup_local(l, c->name) ? NULL : symtab_find(&l->syms, c->name);
    if (s && s->kind == SYM_DEF)
        return expand_def(l, c, s);
    if (s) {
        diag_error(l->diags, c->span, "'%s' is a tensor, not a function", c->name);
        return NULL;
    }
    for (int i = 0; i < NUM_BUILTINS; i++) {
        if (strcmp(builtins[i].name, c->name) != 0)
            continue;
        Args a = { 0 };
        if (!bind_args(l, &builtins[i], c, &a))
            return NULL;
        return builtins[i].fn(l, c, &a, builtins[i].op);
    }
    unknown_name(l, c, "function");
    return NULL;
}

/* ---- operators ---- */

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
