/* symtab: an open-addressing hash table of names, plus "did you mean". */
#include <stdlib.h>
#include <string.h>
#include "symtab.h"

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int slot_of(const Symtab *t, const char *name)
{
    int mask = t->cap - 1, i = (int)(str_hash(name) & (uint64_t)mask);
    while (t->slots[i] && strcmp(t->slots[i]->name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

Sym *symtab_find(const Symtab *t, const char *name)
{
    return t->cap ? t->slots[slot_of(t, name)] : NULL;
}

static void grow(Symtab *t)
{
    Sym **old = t->slots;
    int oldcap = t->cap;
    t->cap = oldcap ? oldcap * 2 : 64;
    t->slots = arena_alloc(t->arena, sizeof(Sym *) * (size_t)t->cap);
    for (int i = 0; i < oldcap; i++)
        if (old[i])
            t->slots[slot_of(t, old[i]->name)] = old[i];
}

Sym *symtab_add(Symtab *t, const char *name, SymKind kind, Span span, bool *existed)
{
    Sym *s = symtab_find(t, name);
    *existed = s != NULL;
    if (s)
        return s;
    if (2 * (t->n + 1) > t->cap)
        grow(t);
    s = arena_alloc(t->arena, sizeof *s);
    s->name = name;
    s->kind = kind;
    s->span = span;
    s->decl = -1;
    t->slots[slot_of(t, name)] = s;
    t->n++;
    ARENA_PUSH(t->arena, t->order, t->norder, t->corder, s);
    return s;
}

/* Levenshtein distance, giving up (returning limit+1) past limit. */
static int distance(const char *a, const char *b, int limit)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 64 || lb > 64 || abs(la - lb) > limit)
        return limit + 1;
    int row[65];
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *symtab_suggest(const Symtab *t, const char *name, const char *const *extra, int nextra)
{
    int len = (int)strlen(name), limit = len / 3 > 1 ? len / 3 : 1, best = limit + 1;
    const char *pick = NULL;
    for (int i = 0; i < t->norder + nextra; i++) {
        const char *cand = i < t->norder ? t->order[i]->name : extra[i - t->norder];
        int d = distance(name, cand, limit);
        if (d >= len && cand[0] != name[0])
            continue;   /* "h" for "x" would be a guess, not a typo */
        if (d < best)
            best = d, pick = cand;
    }
    return pick;
}
