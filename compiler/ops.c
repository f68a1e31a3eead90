/* ops: the op table, generated from ops.def: the only list of ops. */
#include "ir.h"

#define OP(id, name, arity, kind, shape, grad, tmpl) \
    bool shape(const Graph *, const Node *, Shape *, ShapeErr *); \
    void grad(AdCtx *, Node *, Node *);
#include "ops.def"
#undef OP

const OpInfo op_info[OP_COUNT_] = {
#define OP(id, name, arity, kind, shape, grad, tmpl) [OP_##id] = { name, arity, kind, shape, grad, tmpl },
#include "ops.def"
#undef OP
};
