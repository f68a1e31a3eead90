/* diag: diagnostics collected as data, printed the way gcc and clang do:
 *   file:line:col: error: message
 *      14 | source line
 *         |   ~~^~~~                                                          */
#ifndef BPC_DIAG_H
#define BPC_DIAG_H
#include <stdbool.h>
#include <stdio.h>
#include "arena.h"

/* A source range: 1-based lines, columns counted in characters, end exclusive.
 * caret is the column the caret points at (0: the start of the span). */
typedef struct Span {
    int line, col;
    int end_line, end_col;
    int caret;
} Span;

typedef enum DiagLevel {
    DIAG_ERROR,    /* the model is wrong; nothing is generated  */
    DIAG_WARNING,  /* suspicious but valid                      */
    DIAG_NOTE      /* more about the diagnostic before it       */
} DiagLevel;

typedef struct Diag {
    DiagLevel level;
    Span span;        /* line 0: no location (a whole-file message) */
    const char *msg;
} Diag;

enum { DIAG_MAX_ERRORS = 20 };

typedef struct Diags {
    Arena *arena;
    const char *file;     /* name printed in front of each message */
    const char *src;      /* the source text, for the quoted line */
    size_t len;
    Diag *items;
    int n, cap;
    int nerrors, nwarnings;
    bool stopped;         /* DIAG_MAX_ERRORS reached: later ones dropped */
} Diags;

void diag_init(Diags *d, Arena *a, const char *file, const char *src, size_t len);
void diag_error(Diags *d, Span s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Span s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Diags *d, Span s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_print(const Diags *d, FILE *out);
void diag_print_one(const Diags *d, const Diag *g, FILE *out);
/* The smallest span covering a and b. */
Span span_join(Span a, Span b);
/* The text of the span (first line only), for messages; arena copy. */
const char *span_text(const Diags *d, Span s);
#endif
