/* parse_ctx: state shared by the scanner (grammar/bp.l), the parser (grammar/bp.y)
 * and the AST builders (parse.c) the grammar actions call. */
#ifndef BPC_PARSE_CTX_H
#define BPC_PARSE_CTX_H
#include "ast.h"

enum { PARSE_MAX_NESTING = 256 };  /* ( and [ deeper than this are an error */
enum { PARSE_MAX_BLOCKS = 16 };    /* for-loops nested deeper than this are an error */

typedef struct ParseCtx {
    Arena *arena;
    Diags *diags;
    Module *module;
    int nesting;          /* open ( and [: newlines inside are ignored        */
    bool line_error;      /* a lexical or syntax error was reported on this statement */
    bool stmt_bad;        /* the statement being built was reported: drop it */
    bool at_line_start;   /* no token since the last NEWLINE (EOF adds none)  */
    Ast *dummy;           /* stands for every node of a reported statement */
    int line, col;        /* scanner position, 1-based, columns in characters */
    Stmt *blocks[PARSE_MAX_BLOCKS]; /* the open for-loops, innermost last: statements go there */
    int nblocks;
    int blocks_over;      /* loops opened past PARSE_MAX_BLOCKS (reported, not kept) */
} ParseCtx;

/* Builders called by grammar actions; each returns an arena node. */
Ast *ast_num(ParseCtx *c, Span s, double v, bool is_int);
Ast *ast_name(ParseCtx *c, Span s, const char *name);
Ast *ast_binary(ParseCtx *c, Span s, int op, Ast *l, Ast *r, Span op_span);
Ast *ast_unary(ParseCtx *c, Span s, AstKind k, Ast *x);
Ast *ast_call(ParseCtx *c, Span s, const char *name, Ast *arglist);
Ast *ast_arglist(ParseCtx *c, Ast *list, const char *key, Span key_span, Ast *value);
Ast *ast_index(ParseCtx *c, Ast *list, AstIndex item);
Ast *ast_indexed(ParseCtx *c, Span s, Ast *base, Ast *list);
Ast *ast_list(ParseCtx *c, Span s, Ast *arglist);
Stmt *stmt_new(ParseCtx *c, StmtKind k, Span s);
Stmt *stmt_for(ParseCtx *c, Span s, const char *var, Span var_span, const char *in, Span in_span, Ast *lo, Ast *hi);
void block_close(ParseCtx *c);
void blocks_reset(ParseCtx *c);
void stmt_add_dim(ParseCtx *c, Stmt *st, const char *name, Span s, Ast *value);
void stmt_add_extent(ParseCtx *c, Stmt *st, const char *name, double v, Span s);
void stmt_add_name(ParseCtx *c, Stmt *st, const char *name, Span s);
Stmt *stmt_list_add(ParseCtx *c, Stmt *list, Stmt *item);
void module_add(ParseCtx *c, Stmt *st);
#endif
