/* parse: runs the scanner and parser over a source text and holds the AST
 * builders the grammar actions call. */
#include <math.h>
#include <setjmp.h>
#include <string.h>
#include "parse_ctx.h"
#include "bp_parser.h"
#define YYSTYPE BP_STYPE
#define YYLTYPE Span
#include "bp_lexer.h"

static int depth_of(const Ast *a) { return a ? a->depth : 0; }

/* Keep trees shallow enough for every recursive walk: past the limit the
 * statement is reported once and the node is not built. */
static bool too_deep(ParseCtx *c, Span s, int depth)
{
    if (depth <= AST_MAX_DEPTH)
        return false;
    if (!c->stmt_bad)
        diag_error(c->diags, s, "expression too deeply nested (more than %d levels)", AST_MAX_DEPTH);
    c->stmt_bad = true;
    return true;
}

/* Once a statement is reported, its remaining nodes are not built: memory
 * stays bounded however long the rejected expression is. */
static Ast *node(ParseCtx *c, AstKind k, Span s)
{
    if (c->stmt_bad && c->dummy) {
        c->dummy->nargs = 0;
        return c->dummy;
    }
    Ast *a = arena_alloc(c->arena, sizeof *a);
    if (c->stmt_bad)
        c->dummy = a;
    a->kind = k;
    a->span = s;
    a->depth = 1;
    return a;
}

Ast *ast_num(ParseCtx *c, Span s, double v, bool is_int)
{
    Ast *a = node(c, AST_NUM, s);
    a->num = v;
    a->is_int = is_int;
    return a;
}

Ast *ast_name(ParseCtx *c, Span s, const char *name)
{
    Ast *a = node(c, AST_NAME, s);
    a->name = name;
    return a;
}

Ast *ast_binary(ParseCtx *c, Span s, int op, Ast *l, Ast *r, Span op_span)
{
    int d = 1 + (depth_of(l) > depth_of(r) ? depth_of(l) : depth_of(r));
    if (too_deep(c, s, d))
        return l;
    Ast *a = node(c, AST_BINARY, s);
    a->span.caret = op_span.col;
    a->op = op;
    a->lhs = l;
    a->rhs = r;
    a->depth = d;
    return a;
}

Ast *ast_unary(ParseCtx *c, Span s, AstKind k, Ast *x)
{
    if (too_deep(c, s, x->depth + 1))
        return x;
    Ast *a = node(c, k, s);
    a->lhs = x;
    a->depth = x->depth + 1;
    if (k == AST_TRANSPOSE)
        a->span.caret = x->span.end_col;
    return a;
}

Ast *ast_arglist(ParseCtx *c, Ast *list, const char *key, Span key_span, Ast *value)
{
    if (!list)
        list = node(c, AST_CALL, key_span);
    if (c->stmt_bad)
        return list;
    AstArg arg = { key, key_span, value };
    ARENA_PUSH(c->arena, list->args, list->nargs, list->cargs, arg);
    if (value->depth + 1 > list->depth)
        list->depth = value->depth + 1;
    return list;
}

Ast *ast_call(ParseCtx *c, Span s, const char *name, Ast *arglist)
{
    Ast *a = arglist ? arglist : node(c, AST_CALL, s);
    if (too_deep(c, s, a->depth))
        a->nargs = 0;
    a->kind = AST_CALL;
    a->span = s;
    a->name = name;
    return a;
}

/* One more position of an index list (x[a, b:c]), kept in an AST_INDEX node
 * whose base ast_indexed fills in. */
Ast *ast_index(ParseCtx *c, Ast *list, AstIndex item)
{
    if (!list)
        list = node(c, AST_INDEX, item.span);
    if (c->stmt_bad)
        return list;
    ARENA_PUSH(c->arena, list->idx, list->nidx, list->cidx, item);
    const Ast *parts[3] = { item.value, item.lo, item.hi };
    for (int i = 0; i < 3; i++)
        if (parts[i] && parts[i]->depth + 1 > list->depth)
            list->depth = parts[i]->depth + 1;
    return list;
}

/* base[list]: the index list gets its base and the span of the whole. */
Ast *ast_indexed(ParseCtx *c, Span s, Ast *base, Ast *list)
{
    int d = list->depth > base->depth + 1 ? list->depth : base->depth + 1;
    if (too_deep(c, s, d) || c->stmt_bad)
        return base;
    list->kind = AST_INDEX;
    list->span = s;
    list->span.caret = base->span.end_col;
    list->lhs = base;
    list->depth = d;
    return list;
}

/* [a, b, ...]: a list of values (reshape's extents). Keywords have no place in it. */
Ast *ast_list(ParseCtx *c, Span s, Ast *arglist)
{
    Ast *a = arglist ? arglist : node(c, AST_LIST, s);
    for (int i = 0; i < a->nargs && !c->stmt_bad; i++)
        if (a->args[i].key) {
            diag_error(c->diags, a->args[i].key_span, "a list holds values: '%s = ...' has no meaning here", a->args[i].key);
            c->stmt_bad = true;
        }
    if (too_deep(c, s, a->depth))
        a->nargs = 0;
    a->kind = AST_LIST;
    a->span = s;
    a->name = NULL;
    return a;
}

