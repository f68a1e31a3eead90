/* ops: the op table, generated from ops.def: the only list of ops. */
#include <math.h>
#include "ir.h"

#define FN(name, lowering, op, params)
#define OP(id, name, arity, kind, flags, attr, shape, grad, emit, expr) \
    bool shape(const Graph *, const Node *, Shape *, ShapeErr *); \
    void grad(AdCtx *, Node *, Node *); \
    void emit(Emit *, Node *);
#include "ops.def"
#undef OP

/* The constant folder of every op: an elementwise op's expr compiled as C on
 * doubles (x, y its inputs, a its attribute); NAN for an op without one. */
#define X x
#define Y y
#define A a
#define F(fn) fn
#define E(e) return (double)(e);
#define NOEXPR return NAN;
#define OP(id, name, arity, kind, flags, attr, shape, grad, emit, expr) \
    static double fold_##id(double x, double y, double a) { (void)x; (void)y; (void)a; expr }
#include "ops.def"
#undef OP
#undef X
#undef Y
#undef A
#undef F
#undef E
#undef NOEXPR

/* The table; the expr column also becomes its text, expanded by the loop emitter. */
#define E(e) #e
#define NOEXPR NULL
#define OP(id, name, arity, kind, flags, attr, shape, grad, emit, expr) \
    [OP_##id] = { name, arity, kind, flags, attr, shape, grad, emit, expr, fold_##id },
const OpInfo op_info[OP_COUNT_] = {
#include "ops.def"
};
#undef OP
#undef E
#undef NOEXPR
#undef FN

bool op_reads_labels(OpKind op) { return op_has(op, F_LABELS | F_GATHER); }

Extent op_label_range(const Node *n)
{
    if (!op_has(n->op, F_GATHER))   /* a loss: the class axis, the scores' last */
        return n->in[0]->shape.d[n->in[0]->shape.rank - 1];
    return op_info[n->op].kind == K_KERNEL ? n->shape.d[0] : n->in[0]->shape.d[0];
}

/* How each op prints (ops_print.def); zeros (a call) for the ops not listed. */
#define PRINT(id, prec, right, form, verb) [OP_##id] = { prec, right, form, verb },
const OpPrint op_print[OP_COUNT_] = {
#include "ops_print.def"
};
#undef PRINT

