/* symtab: the names a model defines, in one hash table (arena-backed). */
#ifndef BPC_SYMTAB_H
#define BPC_SYMTAB_H
#include "ast.h"
#include "ir.h"

typedef enum SymKind {
    SYM_DIM,    /* dim N          */
    SYM_INPUT,  /* input x[...]   */
    SYM_PARAM,  /* param W[...]   */
    SYM_BIND,   /* h = expr       */
    SYM_DEF     /* def f(...) = e */
} SymKind;

typedef struct Sym {
    const char *name;
    SymKind kind;
    Span span;          /* where it is defined          */
    int decl;           /* DIM/INPUT/PARAM: Graph.decls */
    Node *node;         /* INPUT/PARAM/BIND             */
    const Stmt *def;    /* DEF                          */
    bool used;
} Sym;

typedef struct Symtab {
    Arena *arena;
    Sym **slots;
    int cap, n;
    Sym **order;        /* definition order, for warnings and suggestions */
    int norder, corder;
} Symtab;

Sym *symtab_find(const Symtab *t, const char *name);
/* Adds a symbol; returns the existing one instead if the name is taken. */
Sym *symtab_add(Symtab *t, const char *name, SymKind kind, Span span, bool *existed);
/* The defined name closest to `name` (edit distance), or NULL. */
const char *symtab_suggest(const Symtab *t, const char *name, const char *const *extra, int nextra);
#endif
