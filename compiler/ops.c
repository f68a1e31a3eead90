/* ops: the op table, generated from ops.def: the only list of ops. */
#include "ir.h"

#define OP(id, name, arity, kind, shape, grad, emit, tmpl) \
    bool shape(const Graph *, const Node *, Shape *, ShapeErr *); \
    void grad(AdCtx *, Node *, Node *); \
    void emit(Emit *, Node *);
#include "ops.def"
#undef OP

const OpInfo op_info[OP_COUNT_] = {
#define OP(id, name, arity, kind, shape, grad, emit, tmpl) [OP_##id] = { name, arity, kind, shape, grad, emit, tmpl },
#include "ops.def"
#undef OP
};
