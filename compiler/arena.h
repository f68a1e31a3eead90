/* arena: bump allocation for one compilation, freed whole. */
#ifndef BPC_ARENA_H
#define BPC_ARENA_H
#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;
typedef struct Arena {
    ArenaChunk *head;   /* newest chunk first */
    size_t used;        /* bytes handed out, for limits and reports */
} Arena;

void *arena_alloc(Arena *a, size_t size);          /* zeroed; NULL only when out of memory */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(Arena *a);
/* Grow *items (of *cap elements of size elem) to hold at least need elements. */
void arena_grow(Arena *a, void **items, int *cap, int need, size_t elem);
#define ARENA_PUSH(a, arr, n, cap, v) \
    (arena_grow((a), (void **)&(arr), &(cap), (n) + 1, sizeof *(arr)), (arr)[(n)++] = (v))
#endif
