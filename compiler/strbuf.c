/* strbuf: a growable string (malloc-backed; the emitter's output). Every live
 * block is on a per-thread list, tagged with the guard depth it was started
 * at, so a failing guard frees the blocks of its own frames (arena.h). */
#include "strbuf.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"

typedef struct SbBlock {
    struct SbBlock *prev, *next;
    int depth;
} SbBlock;

static _Thread_local SbBlock *live;

static SbBlock *block_of(char *s) { return (SbBlock *)(void *)s - 1; }

static void link_block(SbBlock *k)
{
    k->prev = NULL;
    k->next = live;
    if (live)
        live->prev = k;
    live = k;
}

static void unlink_block(SbBlock *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        live = k->next;
    if (k->next)
        k->next->prev = k->prev;
}

void sb_release_from(int depth);

/* Free every block started at guard depth >= depth (a guard is failing). */
void sb_release_from(int depth)
{
    for (SbBlock *k = live, *next; k; k = next) {
        next = k->next;
        if (k->depth >= depth) {
            unlink_block(k);
            free(k);
        }
    }
}

/* Room for extra more bytes and the NUL; false (b->oom) if there is none. */
static bool reserve(StrBuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1 && cap < SIZE_MAX / 4)
        cap *= 2;
    SbBlock *old = b->s ? block_of(b->s) : NULL;
    if (old)
        unlink_block(old);
    SbBlock *k = cap < b->len + extra + 1 || arena_inject_failure() ? NULL : realloc(old, sizeof *k + cap);
    if (!k) {
        if (old)
            link_block(old);
        if (guard_depth())
            fail_oom();
        b->oom = true;
        return false;
    }
    if (!old)
        k->depth = guard_depth();
    link_block(k);
    b->s = (char *)(k + 1);
    b->cap = cap;
    return true;
}

void sb_puts(StrBuf *b, const char *s)
{
    size_t n = strlen(s);
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void sb_printf(StrBuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    char probe[1];
    int n = vsnprintf(probe, sizeof probe, fmt, ap);
    va_end(ap);
    if (n >= 0 && reserve(b, (size_t)n)) {
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

char *sb_take(StrBuf *b)
{
    char *s = malloc(b->len + 1);
    if (s) {
        memcpy(s, b->s ? b->s : "", b->len);
        s[b->len] = 0;
    }
    sb_free(b);
    return s;
}

void sb_free(StrBuf *b)
{
    if (b->s) {
        SbBlock *k = block_of(b->s);
        unlink_block(k);
        free(k);
    }
    *b = (StrBuf){ 0 };
}
