/* emit_check: what the generated code carries for debugging the model, not
 * the compiler — --check-finite (every tensor tested as it is produced, the
 * first holding NaN or Inf named by its .bp name and line) and
 * --line-directives (`#line` back to the .bp file). */
#include <string.h>
#include "emit.h"

enum { RESUME_MARK_LEN = 21 };
static const char resume_mark[] = "/*@bpc-line-resume@*/";   /* RESUME_MARK_LEN chars */

const char *em_c_string(Emit *e, const char *s)
{
    StrBuf b = { 0 };
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c == '"' || *c == '\\' || *c == '?')
            sb_printf(&b, "\\%c", *c);
        else if (*c >= 0x20 && *c < 0x7f)
            sb_printf(&b, "%c", *c);
        else
            sb_printf(&b, "\\%03o", *c);
    const char *r = arena_strdup(e->g->arena, b.s ? b.s : "");
    sb_free(&b);
    return r;
}

/* ---- --check-finite ---- */

void em_check_helpers(Emit *e)
{
    if (!e->check)
        return;
    const char *P = e->P;
    em_line(e, "/* --check-finite: the first 64 bytes of the aligned workspace record which");
    em_line(e, " * tensor (1-based in %s_checked) first held NaN or Inf; 0: none. */", P);
    em_line(e, "static int *%s_record(const void *ws)", P);
    em_line(e, "{");
    em_line(e, "    return (int *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);");
    em_line(e, "}");
    em_line(e, "static int %s_finite(const %s *x, int64_t n)", P, e->real);
    em_line(e, "{");
    em_line(e, "    for (int64_t i = 0; i < n; i++)");
    em_line(e, "        if (!isfinite(x[i])) return 0;");
    em_line(e, "    return 1;");
    em_line(e, "}");
    em_line(e, "static int %s_fail(const void *ws, int which)", P);
    em_line(e, "{");
    em_line(e, "    *%s_record(ws) = which;", P);
    em_line(e, "    return BP_ENONFINITE;");
    em_line(e, "}");
}

/* The 1-based index of the description of node id (name, line), added once. */
static int checked_index(Emit *e, int id, const char *name, int line, const char *after)
{
    if (id >= 0 && e->what_of[id])
        return e->what_of[id];
    const char *d = line > 0 ? arena_printf(e->g->arena, "%s%s (%s:%d)", name, after, e->file, line)
                             : arena_printf(e->g->arena, "%s%s", name, after);
    e->what[e->nwhat++] = d;
    if (id >= 0)
        e->what_of[id] = e->nwhat;
    return e->nwhat;
}

/* A node's name as the user knows it: its io field, its binding, or what it computes. */
static const char *dsl_name(Emit *e, const Node *n)
{
    if (e->p->home[n->id] == HOME_IO)
        return e->p->field[n->id];
    if (n->name)
        return n->name;
    return em_render(e, n, 0);
}

void em_check(Emit *e, const Node *n)
{
    if (!e->check || n->is_int)
        return;
    int k = checked_index(e, n->id, dsl_name(e, n), n->line, "");
    em_line(e, "if (!%s_finite(%s, %s)) return %s_fail(ws, %d);", e->P, em_buf(e, n), em_numel(e, n->shape), e->P, k);
}

void em_check_leaves(Emit *e, Phase ph)
{
    for (int i = 0; e->check && i < e->g->n; i++) {
        const Node *n = e->g->nodes[i];
        if (e->used[i] && n->phase == ph && op_info[n->op].kind == K_LEAF && op_has(n->op, F_DATA))
            em_check(e, n);
    }
}

void em_check_param(Emit *e, const Decl *d, const char *after)
{
    if (!e->check)
        return;
    int k = checked_index(e, -1, d->name, d->span.line, after);
    em_line(e, "if (!%s_finite(io->%s, %s)) return %s_fail(ws, %d);", e->P, d->name, em_numel(e, d->shape), e->P, k);
}

void em_check_table(Emit *e)
{
    if (!e->check)
        return;
    const char *P = e->P;
    em_line(e, "static const char *const %s_checked[] = {", P);
    for (int i = 0; i < e->nwhat; i++)
        em_line(e, "    \"%s\",", em_c_string(e, e->what[i]));
    if (!e->nwhat)
        em_line(e, "    \"\",");
    em_line(e, "};");
    em_line(e, "/* after a call returned BP_ENONFINITE with ws: \"NAME (FILE:LINE)\" of the first");
    em_line(e, " * tensor that held NaN or Inf; NULL after any other result */");
    em_line(e, "const char *%s_nonfinite(const void *ws)", P);
    em_line(e, "{");
    em_line(e, "    const int k = ws ? *%s_record(ws) : 0;", P);
    em_line(e, "    return k > 0 && k <= %d ? %s_checked[k - 1] : NULL;", e->nwhat, P);
    em_line(e, "}");
}

/* ---- --line-directives ---- */

void em_line_directive(Emit *e, const Node *n)
{
    if (e->lines && n->line > 0)
        sb_printf(e->out, "#line %d \"%s\"\n", n->line, em_c_string(e, e->file));
}

void em_line_resume(Emit *e)
{
    if (e->lines)
        sb_printf(e->out, "%s\n", resume_mark);
}

char *em_fix_lines(Emit *e, const char *src)
{
    StrBuf b = { 0 };
    int line = 1;
    const char *name = em_c_string(e, arena_printf(e->g->arena, "%s.c", e->P));
    for (const char *s = src; *s;) {
        const char *end = strchr(s, '\n');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (n == RESUME_MARK_LEN && strncmp(s, resume_mark, n) == 0)
            sb_printf(&b, "#line %d \"%s\"", line + 1, name);
        else
            sb_printf(&b, "%.*s", (int)n, s);
        if (end)
            sb_puts(&b, "\n");
        line++;
        s += n + (end != NULL);
    }
    char *r = arena_strdup(e->g->arena, b.s ? b.s : "");
    sb_free(&b);
    return r;
}
