/* ast_dump: `bpc --emit=ast`, the parse tree as indented text. */
#include "ast.h"

static const char *stmt_name[] = { "dim", "input", "param", "def", "bind", "output", "grad", "optimize", "for" };

static void expr(const Ast *a, int ind, FILE *out)
{
    fprintf(out, "%*s", ind, "");
    switch (a->kind) {
    case AST_NUM: fprintf(out, "num %.17g\n", a->num); return;
    case AST_NAME: fprintf(out, "name %s\n", a->name); return;
    case AST_NEG: fprintf(out, "neg\n"); break;
    case AST_TRANSPOSE: fprintf(out, "transpose\n"); break;
    case AST_BINARY:
        if (a->op == '^')
            fprintf(out, "binary **\n");
        else
            fprintf(out, "binary %c\n", a->op);
        expr(a->lhs, ind + 2, out);
        expr(a->rhs, ind + 2, out);
        return;
    case AST_INDEX:
        fprintf(out, "index\n");
        expr(a->lhs, ind + 2, out);
        for (int i = 0; i < a->nidx; i++) {
            const AstIndex *x = &a->idx[i];
            if (!x->is_slice) {
                expr(x->value, ind + 2, out);
                continue;
            }
            fprintf(out, "%*sslice%s%s\n", ind + 2, "", x->lo ? " lo" : "", x->hi ? " hi" : "");
            if (x->lo)
                expr(x->lo, ind + 4, out);
            if (x->hi)
                expr(x->hi, ind + 4, out);
        }
        return;
    case AST_LIST:
    case AST_CALL:
        if (a->kind == AST_LIST)
            fprintf(out, "list\n");
        else
            fprintf(out, "call %s\n", a->name);
        for (int i = 0; i < a->nargs; i++) {
            if (a->args[i].key)
                fprintf(out, "%*s%s =\n", ind + 2, "", a->args[i].key);
            expr(a->args[i].value, ind + (a->args[i].key ? 4 : 2), out);
        }
        return;
    }
    expr(a->lhs, ind + 2, out);
}

static void stmt(const Stmt *s, FILE *out)
{
    fprintf(out, "%d:%d %s", s->span.line, s->span.col, stmt_name[s->kind]);
    if (s->name)
        fprintf(out, " %s", s->name);
    if (s->kind == ST_INPUT || s->kind == ST_PARAM) {
        fputc('[', out);
        for (int i = 0; i < s->rank; i++) {
            if (s->shape[i].name)
                fprintf(out, "%s%s", i ? ", " : "", s->shape[i].name);
            else
                fprintf(out, "%s%lld", i ? ", " : "", (long long)s->shape[i].value);
        }
        fprintf(out, "]%s", s->is_int ? " : int" : "");
    }
    for (int i = 0; i < s->ndims; i++)
        fprintf(out, "%s %s%s", i ? "," : "", s->dims[i].name, s->dims[i].value ? " =" : "");
    if (s->nnames)
        fprintf(out, "%s", s->kind == ST_GRAD ? " wrt" : s->kind == ST_DEF ? " (" : "");
    for (int i = 0; i < s->nnames; i++)
        fprintf(out, "%s %s", i ? "," : "", s->names[i].name);
    fprintf(out, "%s\n", s->kind == ST_DEF ? " )" : "");
    for (int i = 0; i < s->ndims; i++)
        if (s->dims[i].value)
            expr(s->dims[i].value, 2, out);
    if (s->expr)
        expr(s->expr, 2, out);
    if (s->kind == ST_FOR) {
        expr(s->lo, 2, out);
        expr(s->hi, 2, out);
        fprintf(out, "  {\n");
        for (int i = 0; i < s->nbody; i++)
            stmt(s->body[i], out);
        fprintf(out, "  }\n");
    }
}

void ast_dump(const Module *m, FILE *out)
{
    for (int i = 0; i < m->n; i++)
        stmt(m->stmts[i], out);
}
