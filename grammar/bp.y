/* bp.y — the grammar of .bp files (SPEC §1). A pure parser; every action is a
 * one-line call into parse.c. A statement that fails to parse is reported and
 * skipped up to the next newline, so one run reports several errors. */
%require "3.6"
%define api.pure full
%define api.prefix {bp_}
%define api.location.type {Span}
%define parse.error custom
%locations
%expect 0
%lex-param {void *scanner}
%parse-param {void *scanner} {ParseCtx *ctx}

%code requires {
#include "parse_ctx.h"
}
%code provides {
int bp_lex(BP_STYPE *yylval, Span *yylloc, void *scanner);
}
%code {
#include <string.h>
static void bp_error(Span *loc, void *scanner, ParseCtx *ctx, const char *msg);
#define YYLLOC_DEFAULT(cur, rhs, n)                                          \
    do {                                                                     \
        if (n) {                                                             \
            (cur) = span_join(YYRHSLOC(rhs, 1), YYRHSLOC(rhs, n));           \
        } else {                                                             \
            (cur) = YYRHSLOC(rhs, 0);                                        \
            (cur).line = (cur).end_line; (cur).col = (cur).end_col;          \
            (cur).caret = 0;                                                 \
        }                                                                    \
    } while (0)
}

%union {
    struct { double v; bool is_int; } num;
    const char *str;
    Ast *ast;
    Stmt *stmt;
}

%token <num> NUM "number"
%token <str> IDENT "name"
%token DIM "'dim'" INPUT "'input'" PARAM "'param'" DEF "'def'" OUTPUT "'output'"
%token GRAD "'grad'" WRT "'wrt'" OPTIMIZE "'optimize'" WITH "'with'" INT "'int'"
%token POW "'**'" TRANSPOSE "transpose" FOR "'for'" DOTDOT "'..'"
%token NEWLINE "end of statement"

%type <ast> expr term unary power postfix primary args arglist indices
%type <stmt> stmt forhead dimdecls inputdecls inputitem paramdecls paramitem defhead defparams outputs gradstmt shape extents

%%

program
    : %empty
    | program line
    ;

line
    : NEWLINE
    | stmt NEWLINE                      { module_add(ctx, $1); }
    | error NEWLINE                     { yyerrok; ctx->line_error = false; ctx->stmt_bad = false; blocks_reset(ctx); }
    ;

stmt
    : DIM dimdecls                      { $$ = $2; $$->span = @$; }
    | INPUT inputdecls                  { $$ = $2; }
    | PARAM paramdecls                  { $$ = $2; }
    | defhead '=' expr                  { $$ = $1; $$->expr = $3; $$->span = @$; }
    | IDENT '=' expr                    { $$ = stmt_new(ctx, ST_BIND, @$); $$->name = $1; $$->name_span = @1; $$->expr = $3; }
    | OUTPUT outputs                    { $$ = $2; $$->span = @$; }
    | gradstmt
    | OPTIMIZE IDENT WITH primary       { $$ = stmt_new(ctx, ST_OPTIMIZE, @$); $$->name = $2; $$->name_span = @2; $$->expr = $4; }
    | forhead '{' block '}'             { $$ = $1; block_close(ctx); }
    ;

/* for l in 0..L { ... }: `{` on the loop's line; the block's statements are
 * added to the loop (module_add) as they are parsed. `in` is a name to the
 * scanner, checked in stmt_for. */
forhead
    : FOR IDENT IDENT expr DOTDOT expr  { $$ = stmt_for(ctx, @$, $2, @2, $3, @3, $4, $6); }
    ;

/* The block's statements, each ended by a newline, `;` or the closing `}`. */
block
    : blocklines
    | blocklines stmt                   { module_add(ctx, $2); }
    ;

blocklines
    : %empty
    | blocklines NEWLINE
    | blocklines stmt NEWLINE           { module_add(ctx, $2); }
    | blocklines error NEWLINE          { yyerrok; ctx->line_error = false; ctx->stmt_bad = false; }
    ;

dimdecls
    : IDENT                             { $$ = stmt_new(ctx, ST_DIM, @$); stmt_add_dim(ctx, $$, $1, @1, NULL); }
    | IDENT '=' expr                    { $$ = stmt_new(ctx, ST_DIM, @$); stmt_add_dim(ctx, $$, $1, @1, $3); }
    | dimdecls ',' IDENT                { $$ = $1; stmt_add_dim(ctx, $$, $3, @3, NULL); }
    | dimdecls ',' IDENT '=' expr       { $$ = $1; stmt_add_dim(ctx, $$, $3, @3, $5); }
    ;

