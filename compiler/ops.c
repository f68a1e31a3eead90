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

/* Ops whose second input is int labels indexing the last axis of the first:
 * exactly those with the loss shape rules. */
bool op_reads_labels(OpKind op)
{
    return op_info[op].shape == sh_loss || op_info[op].shape == sh_loss_grad;
}
