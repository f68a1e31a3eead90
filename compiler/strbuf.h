/* strbuf: a growable string for building generated code. */
#ifndef BPC_STRBUF_H
#define BPC_STRBUF_H
#include <stddef.h>

typedef struct StrBuf {
    char *s;
    size_t len, cap;
} StrBuf;

void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detach the text (malloc'd, caller frees); b is empty afterwards. */
char *sb_take(StrBuf *b);
void sb_free(StrBuf *b);
#endif