/* input x[N, D], y[N] : int — `: int` belongs to the name it follows. The
 * list is built last first; module_add puts it back in order. */
inputdecls
    : inputitem                         { $$ = stmt_list_add(ctx, NULL, $1); }
    | inputdecls ',' inputitem          { $$ = stmt_list_add(ctx, $1, $3); }
    ;

inputitem
    : IDENT shape                       { $$ = $2; $$->kind = ST_INPUT; $$->name = $1; $$->name_span = @1; $$->span = @$; }
    | IDENT shape ':' INT               { $$ = $2; $$->kind = ST_INPUT; $$->name = $1; $$->name_span = @1; $$->is_int = true; $$->span = @$; }
    ;

/* param W[K, M] ~ he, b[M] — an initializer belongs to the name it follows. */
paramdecls
    : paramitem                         { $$ = stmt_list_add(ctx, NULL, $1); }
    | paramdecls ',' paramitem          { $$ = stmt_list_add(ctx, $1, $3); }
    ;

paramitem
    : IDENT shape                       { $$ = $2; $$->kind = ST_PARAM; $$->name = $1; $$->name_span = @1; $$->span = @$; }
    | IDENT shape '~' primary           { $$ = $2; $$->kind = ST_PARAM; $$->name = $1; $$->name_span = @1; $$->expr = $4; $$->span = @$; }
    ;

shape
    : %empty                            { $$ = stmt_new(ctx, ST_INPUT, @$); }
    | '[' ']'                           { $$ = stmt_new(ctx, ST_INPUT, @$); }
    | '[' extents ']'                   { $$ = $2; }
    ;

extents
    : IDENT                             { $$ = stmt_new(ctx, ST_INPUT, @$); stmt_add_extent(ctx, $$, $1, 0, @1); }
    | NUM                               { $$ = stmt_new(ctx, ST_INPUT, @$); stmt_add_extent(ctx, $$, NULL, $1.is_int ? $1.v : -1, @1); }
    | extents ',' IDENT                 { $$ = $1; stmt_add_extent(ctx, $$, $3, 0, @3); }
    | extents ',' NUM                   { $$ = $1; stmt_add_extent(ctx, $$, NULL, $3.is_int ? $3.v : -1, @3); }
    ;

defhead
    : DEF IDENT '(' ')'                 { $$ = stmt_new(ctx, ST_DEF, @$); $$->name = $2; $$->name_span = @2; }
    | DEF IDENT '(' defparams ')'       { $$ = $4; $$->name = $2; $$->name_span = @2; }
    ;

defparams
    : IDENT                             { $$ = stmt_new(ctx, ST_DEF, @$); stmt_add_name(ctx, $$, $1, @1); }
    | defparams ',' IDENT               { $$ = $1; stmt_add_name(ctx, $$, $3, @3); }
    ;

outputs
    : IDENT                             { $$ = stmt_new(ctx, ST_OUTPUT, @$); stmt_add_name(ctx, $$, $1, @1); }
    | outputs ',' IDENT                 { $$ = $1; stmt_add_name(ctx, $$, $3, @3); }
    ;

gradstmt
    : GRAD IDENT                        { $$ = stmt_new(ctx, ST_GRAD, @$); $$->name = $2; $$->name_span = @2; }
    | gradstmt WRT IDENT                { $$ = $1; $$->has_wrt = true; stmt_add_name(ctx, $$, $3, @3); $$->span = @$; }
    | gradstmt ',' IDENT                { $$ = $1; stmt_add_name(ctx, $$, $3, @3); $$->span = @$; }
    ;

/* expr = term (("+" | "-") term)* */
expr
    : term
    | expr '+' term                     { $$ = ast_binary(ctx, @$, '+', $1, $3, @2); }
    | expr '-' term                     { $$ = ast_binary(ctx, @$, '-', $1, $3, @2); }
    ;

/* term = unary (("*" | "/" | "@") unary)* */
term
    : unary
    | term '*' unary                    { $$ = ast_binary(ctx, @$, '*', $1, $3, @2); }
    | term '/' unary                    { $$ = ast_binary(ctx, @$, '/', $1, $3, @2); }
    | term '@' unary                    { $$ = ast_binary(ctx, @$, '@', $1, $3, @2); }
    ;

/* unary = "-" unary | power */
unary
    : power
    | '-' unary                         { $$ = ast_unary(ctx, @$, AST_NEG, $2); }
    ;

/* power = postfix ("**" unary)?   (right-associative) */
power
    : postfix
    | postfix POW unary                 { $$ = ast_binary(ctx, @$, '^', $1, $3, @2); }
    ;

