/* arena: bump allocation for one compilation, freed whole; and the failure
 * boundary every library entry point runs the pipeline under. */
#ifndef BPC_ARENA_H
#define BPC_ARENA_H
#include <setjmp.h>
#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;
typedef struct Arena {
    ArenaChunk *head;   /* newest chunk first */
    size_t used;        /* bytes handed out, for limits and reports */
} Arena;

/* Zeroed memory. Out of memory inside a guard: fail_oom() (does not return);
 * outside any guard: NULL (no caller in the library runs outside one). */
void *arena_alloc(Arena *a, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(Arena *a);
/* Grow *items (of *cap elements of size elem) to hold at least need elements. */
void arena_grow(Arena *a, void **items, int *cap, int need, size_t elem);
#define ARENA_PUSH(a, arr, n, cap, v) \
    (arena_grow((a), (void **)&(arr), &(cap), (n) + 1, sizeof *(arr)), (arr)[(n)++] = (v))

/* ---- the failure boundary ----
 * The contract: the pipeline (parse, lower, differentiate, plan, emit) never
 * aborts. Running out of memory or hitting an internal error longjmps to the
 * innermost Guard of the thread, which the library entry points (bpc_compile,
 * emit_generate, bpc_dump, bpc_get_diag) set up like this:
 *
 *     Guard gd;
 *     guard_push(&gd);
 *     if (setjmp(gd.jb) == 0) {
 *         ... pipeline ...
 *         guard_pop(&gd);
 *     } else {
 *         ... gd.msg says what failed; the guard is already popped ...
 *     }
 *
 * This is safe because everything the pipeline allocates lives in the model's
 * arena (freed by bpc_free) or in a StrBuf, whose blocks the failure frees
 * (strbuf.c); nothing else is malloc'd between push and pop. State the jump
 * skips over (a half-built graph or plan) is abandoned: the entry point marks
 * the model as failed and it is never read again. Variables of the entry
 * point changed after setjmp and read after the jump must be volatile. */
typedef struct Guard {
    jmp_buf jb;
    struct Guard *prev;
    int depth;          /* 1 for the outermost guard */
    char msg[256];      /* "out of memory" or "internal error: ..." */
} Guard;

void guard_push(Guard *g);
void guard_pop(Guard *g);
/* The innermost guard's depth; 0 outside every guard. */
int guard_depth(void);
/* Jump to the innermost guard (which is popped) with the message. Outside
 * every guard (a bug: the library sets one up) the process aborts. */
_Noreturn void fail_oom(void);
_Noreturn void fail_internal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Pass a caught failure on to the next guard out (after local cleanup). */
_Noreturn void fail_rethrow(const Guard *caught);

/* Test hook: the n-th allocation from now (arena or StrBuf; n >= 1) fails as
 * if memory ran out, on this thread; 0 turns it off. Returns how many
 * allocations were counted since the last call. */
long arena_fail_after(long n);
/* Counts one allocation; true if it is to fail (the hook above). */
int arena_inject_failure(void);
#endif
