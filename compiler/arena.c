/* arena: chunked bump allocator; everything a compilation builds lives here.
 * Also the failure boundary (see arena.h). */
#include "arena.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaChunk {
    ArenaChunk *next;
    size_t size, used;
    max_align_t data[];
};

enum { CHUNK_MIN = 64 * 1024 };

void *arena_alloc(Arena *a, size_t size)
{
    if (arena_inject_failure() || size > ((size_t)1 << 48)) {
        if (guard_depth())
            fail_oom();
        return NULL;
    }
    size = (size + 15) & ~(size_t)15;
    ArenaChunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        c = malloc(sizeof *c + cap);
        if (!c) {
            if (guard_depth())
                fail_oom();
            return NULL;
        }
        c->size = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    a->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    char probe[1];
    int n = vsnprintf(probe, sizeof probe, fmt, ap);
    va_end(ap);
    char *p = n < 0 ? NULL : arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void arena_grow(Arena *a, void **items, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return;
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = arena_alloc(a, (size_t)ncap * elem);
    if (!p)
        return;
    if (*items)
        memcpy(p, *items, (size_t)*cap * elem);
    *items = p;
    *cap = ncap;
}

void arena_free(Arena *a)
{
    for (ArenaChunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->used = 0;
}

/* ---- the failure boundary ---- */

static _Thread_local Guard *guard_top;
static _Thread_local long inject_at, inject_count;

void guard_push(Guard *g)
{
    g->prev = guard_top;
    g->depth = guard_top ? guard_top->depth + 1 : 1;
    g->msg[0] = 0;
    guard_top = g;
}

void guard_pop(Guard *g)
{
    if (guard_top == g)
        guard_top = g->prev;
}

int guard_depth(void) { return guard_top ? guard_top->depth : 0; }

void sb_release_from(int depth);   /* strbuf.c: frees the StrBufs of guards >= depth */

/* Jump to the innermost guard with its message set. */
static _Noreturn void fail_jump(void)
{
    Guard *g = guard_top;
    if (!g) {
        fputs("bpc: internal error: failure outside a guard\n", stderr);
        abort();   /* unreachable from the library: every entry point has a guard */
    }
    sb_release_from(g->depth);
    guard_top = g->prev;
    longjmp(g->jb, 1);
}

void fail_oom(void)
{
    if (guard_top)
        snprintf(guard_top->msg, sizeof guard_top->msg, "out of memory");
    fail_jump();
}

void fail_internal(const char *fmt, ...)
{
    if (guard_top) {
        va_list ap;
        va_start(ap, fmt);
        int n = snprintf(guard_top->msg, sizeof guard_top->msg, "internal error: ");
        vsnprintf(guard_top->msg + n, sizeof guard_top->msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    fail_jump();
}

void fail_rethrow(const Guard *caught)
{
    if (guard_top && guard_top != caught)
        snprintf(guard_top->msg, sizeof guard_top->msg, "%s", caught->msg);
    fail_jump();
}

long arena_fail_after(long n)
{
    long counted = inject_count;
    inject_at = n > 0 ? n : 0;
    inject_count = 0;
    return counted;
}

int arena_inject_failure(void)
{
    inject_count++;
    return inject_at && inject_count == inject_at;
}
