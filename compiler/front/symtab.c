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

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), giving up (returning limit+1) when lengths differ by more. */
static int distance(const char *a, const char *b, int limit)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 64 || lb > 64 || abs(la - lb) > limit)
        return limit + 1;
    int d[65][65];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
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
