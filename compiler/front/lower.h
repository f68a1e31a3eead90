/* lower: AST -> IR. Resolves names, expands defs, makes broadcasting
 * explicit, checks every shape and type, and reports what is wrong. */
#ifndef BPC_LOWER_H
#define BPC_LOWER_H
#include "ast.h"
#include "ir.h"
#include "symtab.h"

enum {
    DEF_MAX_NEST = 64,          /* def calls inside def calls          */
    LOWER_MAX_WORK = 4000000,   /* AST nodes visited while expanding   */
    MAX_EXTENT_LOG2 = 40,       /* a constant extent is at most 2^40   */
    MAX_ELEMS_LOG2 = 50         /* a tensor has at most 2^50 elements  */
};

typedef struct Local {
    const char *name;
    Node *node;
    const Ast *arg;             /* the argument it was bound to, for messages */
} Local;

typedef struct Frame {
    const Stmt *def;            /* the def being expanded              */
    Span call;                  /* where it was called                 */
    Local *locals;
    int nlocals;
} Frame;

typedef struct Lower {
    Arena *arena;
    Diags *diags;
    Graph *g;
    Symtab syms;
    Symtab outputs;     /* names already output (duplicate check in O(1)) */
    bool *wrt;          /* by decl: already in g->grads                   */
    int cwrt;
    Frame frames[DEF_MAX_NEST];
    int nframes;
    long work;
    bool work_reported;
    struct LoopCtx *loop;   /* the for-loop being lowered (lower_loop.c)     */
    Symtab loop_dead;       /* names bound inside a finished loop            */
} Lower;

/* Lower a parsed module into g; errors go to d. */
void lower_module(Lower *l, const Module *m);
/* Lower one expression in the current scope; NULL after reporting an error. */
Node *lower_expr(Lower *l, const Ast *a);
/* Evaluate a constant expression (numbers, + - * / **, unary -); false after reporting. */
bool lower_const(Lower *l, const Ast *a, double *out);
/* "h[N, 256]" or "x @ W with shape [N, 256]": how messages name an operand. */
const char *lower_describe(Lower *l, const Ast *a, const Node *n);
/* Report a failed shape rule, with {0} and {1} replaced by the operands. */
void lower_shape_error(Lower *l, Span s, const ShapeErr *err, const Ast *const *args, Node *const *nodes, int n);
/* for-loops (lower_loop.c): the statement; a name's use that the loop
 * decides (the loop variable, a name bound inside a finished loop: true, *out
 * the node or NULL after reporting); whether an index names the loop
 * variable, and its lowering. */
void lower_for(Lower *l, const Stmt *st);
bool lower_loop_name(Lower *l, const char *name, Span span, Node **out);
bool lower_is_loop_index(const Lower *l, const Ast *a);
Node *lower_loop_index(Lower *l, const Ast *a);
/* Notes "in expansion of 'f'" for each active def call. */
void lower_def_notes(Lower *l);
/* What int labels are for, the end of every error that refuses one elsewhere. */
#define LOWER_INT_USE "int labels are only read by cross_entropy, svm and gathers (slices and reshapes of them are labels too)"

#endif