/* postfix = primary ("ᵀ" | ".T" | "[" indices "]")* */
postfix
    : primary
    | postfix TRANSPOSE                 { $$ = ast_unary(ctx, @$, AST_TRANSPOSE, $1); }
    | postfix '[' indices ']'           { $$ = ast_indexed(ctx, @$, $1, $3); }
    ;

/* indices = index ("," index)*;  index = expr | [expr] ":" [expr] */
indices
    : expr                              { $$ = ast_index(ctx, NULL, (AstIndex){ .value = $1, .span = @1 }); }
    | ':'                               { $$ = ast_index(ctx, NULL, (AstIndex){ .is_slice = true, .span = @1 }); }
    | ':' expr                          { $$ = ast_index(ctx, NULL, (AstIndex){ .is_slice = true, .hi = $2, .span = @$ }); }
    | expr ':'                          { $$ = ast_index(ctx, NULL, (AstIndex){ .is_slice = true, .lo = $1, .span = @$ }); }
    | expr ':' expr                     { $$ = ast_index(ctx, NULL, (AstIndex){ .is_slice = true, .lo = $1, .hi = $3, .span = @$ }); }
    | indices ',' expr                  { $$ = ast_index(ctx, $1, (AstIndex){ .value = $3, .span = @3 }); }
    | indices ',' ':'                   { $$ = ast_index(ctx, $1, (AstIndex){ .is_slice = true, .span = @3 }); }
    | indices ',' ':' expr              { $$ = ast_index(ctx, $1, (AstIndex){ .is_slice = true, .hi = $4, .span = span_join(@3, @4) }); }
    | indices ',' expr ':'              { $$ = ast_index(ctx, $1, (AstIndex){ .is_slice = true, .lo = $3, .span = span_join(@3, @4) }); }
    | indices ',' expr ':' expr         { $$ = ast_index(ctx, $1, (AstIndex){ .is_slice = true, .lo = $3, .hi = $5, .span = span_join(@3, @5) }); }
    ;

/* primary = number | name | name "(" args ")" | "(" expr ")" | "[" args "]" (a list) */
primary
    : NUM                               { $$ = ast_num(ctx, @$, $1.v, $1.is_int); }
    | IDENT                             { $$ = ast_name(ctx, @$, $1); }
    | IDENT '(' ')'                     { $$ = ast_call(ctx, @$, $1, NULL); }
    | IDENT '(' args ')'                { $$ = ast_call(ctx, @$, $1, $3); }
    | '(' expr ')'                      { $$ = $2; }
    | '[' ']'                           { $$ = ast_list(ctx, @$, NULL); }
    | '[' args ']'                      { $$ = ast_list(ctx, @$, $2); }
    ;

args
    : arglist
    | arglist ','
    ;

arglist
    : expr                              { $$ = ast_arglist(ctx, NULL, NULL, @1, $1); }
    | IDENT '=' expr                    { $$ = ast_arglist(ctx, NULL, $1, @1, $3); }
    | arglist ',' expr                  { $$ = ast_arglist(ctx, $1, NULL, @3, $3); }
    | arglist ',' IDENT '=' expr        { $$ = ast_arglist(ctx, $1, $3, @3, $5); }
    ;

%%

static void bp_error(Span *loc, void *scanner, ParseCtx *ctx, const char *msg)
{
    (void)scanner;
    if (strcmp(msg, "memory exhausted") == 0)
        msg = "expression nested too deeply";
    diag_error(ctx->diags, *loc, "%s", msg);
    ctx->line_error = true;
    ctx->nesting = 0;
}

/* "expected X, Y or Z before W": the found token last, as clang words it. */
static int yyreport_syntax_error(const yypcontext_t *pc, void *scanner, ParseCtx *ctx)
{
    (void)scanner;
    if (ctx->line_error)
        return 0;
    enum { MAXEXP = 6 };
    yysymbol_kind_t exp[MAXEXP];
    int n = yypcontext_expected_tokens(pc, exp, MAXEXP);
    char buf[512] = "";
    size_t len = 0;
    for (int i = 0; i < n && n < MAXEXP && len < sizeof buf - 64; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
                                yysymbol_name(exp[i]));
    yysymbol_kind_t found = yypcontext_token(pc);
    const char *what = found == YYSYMBOL_YYEOF ? "end of file" : yysymbol_name(found);
    if (len)
        diag_error(ctx->diags, *yypcontext_location(pc), "expected %s, found %s", buf, what);
    else
        diag_error(ctx->diags, *yypcontext_location(pc), "unexpected %s", what);
    ctx->line_error = true;
    ctx->nesting = 0;  /* an unclosed bracket must not swallow the following lines */
    return 0;
}
