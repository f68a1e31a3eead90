/* test_frontend: the scanner, the parser and the shape rules through the
 * compiler's internal API (parse_module, the lowered IR, op_info). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ast.h"
#include "ir.h"
#include "model.h"

/* Parse src; the module and the number of errors. */
static Module *parse(Arena *a, Diags *d, const char *src)
{
    diag_init(d, a, "t.bp", src, strlen(src));
    return parse_module(a, d, src, strlen(src));
}

static void test_statements_and_separators(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "dim N, D = 3 ; input x[N,\n D] : int # labels\n"
                              "param W[D] ~ normal(0.1)\ndef f(a, b) = a + b\nh = f(\n  W,\n  W)\n"
                              "output h\ngrad h wrt W, x\noptimize h with sgd(lr = 0.1)\n");
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(m->n, 8);
    StmtKind kinds[] = { ST_DIM, ST_INPUT, ST_PARAM, ST_DEF, ST_BIND, ST_OUTPUT, ST_GRAD, ST_OPTIMIZE };
    for (int i = 0; i < 8; i++)
        assert_int_equal(m->stmts[i]->kind, kinds[i]);
    assert_int_equal(m->stmts[0]->ndims, 2);
    assert_non_null(m->stmts[0]->dims[1].value);
    assert_true(m->stmts[1]->is_int);
    assert_int_equal(m->stmts[1]->rank, 2);
    assert_int_equal(m->stmts[3]->nnames, 2);
    assert_int_equal(m->stmts[4]->span.line, 5);          /* newlines inside ( ) were skipped */
    assert_int_equal(m->stmts[6]->nnames, 2);
    assert_string_equal(m->stmts[7]->expr->args[0].key, "lr");
    arena_free(&a);
}

static void test_precedence(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "y = -a ** 2 + b @ cᵀ * d.T\n");
    assert_int_equal(d.nerrors, 0);
    const Ast *e = m->stmts[0]->expr;
    assert_int_equal(e->op, '+');
    assert_int_equal(e->lhs->kind, AST_NEG);               /* -(a ** 2) */
    assert_int_equal(e->lhs->lhs->op, '^');
    assert_int_equal(e->rhs->op, '*');                     /* (b @ cᵀ) * dᵀ, left to right */
    assert_int_equal(e->rhs->lhs->op, '@');
    assert_int_equal(e->rhs->lhs->rhs->kind, AST_TRANSPOSE);
    assert_int_equal(e->rhs->rhs->kind, AST_TRANSPOSE);
    Module *r = parse(&a, &d, "y = a ** b ** c\n");       /* right-associative */
    assert_int_equal(r->stmts[0]->expr->rhs->op, '^');
    arena_free(&a);
}

static void test_columns_count_characters(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    parse(&a, &d, "y = xᵀᵀ $\n");
    assert_int_equal(d.nerrors, 1);
    assert_int_equal(d.items[0].span.line, 1);
    assert_int_equal(d.items[0].span.col, 9);             /* ᵀ is one column, three bytes */
    arena_free(&a);
}

static void test_recovery_reports_each_statement(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "y = (1 +\nz = 2 2\nw = 3\nq = ]\n");
    assert_int_equal(d.nerrors, 2);
    assert_int_equal(m->n, 1);                             /* only w survives */
    assert_string_equal(m->stmts[0]->name, "w");
    arena_free(&a);
}

/* SPEC §1: slices and indices, list arguments, and for-loops whose blocks
 * hold their statements (nested, `;`-separated, or one per line). `for` and
 * `in` stay usable as names. */
