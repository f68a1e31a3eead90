/* dims: derived dims — extents that are polynomials over the symbolic dims
 * with integer coefficients (N*T from a reshape, N+M from a concat, N-1 from
 * x[1:]). Each distinct polynomial is kept once in the graph's table and has
 * a symbolic index DIMS_BASE + j, encoded as an Extent -(k+1) like a declared
 * dim: Shape equality stays Extent equality, and passes that treat negative
 * extents as opaque symbols work unchanged. */
#ifndef BPC_DIMS_H
#define BPC_DIMS_H
#include <stddef.h>
#include "ir.h"

enum {
    DIMS_BASE = 1 << 20,  /* symbolic index of the first derived dim     */
    DIMS_MAXDEG = 8,      /* factors in one product                      */
    DIMS_MAXTERMS = 8     /* terms in one polynomial                     */
};

/* c times the product of the declared symbolic dims sym[0..n), sorted. */
typedef struct DimTerm {
    int64_t c;
    int n;
    int sym[DIMS_MAXDEG];
} DimTerm;

/* A sum of terms in canonical order (dims_norm); bad: it outgrew the limits. */
typedef struct DimPoly {
    int n;
    DimTerm t[DIMS_MAXTERMS];
    bool bad;
} DimPoly;

/* The graph's table (Graph.dims). */
typedef struct DimTab {
    DimPoly *p;
    int64_t *at_least;   /* the least value it must have at run time (>= 1) */
    int n, cap;
} DimTab;

DimPoly dims_const(int64_t c);
/* The polynomial an extent stands for. */
DimPoly dims_poly(const Graph *g, Extent e);
DimPoly dims_add(DimPoly a, DimPoly b);
DimPoly dims_mul(DimPoly a, DimPoly b);
/* The element count of s. */
DimPoly dims_numel(const Graph *g, Shape s);
bool dims_eq(const DimPoly *a, const DimPoly *b);
/* a / m when every term of a is divisible by the single term m, else false. */
bool dims_div(DimPoly a, const DimTerm *m, DimPoly *out);
/* p >= 0 whenever the run-time checks pass: its non-constant coefficients are
 * >= 0 and its value at the least dims those checks allow (a declared dim's
 * at_least, raised by derived dims c*N + k >= at_least of one dim) is >= 0. */
bool dims_surely_nonneg(const Graph *g, const DimPoly *p);
/* The extent of p: a constant >= 1, a declared dim, or a derived dim (added to
 * the table). false when p is bad or a constant < 1. */
bool dims_extent(const Graph *g, DimPoly p, Extent *out);
/* Whether e is a derived dim; its table entry j. */
bool dims_is_derived(Extent e);
int dims_index(Extent e);
/* Derived dim e must be at least v at run time. */
void dims_need_at_least(const Graph *g, Extent e, int64_t v);
/* p as text: "N*T", "N+M", "N-1", "2*N+2". As a C expression over int64_t
 * ("(N * T - 1)") or, dbl, over doubles, names[k] the C name of declared dim
 * k (NULL: its declared name). Into the graph's arena. */
const char *dims_str(const Graph *g, const DimPoly *p);
const char *dims_c(const Graph *g, const DimPoly *p, const char *const *names, bool dbl);
/* One term of p as a C double expression (the run-time overflow checks). */
const char *dims_c_term(const Graph *g, const DimTerm *t, const char *const *names);
#endif
