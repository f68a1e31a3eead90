/* dims: the table of derived dims and polynomial arithmetic on extents (dims.h). */
#include <stdio.h>
#include <string.h>
#include "dims.h"

DimPoly dims_const(int64_t c)
{
    DimPoly p = { 0 };
    if (c)
        p.t[p.n++] = (DimTerm){ .c = c };
    return p;
}

/* Term order: higher degree first, then by the sorted dims. */
static int term_cmp(const DimTerm *a, const DimTerm *b)
{
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    for (int i = 0; i < a->n; i++)
        if (a->sym[i] != b->sym[i])
            return a->sym[i] < b->sym[i] ? -1 : 1;
    return 0;
}

static bool add_ok(int64_t a, int64_t b) { return b > 0 ? a <= INT64_MAX / 2 - b : a >= INT64_MIN / 2 - b; }

/* p with like terms merged, zero terms dropped, terms in term_cmp order. */
static DimPoly norm(DimPoly p)
{
    for (int i = 1; i < p.n; i++)   /* insertion sort: few terms */
        for (int j = i; j > 0 && term_cmp(&p.t[j - 1], &p.t[j]) > 0; j--) {
            DimTerm t = p.t[j];
            p.t[j] = p.t[j - 1];
            p.t[j - 1] = t;
        }
    DimPoly r = { .bad = p.bad };
    for (int i = 0; i < p.n; i++) {
        if (r.n && term_cmp(&r.t[r.n - 1], &p.t[i]) == 0) {
            if (!add_ok(r.t[r.n - 1].c, p.t[i].c))
                r.bad = true;
            else
                r.t[r.n - 1].c += p.t[i].c;
            if (r.t[r.n - 1].c == 0)
                r.n--;
        } else if (p.t[i].c) {
            r.t[r.n++] = p.t[i];
        }
    }
    return r;
}

DimPoly dims_poly(const Graph *g, Extent e)
{
    if (e > 0)
        return dims_const(e);
    int k = (int)(-e - 1);
    if (k < DIMS_BASE) {
        DimPoly p = { 1, { { 1, 1, { k } } }, false };
        return p;
    }
    return g->dims->p[k - DIMS_BASE];
}

DimPoly dims_add(DimPoly a, DimPoly b)
{
    a.bad |= b.bad;
    for (int i = 0; i < b.n; i++) {
        if (a.n == DIMS_MAXTERMS) {
            a = norm(a);
            if (a.n == DIMS_MAXTERMS) {
                a.bad = true;
                return a;
            }
        }
        a.t[a.n++] = b.t[i];
    }
    return norm(a);
}

/* a * b of two terms, or false when too large. */
static bool term_mul(const DimTerm *a, const DimTerm *b, DimTerm *out)
{
    if (a->n + b->n > DIMS_MAXDEG || (a->c && (b->c > INT64_MAX / 4 / (a->c < 0 ? -a->c : a->c) ||
                                               b->c < -INT64_MAX / 4 / (a->c < 0 ? -a->c : a->c))))
        return false;
    out->c = a->c * b->c;
    out->n = 0;
    int i = 0, j = 0;
    while (i < a->n || j < b->n)
        out->sym[out->n++] = j == b->n || (i < a->n && a->sym[i] <= b->sym[j]) ? a->sym[i++] : b->sym[j++];
    return true;
}

DimPoly dims_mul(DimPoly a, DimPoly b)
{
    DimPoly r = { .bad = a.bad || b.bad };
    for (int i = 0; i < a.n; i++)
        for (int j = 0; j < b.n; j++) {
            DimPoly t = { .n = 1 };
            if (!term_mul(&a.t[i], &b.t[j], &t.t[0])) {
                r.bad = true;
                return r;
            }
            r = dims_add(r, t);
        }
    return r;
}

DimPoly dims_numel(const Graph *g, Shape s)
{
    DimPoly p = dims_const(1);
    for (int i = 0; i < s.rank; i++)
        p = dims_mul(p, dims_poly(g, s.d[i]));
    return p;
}