static void test_index_list_and_loops(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "h = x[:, 2:5, 1:, :3, -1][ids]\nr = reshape(x, [N * T, -1])\n"
                              "for l in 0..L { h = h @ W[l]; k = 1 }\n"
                              "for t in 1..T {\n  h = h + 1\n\n  for s in 0..2 { h = h * 2 }\n}\nfor = 3\nin = for\n");
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(m->n, 6);
    const Ast *outer = m->stmts[0]->expr, *inner = outer->lhs;
    assert_int_equal(outer->kind, AST_INDEX);
    assert_int_equal(outer->nidx, 1);
    assert_int_equal(inner->kind, AST_INDEX);
    assert_int_equal(inner->nidx, 5);
    assert_true(inner->idx[0].is_slice && !inner->idx[0].lo && !inner->idx[0].hi);
    assert_true(inner->idx[1].is_slice && inner->idx[1].lo && inner->idx[1].hi);
    assert_true(inner->idx[2].lo && !inner->idx[2].hi);
    assert_true(!inner->idx[3].lo && inner->idx[3].hi);
    assert_false(inner->idx[4].is_slice);
    assert_int_equal(inner->idx[4].value->kind, AST_NEG);
    const Ast *list = m->stmts[1]->expr->args[1].value;
    assert_int_equal(list->kind, AST_LIST);
    assert_int_equal(list->nargs, 2);
    const Stmt *f1 = m->stmts[2], *f2 = m->stmts[3];
    assert_int_equal(f1->kind, ST_FOR);
    assert_string_equal(f1->name, "l");
    assert_int_equal(f1->nbody, 2);
    assert_int_equal(f1->body[0]->expr->rhs->kind, AST_INDEX);
    assert_int_equal(f2->nbody, 2);
    assert_int_equal(f2->lo->num, 1);
    assert_int_equal(f2->body[1]->kind, ST_FOR);
    assert_int_equal(f2->body[1]->nbody, 1);
    assert_string_equal(m->stmts[4]->name, "for");
    assert_string_equal(m->stmts[5]->name, "in");
    arena_free(&a);
}

/* Loop syntax errors: a keyword inside a list, a bad statement inside a
 * block (its siblings and the statements after the loop stand), a loop left
 * open, loops nested too deeply. */
static void test_loop_and_list_errors(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "r = reshape(x, [axis = 2])\nfor l in 0..2 {\n  h = = 1\n  k = 2\n}\nw = 3\n");
    assert_int_equal(d.nerrors, 2);
    assert_int_equal(m->n, 2);                            /* the loop (holding k) and w */
    assert_int_equal(m->stmts[0]->nbody, 1);
    assert_string_equal(m->stmts[1]->name, "w");
    parse(&a, &d, "for l in 0..2 {\n  h = 1\n");
    assert_int_equal(d.nerrors, 1);
    char deep[40 * 20 + 64] = "";
    for (int i = 0; i < 17; i++)
        strcat(deep, "for i in 0..2 {");
    strcat(deep, "h = 1");
    for (int i = 0; i < 17; i++)
        strcat(deep, "}");
    strcat(deep, "\nw = 1\n");
    parse(&a, &d, deep);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(d.items[0].msg, "nested too deeply"));
    arena_free(&a);
}

/* SPEC §1: every declaration takes a comma list; `: int` and `~ init` belong
 * to the name they follow. The list becomes one statement per name, in order. */
static void test_declaration_lists(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "dim N, D = 4\ninput x[N, D], y[N] : int, s\n"
                              "param W[D, 3] ~ he, b[3], c[3] ~ normal(0.5)\n");
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(m->n, 7);
    static const char *const names[] = { "x", "y", "s", "W", "b", "c" };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(m->stmts[1 + i]->kind, i < 3 ? ST_INPUT : ST_PARAM);
        assert_string_equal(m->stmts[1 + i]->name, names[i]);
        assert_int_equal(m->stmts[1 + i]->is_int, i == 1);
        assert_int_equal(m->stmts[1 + i]->expr != NULL, i == 3 || i == 5);
    }
    assert_int_equal(m->stmts[1]->rank, 2);
    assert_int_equal(m->stmts[2]->rank, 1);
    assert_int_equal(m->stmts[3]->rank, 0);
    assert_int_equal(m->stmts[2]->name_span.col, 16);      /* "input x[N, D], y": y is column 16 */
    assert_int_equal(m->stmts[5]->name_span.col, 21);
    arena_free(&a);
}

