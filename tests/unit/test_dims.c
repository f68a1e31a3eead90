/* Derived dims (compiler/ir/dims.c): polynomials over the symbolic dims are
 * canonical (N*T is T*N, N+1-1 is N, a one-dim product is that dim, a constant
 * is a constant extent), hash-consed into one Extent each, printed N*T, N+M,
 * N-1; a SLICE_EXT slice's range check uses the run-time minimums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "dims.h"
#include "ir.h"

typedef struct Fix {
    Arena arena;
    Graph *g;
} Fix;

static int setup(void **state)
{
    static Fix f;
    memset(&f, 0, sizeof f);
    f.g = ir_new(&f.arena);
    static const char *const names[] = { "N", "T", "M" };
    for (int k = 0; k < 3; k++) {
        Decl d = { .kind = DECL_DIM, .name = names[k], .sym = k };
        ARENA_PUSH(&f.arena, f.g->decls, f.g->ndecls, f.g->cdecls, d);
        ARENA_PUSH(&f.arena, f.g->sym_decl, f.g->nsym, f.g->csym, f.g->ndecls - 1);
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    arena_free(&((Fix *)*state)->arena);
    return 0;
}

static DimPoly dim(int k) { return dims_poly(NULL, -(Extent)k - 1); }

static Extent ext(Graph *g, DimPoly p)
{
    Extent e = 0;
    assert_true(dims_extent(g, p, &e));
    return e;
}

static const char *str(Graph *g, Extent e)
{
    static char buf[64];
    return extent_str(g, e, buf, sizeof buf);
}

static void test_canonical(void **state)
{
    Graph *g = ((Fix *)*state)->g;
    Extent nt = ext(g, dims_mul(dim(0), dim(1)));
    assert_true(dims_is_derived(nt));
    assert_int_equal(ext(g, dims_mul(dim(1), dim(0))), nt);   /* T*N is N*T */
    assert_int_equal(ext(g, dims_add(dims_add(dim(0), dims_const(1)), dims_const(-1))), -1);   /* N+1-1 is N */
    assert_int_equal(ext(g, dims_mul(dim(2), dims_const(1))), -3);   /* M*1 is M */
    assert_int_equal(ext(g, dims_add(dims_const(3), dims_const(4))), 7);
    Extent e = 0;
    assert_false(dims_extent(g, dims_add(dim(0), dims_mul(dims_const(-1), dim(0))), &e));   /* N-N = 0 */
    assert_int_equal(g->dims->n, 1);
    assert_string_equal(str(g, nt), "N*T");
    assert_string_equal(str(g, ext(g, dims_add(dim(0), dim(2)))), "N+M");
    assert_string_equal(str(g, ext(g, dims_add(dim(0), dims_const(-1)))), "N-1");
    assert_string_equal(str(g, ext(g, dims_add(dims_mul(dims_const(2), dim(1)), dims_const(2)))), "2*T+2");
    /* (N - 1) * T: the product of two derived dims expands */
    Extent n1 = ext(g, dims_add(dim(0), dims_const(-1)));
    assert_string_equal(str(g, ext(g, dims_mul(dims_poly(g, n1), dim(1)))), "N*T-T");
}

static void test_divide_and_limits(void **state)
{
    Graph *g = ((Fix *)*state)->g;
    DimPoly q, have = dims_mul(dims_add(dim(1), dim(2)), dims_const(4));   /* 4*T+4*M */
    DimTerm four = { 4, 0, { 0 } }, t = { 1, 1, { 1 } };
    assert_true(dims_div(have, &four, &q));
    assert_string_equal(dims_str(g, &q), "T+M");
    assert_false(dims_div(have, &t, &q));
    DimPoly big = dims_const(1);
    for (int i = 0; i < DIMS_MAXDEG + 1; i++)
        big = dims_mul(big, dim(0));
    assert_true(big.bad);
    Extent e;
    assert_false(dims_extent(g, big, &e));
}

static void test_surely_nonneg(void **state)
{
    Graph *g = ((Fix *)*state)->g;
    DimPoly t1 = dims_add(dim(1), dims_const(-1)), t3 = dims_add(dim(1), dims_const(-3));
    assert_true(dims_surely_nonneg(g, &t1));    /* T >= 1 */
    assert_false(dims_surely_nonneg(g, &t3));
    Extent t4 = ext(g, dims_add(dim(1), dims_const(-4)));   /* T-4 >= 1 at run time: T >= 5 */
    (void)t4;
    assert_true(dims_surely_nonneg(g, &t3));
    DimPoly neg = dims_add(dims_const(5), dims_mul(dims_const(-1), dim(0)));
    assert_false(dims_surely_nonneg(g, &neg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_canonical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_divide_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_surely_nonneg, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
