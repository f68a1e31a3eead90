/* model: one compilation — its arena, diagnostics and every stage's result. */
#ifndef BPC_MODEL_H
#define BPC_MODEL_H
#include "bpc.h"
#include "ast.h"
#include "ir.h"

struct bpc_model {
    Arena arena;
    Diags diags;
    char *file;
    char *src;
    size_t len;
    bpc_options opt;
    char *name;              /* C prefix                          */
    Module *ast;
    Graph *g;                /* NULL if the front end failed      */
    char *c_source, *c_header;
    bpc_diag *pub;           /* diagnostics in the public form    */
};

/* The header and source of m with the given GEMM (enum bpc_gemm); false on errors. */
bool emit_generate(bpc_model *m, int gemm, const char **header, const char **source);

enum { BPC_MAX_SOURCE = 64 << 20 };   /* larger sources are refused */
#endif
