/* strbuf: a growable string for building generated code. */
#ifndef BPC_STRBUF_H
#define BPC_STRBUF_H
#include <stdbool.h>
#include <stddef.h>

/* The text's memory is a malloc'd block the failure boundary knows about
 * (arena.h): when a guard fails, the blocks of StrBufs started inside it are
 * freed, so a StrBuf on the stack of the pipeline never leaks. Out of memory
 * inside a guard fails the guard; outside one, later writes are dropped and
 * oom is set. */
typedef struct StrBuf {
    char *s;            /* NULL while empty */
    size_t len, cap;
    bool oom;
} StrBuf;

void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detach the text (plain malloc'd, caller frees; NULL if out of memory); b is
 * empty afterwards. The copy is not tracked: hold it only where nothing can
 * fail before it is freed. */
char *sb_take(StrBuf *b);
void sb_free(StrBuf *b);
#endif