/* The lowered declarations of a list: each with its own type and initializer. */
static void test_declaration_lists_lowered(void **state)
{
    (void)state;
    const char src[] = "dim N, K = 3, M = 2\ninput x[N, K], y[N] : int\nparam W[K, M] ~ he, b[M], c[M] ~ uniform(-1, 2)\n"
                       "loss = cross_entropy(x @ W + b + c, y)\ngrad loss\n";
    bpc_model *m = bpc_compile(src, strlen(src), "l.bp", NULL);
    assert_true(bpc_ok(m));
    const Graph *g = m->g;
    int seen = 0;
    for (int i = 0; i < g->ndecls; i++) {
        const Decl *dc = &g->decls[i];
        if (strcmp(dc->name, "x") == 0)
            seen++, assert_false(dc->is_int), assert_int_equal(dc->shape.d[1], 3);
        if (strcmp(dc->name, "y") == 0)
            seen++, assert_true(dc->is_int), assert_int_equal(dc->shape.rank, 1);
        if (strcmp(dc->name, "W") == 0)
            seen++, assert_int_equal(dc->init, INIT_HE);
        if (strcmp(dc->name, "b") == 0)
            seen++, assert_int_equal(dc->init, INIT_ZEROS);
        if (strcmp(dc->name, "c") == 0)
            seen++, assert_int_equal(dc->init, INIT_UNIFORM), assert_true(dc->init_a == -1 && dc->init_b == 2);
        if (strcmp(dc->name, "M") == 0)
            seen++, assert_int_equal(dc->value, 2);
    }
    assert_int_equal(seen, 6);
    bpc_free(m);
}

/* An error inside a list: a bad extent drops that name alone (its siblings
 * stay declared, so their uses raise nothing); a syntax error drops the line. */
static void test_declaration_list_errors(void **state)
{
    (void)state;
    Arena a = { 0 };
    Diags d;
    Module *m = parse(&a, &d, "input x[0], y[2], z[1.5]\nparam p[2] ~ he, : int\nparam q, r[2] ~ ones\n");
    assert_int_equal(d.nerrors, 3);
    assert_int_equal(m->n, 3);                             /* y, q, r */
    assert_string_equal(m->stmts[0]->name, "y");
    assert_string_equal(m->stmts[1]->name, "q");
    assert_null(m->stmts[1]->expr);
    assert_non_null(m->stmts[2]->expr);
    assert_int_equal(d.nerrors, 3);
    Module *t = parse(&a, &d, "input a,\ninput , b\nparam c[2] : int\ninput e ~ he\n");
    assert_int_equal(d.nerrors, 4);
    assert_int_equal(t->n, 0);
    arena_free(&a);
}

/* The IR of a one-binding model: its shape, via the public compile. */
static Shape result_shape(const char *decls, const char *expr, bool *ok)
{
    char src[512];
    snprintf(src, sizeof src, "%sresult = %s\noutput result\n", decls, expr);
    bpc_model *m = bpc_compile(src, strlen(src), "s.bp", NULL);
    *ok = bpc_ok(m);
    Shape s = { -1, { 0 } };
    if (*ok)
        s = m->g->outputs[0].node->shape;
    bpc_free(m);
    return s;
}

static void expect_shape(const char *decls, const char *expr, int rank, Extent d0, Extent d1)
{
    bool ok;
    Shape s = result_shape(decls, expr, &ok);
    if (!ok)
        fail_msg("%s rejected", expr);
    assert_int_equal(s.rank, rank);
    if (rank > 0)
        assert_int_equal(s.d[0], d0);
    if (rank > 1)
        assert_int_equal(s.d[1], d1);
}

static void expect_error(const char *decls, const char *expr)
{
    bool ok;
    result_shape(decls, expr, &ok);
    if (ok)
        fail_msg("%s accepted", expr);
}

static const char decls[] = "dim N\ninput x[N, 3]\ninput v[3]\ninput s\ninput y[N] : int\ninput m[3, 4]\n";

