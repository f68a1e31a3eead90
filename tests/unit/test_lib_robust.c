/* test_lib_robust: libbpc never aborts, crashes or exits — out of memory at
 * every allocation of a small model's compile and emission, an internal
 * error, NULL arguments to every public function and out-of-range options
 * all come back as data (SPEC §4). Leaks show under the ASan build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arena.h"
#include "bpc.h"
#include "ir.h"

static const char small[] =
    "dim N, D = 3\n"
    "input x[N, D]\n"
    "input y[N] : int\n"
    "param W[D, D] ~ he\n"
    "param b[D]\n"
    "h = relu(x @ W + b)\n"
    "s = sum(h * h, axis=1)\n"
    "loss = cross_entropy(h, y) + mean(s)\n"
    "output h\n"
    "optimize loss with adam(lr = 0.01)\n";

/* Is one of m's diagnostics an error containing text? */
static bool has_error(const bpc_model *m, const char *text)
{
    for (int i = 0; i < bpc_num_diags(m); i++) {
        const bpc_diag *d = bpc_get_diag(m, i);
        if (d && d->level == BPC_ERROR && strstr(d->message, text))
            return true;
    }
    return false;
}

/* Compile, emit, dump every stage: the library work a host does. Returns
 * true if everything succeeded. */
static bool workflow(const bpc_options *opt, FILE *sink)
{
    bpc_model *m = bpc_compile(small, strlen(small), "small.bp", opt);
    assert_non_null(m);
    bool ok = bpc_ok(m) && bpc_c_source(m) && bpc_c_header(m);
    for (int s = BPC_STAGE_AST; s <= BPC_STAGE_DOT; s++)
        ok &= bpc_dump(m, s, sink) == 0;
    if (!ok) {
        assert_false(bpc_ok(m));
        assert_true(bpc_num_diags(m) >= 1);
        assert_true(has_error(m, "out of memory"));
        bpc_print_diags(m, sink);
    }
    bpc_free(m);
    return ok;
}

/* The N-th allocation fails, for every N the workflow makes. */
static void test_out_of_memory_everywhere(void **state)
{
    (void)state;
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    const bpc_options opts[] = { { .opt_level = 1 }, { .opt_level = 0, .dtype = BP_F64 } };
    for (size_t o = 0; o < sizeof opts / sizeof *opts; o++) {
        arena_fail_after(0);
        assert_true(workflow(&opts[o], sink));
        long total = arena_fail_after(0);
        assert_true(total > 10);
        print_message("options %zu: failing each of %ld allocations\n", o, total);
        for (long n = 1; n <= total; n++) {
            arena_fail_after(n);
            assert_false(workflow(&opts[o], sink));
        }
        arena_fail_after(total + 1);
        assert_true(workflow(&opts[o], sink));
        arena_fail_after(0);
    }
    fclose(sink);
}

/* Running out of memory while the JIT emits: NULL with a message, an error on the model. */
static void test_out_of_memory_in_jit(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(small, strlen(small), "small.bp", NULL);
    assert_true(bpc_ok(m));
    char err[256];
    arena_fail_after(5);
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    arena_fail_after(0);
    assert_null(j);
    assert_true(err[0] != 0);
    assert_false(bpc_ok(m));
    assert_true(has_error(m, "out of memory"));
    assert_null(bpc_c_source(m));
    bpc_free(m);
}

/* A compiler bug (an op of unbroadcastable shapes) fails the guard with a message. */
static void test_internal_error_is_data(void **state)
{
    (void)state;
    Arena a = { 0 };
    Guard gd;
    guard_push(&gd);
    if (setjmp(gd.jb) == 0) {
        Graph *g = ir_new(&a);
        Node *x = ir_bcast_to(g, ir_const(g, 1), (Shape){ 1, { 2 } });
        Node *y = ir_bcast_to(g, ir_const(g, 2), (Shape){ 1, { 3 } });
        ir_op2(g, OP_ADD, x, y, 0);
        guard_pop(&gd);
        fail_msg("no internal error");
    }
    assert_int_equal(guard_depth(), 0);
    assert_non_null(strstr(gd.msg, "internal error: add"));
    arena_free(&a);
}

