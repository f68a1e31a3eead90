/* ast: the parsed form of a .bp file, exactly as written (names unresolved). */
#ifndef BPC_AST_H
#define BPC_AST_H
#include <stdbool.h>
#include <stdint.h>
#include "diag.h"

/* Deeper expressions are rejected with an error: every later walk recurses. */
enum { AST_MAX_DEPTH = 2000 };

typedef enum AstKind {
    AST_NUM,       /* 1.5, 1e-4                       */
    AST_NAME,      /* x                               */
    AST_BINARY,    /* a + b, a @ b, a ** 2 (op)       */
    AST_NEG,       /* -a                              */
    AST_TRANSPOSE, /* aᵀ, a.T                         */
    AST_CALL,      /* f(a, b, axis=1)                 */
    AST_INDEX,     /* x[:, 2:5], W[l], E[ids]: lhs indexed by idx */
    AST_LIST       /* [N * T, -1]: the values in args (no keys) */
} AstKind;

typedef struct Ast Ast;

typedef struct AstArg {
    const char *key;  /* keyword, or NULL for a positional argument */
    Span key_span;
    Ast *value;
} AstArg;

/* One position of an index: an expression (an integer, the loop variable, an
 * int tensor of ids) or a slice lo:hi with either bound left out (NULL). */
typedef struct AstIndex {
    bool is_slice;
    Ast *value;           /* !is_slice                                   */
    Ast *lo, *hi;         /* is_slice: NULL when not written (x[:, 2:])  */
    Span span;
} AstIndex;

struct Ast {
    AstKind kind;
    Span span;
    int depth;            /* 1 + the deepest child: walks check it first */
    double num;           /* AST_NUM                                      */
    bool is_int;          /* AST_NUM written without '.' or exponent      */
    const char *name;     /* AST_NAME, AST_CALL                           */
    int op;               /* AST_BINARY: '+', '-', '*', '/', '@', '^' (**) */
    Ast *lhs, *rhs;       /* AST_BINARY; AST_NEG and AST_TRANSPOSE use lhs */
    AstArg *args;         /* AST_CALL; AST_LIST (keys NULL)               */
    int nargs, cargs;
    AstIndex *idx;        /* AST_INDEX: one per indexed axis, in order    */
    int nidx, cidx;
};

/* An extent in a declaration: a dim name or an integer. */
typedef struct AstDim {
    const char *name;     /* NULL: the literal value */
    int64_t value;
    Span span;
} AstDim;

/* One name in a `dim` list. */
typedef struct AstDimDecl {
    const char *name;
    Span span;
    Ast *value;           /* NULL: a symbolic dim */
} AstDimDecl;

typedef struct AstIdent {
    const char *name;
    Span span;
} AstIdent;

typedef enum StmtKind {
    ST_DIM,       /* dim N, D = 784                     */
    ST_INPUT,     /* input x[N, D] : int                */
    ST_PARAM,     /* param W[D, H] ~ he                 */
    ST_DEF,       /* def f(a, b) = expr                 */
    ST_BIND,      /* name = expr                        */
    ST_OUTPUT,    /* output a, b                        */
    ST_GRAD,      /* grad T wrt a, b                    */
    ST_OPTIMIZE,  /* optimize T with sgd(lr = 0.1)      */
    ST_FOR        /* for l in 0..L { ... }              */
} StmtKind;

typedef struct Stmt {
    StmtKind kind;
    Span span;            /* the whole statement                          */
    const char *name;     /* INPUT, PARAM, DEF, BIND; GRAD/OPTIMIZE target */
    Span name_span;
    AstDimDecl *dims;     /* ST_DIM                                       */
    int ndims, cdims;
    AstDim *shape;        /* INPUT, PARAM                                 */
    int rank, cshape;
    bool is_int;          /* INPUT : int                                  */
    Ast *expr;            /* PARAM init, DEF body, BIND value, OPTIMIZE optimizer call */
    AstIdent *names;      /* DEF params, OUTPUT names, GRAD wrt list      */
    int nnames, cnames;
    bool has_wrt;         /* GRAD: a wrt list was written                 */
    struct Stmt *next;    /* the next declaration of an input/param list  */
    /* ST_FOR: name is the loop variable, it runs over [lo, hi) */
    Ast *lo, *hi;
    struct Stmt **body;   /* the block's statements, in order             */
    int nbody, cbody;
} Stmt;

typedef struct Module {
    Stmt **stmts;
    int n, cap;
} Module;

/* Parse src; statements that fail to parse are reported in d and dropped. */
Module *parse_module(Arena *a, Diags *d, const char *src, size_t len);
void ast_dump(const Module *m, FILE *out);
#endif