static void test_shape_rules(void **state)
{
    (void)state;
    static const char *const unary[] = { "relu(x)", "sigmoid(x)", "tanh(x)", "exp(x)", "log(x)", "sqrt(x)", "abs(x)",
                                         "leaky_relu(x, 0.2)", "-x", "x ** 3", "softmax(x)", "log_softmax(x)" };
    for (size_t i = 0; i < sizeof unary / sizeof *unary; i++)
        expect_shape(decls, unary[i], 2, -1, 3);
    expect_shape(decls, "x + v", 2, -1, 3);               /* broadcasting in each position */
    expect_shape(decls, "v * x", 2, -1, 3);
    expect_shape(decls, "x - s", 2, -1, 3);
    expect_shape(decls, "max(x, v) / min(s, x)", 2, -1, 3);
    expect_shape(decls, "x @ m", 2, -1, 4);               /* matmul ranks */
    expect_shape(decls, "v @ m", 1, 4, 0);
    expect_shape(decls, "x @ v", 1, -1, 0);
    expect_shape(decls, "v @ v", 0, 0, 0);
    expect_shape(decls, "x.T", 2, 3, -1);
    expect_shape(decls, "sum(x)", 0, 0, 0);               /* reductions */
    expect_shape(decls, "sum(x, axis=0)", 1, 3, 0);
    expect_shape(decls, "mean(x, axis=-1)", 1, -1, 0);
    expect_shape(decls, "max(x, axis=1)", 1, -1, 0);
    expect_shape(decls, "max(x)", 0, 0, 0);
    expect_shape(decls, "cross_entropy(x, y)", 0, 0, 0); /* losses */
    expect_shape(decls, "svm(x, y, margin=2)", 0, 0, 0);
    expect_shape(decls, "mse(x, v)", 0, 0, 0);
    static const char *const bad[] = { "x + m", "m @ x", "x @ x", "sum(x, axis=2)", "sum(x, axis=-3)",
                                       "cross_entropy(v, y)", "cross_entropy(x, v)", "svm(m, y)", "x + y",
                                       "relu(y)", "mse(x, m)", "softmax(s)", "leaky_relu(x, v)", "x ** v" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_error(decls, bad[i]);
}

static void test_broadcast_is_explicit(void **state)
{
    (void)state;
    const char src[] = "dim N\ninput x[N, 3]\nparam b[3]\ny = x + b\noutput y\n";
    bpc_model *m = bpc_compile(src, strlen(src), "b.bp", NULL);
    Node *y = m->g->outputs[0].node;
    assert_int_equal(y->op, OP_ADD);
    assert_int_equal(y->in[1]->op, OP_BCAST);              /* b stretched over rows */
    assert_int_equal(y->in[1]->map[0], -1);
    assert_int_equal(y->in[1]->map[1], 0);
    assert_true(shape_eq(y->in[0]->shape, y->in[1]->shape));
    bpc_free(m);
}

static void test_every_op_has_rules(void **state)
{
    (void)state;
    for (int op = 0; op < OP_COUNT_; op++) {
        assert_non_null(op_info[op].name);
        assert_non_null(op_info[op].shape);
        assert_non_null(op_info[op].grad);
        assert_non_null(op_info[op].emit);
        assert_true(op_info[op].kind != K_EWISE || op_info[op].expr != NULL);
        assert_non_null(op_info[op].fold);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements_and_separators), cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_columns_count_characters), cmocka_unit_test(test_recovery_reports_each_statement),
        cmocka_unit_test(test_shape_rules), cmocka_unit_test(test_broadcast_is_explicit),
        cmocka_unit_test(test_every_op_has_rules), cmocka_unit_test(test_declaration_lists),
        cmocka_unit_test(test_declaration_lists_lowered), cmocka_unit_test(test_declaration_list_errors),
        cmocka_unit_test(test_index_list_and_loops), cmocka_unit_test(test_loop_and_list_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
