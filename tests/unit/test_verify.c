/* The IR verifier (compiler verify.c): a compiled model holds every invariant;
 * each kind of corruption is caught and named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ir.h"
#include "model.h"

static const char src[] = "dim N\ninput x[N, 3]\nparam W[3, 2], b[2]\nh = relu(x @ W + b)\nloss = sum(h)\n"
                          "output h\ngrad loss wrt W, b\n";

static bpc_model *compiled(void)
{
    bpc_model *m = bpc_compile(src, strlen(src), "v.bp", NULL);
    assert_true(bpc_ok(m));
    assert_non_null(m->plan);
    return m;
}

static Node *find(Graph *g, OpKind op)
{
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i]->op == op)
            return g->nodes[i];
    fail_msg("no node of op %d", (int)op);
    return NULL;
}

static void expect_broken(Graph *g, const char *what)
{
    char msg[512] = "";
    assert_false(ir_verify(g, msg, sizeof msg));
    if (!strstr(msg, what))
        fail_msg("expected '%s' in '%s'", what, msg);
}

static void test_valid_model_verifies(void **state)
{
    (void)state;
    bpc_model *m = compiled();
    char msg[512] = "";
    assert_true(ir_verify(m->g, msg, sizeof msg));
    bpc_free(m);
}

static void test_wrong_shape(void **state)
{
    (void)state;
    bpc_model *m = compiled();
    Node *r = find(m->g, OP_RELU);
    r->shape.d[1] = 7;
    expect_broken(m->g, "its rule gives");
    bpc_free(m);
}

static void test_wrong_arity(void **state)
{
    (void)state;
    bpc_model *m = compiled();
    find(m->g, OP_RELU)->nin = 2;
    expect_broken(m->g, "with 2 inputs (arity 1)");
    bpc_free(m);
}

static void test_not_topological(void **state)
{
    (void)state;
    bpc_model *m = compiled();
    Node *r = find(m->g, OP_RELU);
    r->in[0] = m->g->nodes[m->g->n - 1];
    expect_broken(m->g, "not before it");
    bpc_free(m);
}

static void test_dangling_input(void **state)
{
    (void)state;
    bpc_model *m = compiled();
    static Node stray;
    stray = *find(m->g, OP_RELU);
    find(m->g, OP_SUM)->in[0] = &stray;
    expect_broken(m->g, "dangles");
    bpc_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_model_verifies), cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_wrong_arity), cmocka_unit_test(test_not_topological),
        cmocka_unit_test(test_dangling_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