bool dims_eq(const DimPoly *a, const DimPoly *b)
{
    if (a->bad || b->bad || a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (a->t[i].c != b->t[i].c || term_cmp(&a->t[i], &b->t[i]) != 0)
            return false;
    return true;
}

bool dims_div(DimPoly a, const DimTerm *m, DimPoly *out)
{
    if (a.bad || m->c == 0)
        return false;
    for (int i = 0; i < a.n; i++) {
        DimTerm *t = &a.t[i];
        if (t->c % m->c)
            return false;
        t->c /= m->c;
        for (int k = 0; k < m->n; k++) {   /* remove one factor m->sym[k] */
            int j = 0;
            while (j < t->n && t->sym[j] != m->sym[k])
                j++;
            if (j == t->n)
                return false;
            memmove(t->sym + j, t->sym + j + 1, sizeof(int) * (size_t)(t->n - j - 1));
            t->n--;
        }
    }
    *out = norm(a);
    return true;
}

/* The least value declared dim k can have when the run-time checks pass. */
static double least(const Graph *g, int k)
{
    const Decl *d = ir_sym_decl(g, k);
    double m = d && d->at_least > 1 ? (double)d->at_least : 1;
    for (int j = 0; j < g->dims->n; j++) {   /* c*N + b >= at_least: N >= (at_least - b) / c */
        const DimPoly *p = &g->dims->p[j];
        if (p->n < 1 || p->n > 2 || p->t[0].n != 1 || p->t[0].sym[0] != k || p->t[0].c <= 0 || (p->n == 2 && p->t[1].n))
            continue;
        double b = p->n == 2 ? (double)p->t[1].c : 0, c = (double)p->t[0].c;
        double v = (double)g->dims->at_least[j] - b;
        v = v / c == (double)(int64_t)(v / c) ? v / c : (double)(int64_t)(v / c) + (v > 0);
        if (v > m)
            m = v;
    }
    return m;
}

bool dims_surely_nonneg(const Graph *g, const DimPoly *p)
{
    double v = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->t[i].n && p->t[i].c < 0)
            return false;
        double t = (double)p->t[i].c;
        for (int k = 0; k < p->t[i].n; k++)
            t *= least(g, p->t[i].sym[k]);
        v += t;
    }
    return !p->bad && v >= 0;
}

bool dims_is_derived(Extent e) { return e < 0 && -e - 1 >= DIMS_BASE; }

int dims_index(Extent e) { return (int)(-e - 1) - DIMS_BASE; }

bool dims_extent(const Graph *g, DimPoly p, Extent *out)
{
    p = norm(p);
    if (p.bad)
        return false;
    if (p.n == 0 || (p.n == 1 && p.t[0].n == 0)) {
        *out = p.n ? p.t[0].c : 0;
        return *out >= 1;
    }
    if (p.n == 1 && p.t[0].n == 1 && p.t[0].c == 1) {
        *out = -(Extent)p.t[0].sym[0] - 1;
        return true;
    }
    DimTab *d = g->dims;
    for (int j = 0; j < d->n; j++)
        if (dims_eq(&d->p[j], &p)) {
            *out = -(Extent)(DIMS_BASE + j) - 1;
            return true;
        }
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 8;
        DimPoly *np = arena_alloc(g->arena, sizeof *np * (size_t)cap);
        int64_t *na = arena_alloc(g->arena, sizeof *na * (size_t)cap);
        if (d->n) {
            memcpy(np, d->p, sizeof *np * (size_t)d->n);
            memcpy(na, d->at_least, sizeof *na * (size_t)d->n);
        }
        d->p = np, d->at_least = na, d->cap = cap;
    }
    d->p[d->n] = p;
    d->at_least[d->n] = 1;
    *out = -(Extent)(DIMS_BASE + d->n++) - 1;
    return true;
}

void dims_need_at_least(const Graph *g, Extent e, int64_t v)
{
    if (dims_is_derived(e) && g->dims->at_least[dims_index(e)] < v)
        g->dims->at_least[dims_index(e)] = v;
}

static const char *dim_name(const Graph *g, int k, const char *const *names)
{
    if (names)
        return names[k];
    const Decl *d = ir_sym_decl(g, k);
    return d ? d->name : "?";
}

/* One term, its sign left to the caller: |c| * A * B; sep between factors,
 * each factor as fmt. Text (sep "*") has no spaces: N*T+N-1; C has them. */
static const char *term_str(const Graph *g, const DimTerm *t, const char *const *names, const char *sep, const char *fmt)
{
    int64_t c = t->c < 0 ? -t->c : t->c;
    const char *r = c != 1 || !t->n ? arena_printf(g->arena, fmt[0] == '(' ? "%lld.0" : "%lld", (long long)c) : NULL;
    for (int i = 0; i < t->n; i++) {
        const char *f = arena_printf(g->arena, fmt, dim_name(g, t->sym[i], names));
        r = r ? arena_printf(g->arena, "%s%s%s", r, sep, f) : f;
    }
    return r;
}

static const char *poly_str(const Graph *g, const DimPoly *p, const char *const *names, const char *sep, const char *fmt)
{
    if (p->n == 0)
        return "0";
    const char *r = NULL;
    for (int i = 0; i < p->n; i++) {
        const char *t = term_str(g, &p->t[i], names, sep, fmt);
        if (!r)
            r = p->t[i].c < 0 ? arena_printf(g->arena, "-%s", t) : t;
        else
            r = arena_printf(g->arena, strcmp(sep, "*") ? "%s %c %s" : "%s%c%s", r, p->t[i].c < 0 ? '-' : '+', t);
    }
    return r;
}

const char *dims_str(const Graph *g, const DimPoly *p) { return poly_str(g, p, NULL, "*", "%s"); }

const char *dims_c(const Graph *g, const DimPoly *p, const char *const *names, bool dbl)
{
    return arena_printf(g->arena, "(%s)", poly_str(g, p, names, " * ", dbl ? "(double)%s" : "%s"));
}

const char *dims_c_term(const Graph *g, const DimTerm *t, const char *const *names)
{
    return term_str(g, t, names, " * ", "(double)%s");
}
