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
    int npub;                /* how many of them pub holds        */
    bpc_diag pub_one;        /* bpc_get_diag when pub can't be allocated */
    Diag fail_diag;          /* the failure when even a diag can't be    */
    char fail_msg[256];      /* "out of memory", "internal error: ..."   */
};

/* The header and source of m with the given GEMM (enum bpc_gemm); false on
 * errors. emit_generate runs emit_generate_text (emit_c.c) under a guard: a
 * failure becomes an error on m (compile.c). */
bool emit_generate(bpc_model *m, int gemm, const char **header, const char **source);
bool emit_generate_text(bpc_model *m, int gemm, const char **header, const char **source);
/* Make a failure a guard caught (its message) an error on m; m is unusable
 * afterwards (bpc_ok is 0). */
void model_fail(bpc_model *m, const char *msg);

enum { BPC_MAX_SOURCE = 64 << 20 };   /* larger sources are refused */
#endif
