/* diag: collecting diagnostics and printing them with the source line and a caret. */
#include "diag.h"
#include <stdarg.h>
#include <string.h>

enum { SHOW_COLS = 160, SHOW_BEFORE = 60 };

void diag_init(Diags *d, Arena *a, const char *file, const char *src, size_t len)
{
    memset(d, 0, sizeof *d);
    d->arena = a;
    d->file = file;
    d->src = src;
    d->len = len;
}

static void add(Diags *d, DiagLevel level, Span s, const char *fmt, va_list ap)
{
    if (d->stopped)
        return;
    if (level == DIAG_ERROR && d->nerrors == DIAG_MAX_ERRORS) {
        d->stopped = true;
        Diag g = { DIAG_ERROR, { 0 }, "too many errors emitted, stopping now" };
        ARENA_PUSH(d->arena, d->items, d->n, d->cap, g);
        return;
    }
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    Diag g = { level, s, arena_strdup(d->arena, buf) };
    ARENA_PUSH(d->arena, d->items, d->n, d->cap, g);
    d->nerrors += level == DIAG_ERROR;
    d->nwarnings += level == DIAG_WARNING;
}

#define DIAG_FN(fn, level)                                   \
    void fn(Diags *d, Span s, const char *fmt, ...)          \
    {                                                        \
        va_list ap;                                          \
        va_start(ap, fmt);                                   \
        add(d, level, s, fmt, ap);                           \
        va_end(ap);                                          \
    }
DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warning, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)

Span span_join(Span a, Span b)
{
    Span s = a;
    if (b.end_line > a.end_line || (b.end_line == a.end_line && b.end_col > a.end_col)) {
        s.end_line = b.end_line;
        s.end_col = b.end_col;
    }
    s.caret = 0;
    return s;
}

/* Start of line `line` (1-based) in the source, or NULL. */
static const char *line_start(const Diags *d, int line, const char **end)
{
    const char *p = d->src, *e = d->src + d->len;
    for (int l = 1; l < line && p; l++) {
        p = memchr(p, '\n', (size_t)(e - p));
        if (p)
            p++;
    }
    if (!p || p > e)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    *end = nl ? nl : e;
    return p;
}

static bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Byte pointer of character column col (1-based) within [p, e). */
static const char *col_ptr(const char *p, const char *e, int col)
{
    for (int c = 1; c < col && p < e; c++)
        for (p++; p < e && is_cont((unsigned char)*p); p++)
            ;
    return p;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p, const unsigned char *e)
{
    int n = *p < 0x80 ? 1 : *p >= 0xC2 && *p <= 0xDF ? 2 : *p >= 0xE0 && *p <= 0xEF ? 3
          : *p >= 0xF0 && *p <= 0xF4 ? 4 : 0;
    if (n == 0 || e - p < n)
        return 0;
    for (int i = 1; i < n; i++)
        if (!is_cont(p[i]))
            return 0;
    return n;
}

/* Print the characters [from, to) of a line: control bytes and invalid UTF-8
 * as '?', one column per character as the caret line assumes. */
static void put_chars(FILE *out, const char *from, const char *to)
{
    const unsigned char *p = (const unsigned char *)from, *e = (const unsigned char *)to;
    while (p < e) {
        int n = utf8_len(p, e);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)))
            fputc(*p == '\t' ? ' ' : '?', out);
        else
            fwrite(p, 1, (size_t)n, out);
        p += n ? n : 1;
        while (n == 0 && p < e && is_cont(*p))
            p++;
    }
}

static void print_source(const Diags *d, Span s, FILE *out)
{
    const char *end, *p = d->src ? line_start(d, s.line, &end) : NULL;
    if (!p)
        return;
    int caret = s.caret ? s.caret : s.col;
    int first = caret > SHOW_COLS - SHOW_BEFORE ? caret - SHOW_BEFORE : 1;
    const char *from = col_ptr(p, end, first), *to = col_ptr(from, end, SHOW_COLS + 1);
    char gutter[24];
    int w = snprintf(gutter, sizeof gutter, "%5d", s.line);
    fprintf(out, "%s | %s", gutter, first > 1 ? "..." : "");
    put_chars(out, from, to);
    fprintf(out, "%s\n%*s | %s", to < end ? "..." : "", w, "", first > 1 ? "   " : "");
    int last = s.end_line == s.line ? s.end_col : first + SHOW_COLS;
    if (last > first + SHOW_COLS)
        last = first + SHOW_COLS;
    for (int c = first; c < last || c <= caret; c++)
        fputc(c == caret ? '^' : c >= s.col && c < last ? '~' : ' ', out);
    fputc('\n', out);
}

static const char *level_name[] = { "error", "warning", "note" };

void diag_print_one(const Diags *d, const Diag *g, FILE *out)
{
    if (g->span.line > 0) {
        int caret = g->span.caret ? g->span.caret : g->span.col;
        fprintf(out, "%s:%d:%d: %s: %s\n", d->file, g->span.line, caret, level_name[g->level], g->msg);
        print_source(d, g->span, out);
    } else {
        fprintf(out, "%s: %s: %s\n", d->file, level_name[g->level], g->msg);
    }
}

void diag_print(const Diags *d, FILE *out)
{
    for (int i = 0; i < d->n; i++)
        diag_print_one(d, &d->items[i], out);
}

const char *span_text(const Diags *d, Span s)
{
    const char *end, *p = d->src ? line_start(d, s.line, &end) : NULL;
    if (!p)
        return "";
    const char *a = col_ptr(p, end, s.col);
    const char *b = s.end_line == s.line ? col_ptr(a, end, s.end_col - s.col + 1) : end;
    if (b - a > 80)
        b = a + 80;
    return arena_strndup(d->arena, a, (size_t)(b - a));
}
