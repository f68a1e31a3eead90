/* fields: the members of the generated P_io struct, in the order SPEC §3
 * fixes — dims, inputs, params, outputs, targets, gradients, upstream
 * gradient, optimizer state, step — one list for the header, the reflection
 * table, the NULL checks and the JIT host. */
#ifndef BPC_FIELDS_H
#define BPC_FIELDS_H
#include "ir.h"
#include "plan.h"

typedef struct Field {
    const char *name;
    int role;            /* enum bp_role      */
    int dtype;           /* enum bp_dtype; BP_F32 stands for the model's float type */
    Shape shape;
    const char *of;      /* GRAD/GRAD_IN/STATE: whose                         */
    bool readonly;       /* const pointer (inputs, upstream gradient)         */
    bool value;          /* an int64_t value, not a pointer (dims, step)      */
    const Node *node;    /* the tensor behind it (not for dims/state/step)    */
    Span span;           /* where its name was written, for errors            */
} Field;

typedef struct Fields {
    Field *items;
    int n, cap;
} Fields;

Fields *fields_build(const Graph *g);
/* Report field names that cannot be struct members in model PREFIX's C (C
 * keywords, object-like macros, reserved identifiers: names.h) or that two
 * fields share; false if any. */
bool fields_check(const Fields *f, const char *prefix, Diags *d);
#endif