Stmt *stmt_new(ParseCtx *c, StmtKind k, Span s)
{
    Stmt *st = arena_alloc(c->arena, sizeof *st);
    st->kind = k;
    st->span = s;
    return st;
}

void stmt_add_dim(ParseCtx *c, Stmt *st, const char *name, Span s, Ast *value)
{
    AstDimDecl d = { name, s, value };
    ARENA_PUSH(c->arena, st->dims, st->ndims, st->cdims, d);
}

void stmt_add_extent(ParseCtx *c, Stmt *st, const char *name, double v, Span s)
{
    AstDim d = { name, 0, s };
    if (!name) {
        if (!(v >= 1 && v <= 9.2e18 && v == floor(v))) {
            diag_error(c->diags, s, "an extent must be a positive integer or a dim name");
            c->stmt_bad = true;
            d.value = 1;
        } else {
            d.value = (int64_t)v;
        }
    }
    ARENA_PUSH(c->arena, st->shape, st->rank, st->cshape, d);
}

void stmt_add_name(ParseCtx *c, Stmt *st, const char *name, Span s)
{
    AstIdent id = { name, s };
    ARENA_PUSH(c->arena, st->names, st->nnames, st->cnames, id);
}

/* One more declaration of an input/param list, prepended (the list is built
 * last first, in constant time per item). An item that was reported (a bad
 * extent, too deep an initializer) is dropped alone: its siblings stand. */
Stmt *stmt_list_add(ParseCtx *c, Stmt *list, Stmt *item)
{
    if (c->stmt_bad) {
        c->stmt_bad = false;
        return list;
    }
    item->next = list;
    return item;
}

/* `for VAR in LO..HI {`: the loop statement, opened as the block that the
 * statements up to its `}` go into. `in` is a name to the scanner (so it stays
 * usable as one): it is checked here. */
Stmt *stmt_for(ParseCtx *c, Span s, const char *var, Span var_span, const char *in, Span in_span, Ast *lo, Ast *hi)
{
    Stmt *st = stmt_new(c, ST_FOR, s);
    st->name = var;
    st->name_span = var_span;
    st->lo = lo;
    st->hi = hi;
    if (strcmp(in, "in") != 0 && !c->stmt_bad) {
        diag_error(c->diags, in_span, "expected 'in' after the loop variable, found '%s'", in);
        c->stmt_bad = true;
    }
    if (c->nblocks == PARSE_MAX_BLOCKS) {
        if (!c->stmt_bad)
            diag_error(c->diags, s, "loops nested too deeply (more than %d levels)", PARSE_MAX_BLOCKS);
        c->stmt_bad = true;
        c->blocks_over++;   /* its statements go to the enclosing block; the loop is dropped */
        return st;
    }
    c->blocks[c->nblocks++] = st;
    return st;
}

/* The `}` of the innermost open loop. */
void block_close(ParseCtx *c)
{
    if (c->blocks_over > 0)
        c->blocks_over--;
    else if (c->nblocks > 0)
        c->nblocks--;
}

/* Error recovery reached the top level: every open block is abandoned. */
void blocks_reset(ParseCtx *c)
{
    c->nblocks = 0;
    c->blocks_over = 0;
}

/* Add a statement, or a declaration list (last first) in source order, to the
 * innermost open loop's block, or to the module. */
void module_add(ParseCtx *c, Stmt *st)
{
    Stmt *ordered = NULL;
    while (st) {
        Stmt *next = st->next;
        st->next = ordered;
        ordered = st;
        st = next;
    }
    Stmt *block = c->nblocks ? c->blocks[c->nblocks - 1] : NULL;
    if (!c->stmt_bad)
        for (Stmt *s = ordered; s; s = s->next) {
            if (block)
                ARENA_PUSH(c->arena, block->body, block->nbody, block->cbody, s);
            else
                ARENA_PUSH(c->arena, c->module->stmts, c->module->n, c->module->cap, s);
        }
    c->stmt_bad = false;
}

Module *parse_module(Arena *a, Diags *d, const char *src, size_t len)
{
    ParseCtx c = { .arena = a, .diags = d, .at_line_start = true, .line = 1, .col = 1 };
    c.module = arena_alloc(a, sizeof *c.module);
    yyscan_t scanner;
    if (bp_lex_init_extra(&c, &scanner) != 0) {
        diag_error(d, (Span){ 0 }, "cannot start the scanner");
        return c.module;
    }
    YY_BUFFER_STATE buf = bp__scan_bytes(src, (int)len, scanner);
    Guard gd;   /* a failure in an action: free the scanner, then pass it on */
    guard_push(&gd);
    if (setjmp(gd.jb) == 0) {
        bp_parse(scanner, &c);
        guard_pop(&gd);
    } else {
        bp__delete_buffer(buf, scanner);
        bp_lex_destroy(scanner);
        fail_rethrow(&gd);
    }
    bp__delete_buffer(buf, scanner);
    bp_lex_destroy(scanner);
    return c.module;
}