static void test_null_arguments(void **state)
{
    (void)state;
    char err[128] = "x";
    assert_int_equal(bpc_ok(NULL), 0);
    assert_int_equal(bpc_num_diags(NULL), -1);
    assert_null(bpc_get_diag(NULL, 0));
    bpc_print_diags(NULL, stderr);
    assert_int_equal(bpc_dump(NULL, BPC_STAGE_IR, stderr), -1);
    assert_null(bpc_c_source(NULL));
    assert_null(bpc_c_header(NULL));
    assert_null(bpc_name(NULL));
    assert_null(bpc_jit_new(NULL, err, sizeof err));
    assert_non_null(strstr(err, "NULL"));
    assert_null(bpc_jit_entry(NULL));
    assert_null(bpc_jit_upgrade(NULL, 1));
    bpc_jit_free(NULL);
    bpc_free(NULL);

    bpc_model *m = bpc_compile(NULL, 10, NULL, NULL);
    assert_false(bpc_ok(m));
    assert_true(has_error(m, "NULL"));
    bpc_free(m);

    m = bpc_compile(small, strlen(small), NULL, NULL);
    assert_true(bpc_ok(m));
    assert_int_equal(bpc_dump(m, BPC_STAGE_IR, NULL), -1);
    assert_int_equal(bpc_dump(m, 99, stderr), -1);
    assert_int_equal(bpc_dump(m, -1, stderr), -1);
    bpc_print_diags(m, NULL);
    assert_null(bpc_get_diag(m, -1));
    assert_null(bpc_get_diag(m, 0));
    bpc_jit *j = bpc_jit_new(m, NULL, 100);   /* no room for a message: still fine */
    assert_non_null(j);
    bpc_jit_free(j);
    bpc_free(m);
}

static void test_options_out_of_range(void **state)
{
    (void)state;
    const bpc_options bad[] = {
        { .opt_level = 1, .dtype = 7 },  { .opt_level = 1, .dtype = BP_I32 }, { .opt_level = 1, .gemm = -1 },
        { .opt_level = 1, .gemm = 3 },   { .opt_level = -1 },                 { .opt_level = 99 },
        { .opt_level = 1, .jit = 3 },    { .opt_level = 1, .jit = -5 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bpc_model *m = bpc_compile(small, strlen(small), "small.bp", &bad[i]);
        assert_false(bpc_ok(m));
        assert_true(has_error(m, "invalid option"));
        assert_null(bpc_c_source(m));
        char err[128];
        assert_null(bpc_jit_new(m, err, sizeof err));
        bpc_free(m);
    }
    const bpc_options good = { .opt_level = 0, .dtype = BP_F64, .gemm = BPC_GEMM_BLAS, .jit = BPC_JIT_CC };
    bpc_model *m = bpc_compile(small, strlen(small), "small.bp", &good);
    assert_true(bpc_ok(m));
    bpc_free(m);
}

/* Diagnostics added after bpc_get_diag built its table are still reachable. */
static void test_diag_table_refreshes(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(small, strlen(small), "small.bp", NULL);
    assert_true(bpc_ok(m));
    int n = bpc_num_diags(m);
    assert_null(bpc_get_diag(m, n));
    arena_fail_after(3);
    assert_null(bpc_c_source(m));
    arena_fail_after(0);
    assert_int_equal(bpc_num_diags(m), n + 1);
    assert_non_null(bpc_get_diag(m, n));
    assert_non_null(strstr(bpc_get_diag(m, n)->message, "out of memory"));
    bpc_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_memory_everywhere),
        cmocka_unit_test(test_out_of_memory_in_jit),
        cmocka_unit_test(test_internal_error_is_data),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_options_out_of_range),
        cmocka_unit_test(test_diag_table_refreshes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
