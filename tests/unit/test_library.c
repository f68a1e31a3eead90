/* test_library: the public API of bpc.h — compile from a string, diagnostics
 * as data, JIT with libtcc and with cc, run through the reflection table,
 * fused against unfused code, tiered upgrade, a tiered JIT freed mid-build. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "bpc.h"

static const char mlp[] =
    "dim N, D = 5, H = 7, C = 3\n"
    "input x[N, D]\n"
    "input y[N] : int\n"
    "param W1[D, H] ~ he\n"
    "param b1[H] ~ normal(0.1)\n"
    "param W2[H, C] ~ xavier\n"
    "param b2[C]\n"
    "h = relu(x @ W1 + b1)\n"
    "scores = h @ W2 + b2\n"
    "loss = cross_entropy(scores, y) + 1e-3 * sum(W1 * W1)\n"
    "output scores\n"
    "optimize loss with adam(lr = 0.01)\n";

/* A model's io struct and tensors, allocated from its reflection table. */
typedef struct Bound {
    unsigned char *io;
    void *bufs[64];
    void *ws;
    const bpc_entry *e;
} Bound;

static int64_t extent(int64_t d, int64_t n) { return d > 0 ? d : n; }

static void bind(Bound *b, const bpc_entry *e, int64_t n)
{
    memset(b, 0, sizeof *b);
    b->e = e;
    b->io = calloc(1, e->io_size);
    assert_non_null(b->io);
    for (int i = 0; i < e->num_tensors; i++) {
        const bp_tensor_info *t = &e->tensors[i];
        if (t->dtype == BP_I64) {
            int64_t v = t->role == BP_DIM ? n : 0;
            memcpy(b->io + t->offset, &v, 8);
            continue;
        }
        int64_t count = 1;
        for (int k = 0; k < t->rank; k++)
            count *= extent(t->dims[k], n);
        b->bufs[i] = calloc((size_t)count, 8);
        for (int64_t k = 0; k < count && t->role == BP_INPUT; k++) {
            double v = t->dtype == BP_I32 ? (double)(k % 3) : sin(0.7 * (double)k + i);
            if (t->dtype == BP_F32) ((float *)b->bufs[i])[k] = (float)v;
            if (t->dtype == BP_F64) ((double *)b->bufs[i])[k] = v;
            if (t->dtype == BP_I32) ((int32_t *)b->bufs[i])[k] = (int32_t)v;
        }
        memcpy(b->io + t->offset, &b->bufs[i], sizeof(void *));
    }
    b->ws = malloc(e->workspace_size(b->io) + 1);
}

static void unbind(Bound *b)
{
    for (int i = 0; i < 64; i++)
        free(b->bufs[i]);
    free(b->io);
    free(b->ws);
}

static int find(const bpc_entry *e, const char *name)
{
    for (int i = 0; i < e->num_tensors; i++)
        if (strcmp(e->tensors[i].name, name) == 0)
            return i;
    return -1;
}

static void test_diagnostics_as_data(void **state)
{
    (void)state;
    const char src[] = "dim N\ninput x[N, 3]\nparam W[4, 2]\ny = x @ W\n";
    bpc_model *m = bpc_compile(src, strlen(src), "bad.bp", NULL);
    assert_false(bpc_ok(m));
    assert_true(bpc_num_diags(m) >= 1);
    const bpc_diag *d = bpc_get_diag(m, 0);
    assert_int_equal(d->level, BPC_ERROR);
    assert_int_equal(d->line, 4);
    assert_int_equal(d->col, 7);
    assert_non_null(strstr(d->message, "inner dimensions 3 and 4 differ"));
    assert_null(bpc_c_source(m));
    char err[256];
    assert_null(bpc_jit_new(m, err, sizeof err));
    assert_non_null(strstr(err, "errors"));
    bpc_free(m);
}

static void test_reflection_and_roles(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(mlp, strlen(mlp), "mlp.bp", NULL);
    assert_true(bpc_ok(m));
    char err[512];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    assert_non_null(j);
    const bpc_entry *e = bpc_jit_entry(j);
    static const char *const names[] = { "N", "x", "y", "W1", "b1", "W2", "b2", "scores", "loss", "W1_grad", "b1_grad",
                                         "W2_grad", "b2_grad", "W1_m", "b1_m", "W2_m", "b2_m", "W1_v", "b1_v", "W2_v",
                                         "b2_v", "step" };
    static const int roles[] = { BP_DIM, BP_INPUT, BP_INPUT, BP_PARAM, BP_PARAM, BP_PARAM, BP_PARAM, BP_OUTPUT, BP_TARGET,
                                 BP_GRAD, BP_GRAD, BP_GRAD, BP_GRAD, BP_STATE, BP_STATE, BP_STATE, BP_STATE, BP_STATE,
                                 BP_STATE, BP_STATE, BP_STATE, BP_STATE };
    assert_int_equal(e->num_tensors, (int)(sizeof names / sizeof *names));
    for (int i = 0; i < e->num_tensors; i++) {
        assert_string_equal(e->tensors[i].name, names[i]);
        assert_int_equal(e->tensors[i].role, roles[i]);
        assert_int_equal(e->tensors[i].offset, 8 * (size_t)i);
    }
    assert_int_equal(e->tensors[1].dims[0], -1);
    assert_int_equal(e->tensors[1].dims[1], 5);
    assert_int_equal(e->tensors[2].dtype, BP_I32);
    assert_string_equal(e->tensors[9].of, "W1");
    assert_non_null(e->step);
    bpc_jit_free(j);
    bpc_free(m);
}

/* Loss after `steps` adam steps, for a build of the model with these options. */
static double train(const bpc_options *o, int steps, double *grad_norm)
{
    bpc_model *m = bpc_compile(mlp, strlen(mlp), "mlp.bp", o);
    assert_true(bpc_ok(m));
    char err[512];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    if (!j)
        fail_msg("%s", err);
    Bound b;
    bind(&b, bpc_jit_entry(j), 6);
    b.e->init(b.io, 42);
    for (int s = 0; s < steps; s++)
        assert_int_equal(b.e->step(b.io, b.ws), BP_OK);
    assert_int_equal(b.e->grad(b.io, b.ws), BP_OK);
    int l = find(b.e, "loss"), g = find(b.e, "W1_grad");
    double loss = o->dtype == BP_F64 ? ((double *)b.bufs[l])[0] : ((float *)b.bufs[l])[0], norm = 0;
    for (int k = 0; k < 35; k++) {
        double v = o->dtype == BP_F64 ? ((double *)b.bufs[g])[k] : ((float *)b.bufs[g])[k];
        norm += v * v;
    }
    *grad_norm = sqrt(norm);
    unbind(&b);
    bpc_jit_free(j);
    bpc_free(m);
    return loss;
}

static void test_backends_and_fusion_agree(void **state)
{
    (void)state;
    double g0, g1, g2, g3, g4;
    double fused = train(&(bpc_options){ .opt_level = 1 }, 20, &g0);
    double plain = train(&(bpc_options){ .opt_level = 0 }, 20, &g1);
    double cc = train(&(bpc_options){ .opt_level = 1, .jit = BPC_JIT_CC }, 20, &g2);
    double f64 = train(&(bpc_options){ .opt_level = 1, .dtype = BP_F64 }, 20, &g3);
    double first = train(&(bpc_options){ .opt_level = 1 }, 0, &g4);
    assert_true(fused < first);                   /* training lowers the loss */
    assert_true(fabs(fused - plain) < 1e-5 * fabs(fused));
    assert_true(fabs(fused - cc) < 1e-5 * fabs(fused));
    assert_true(fabs(fused - f64) < 1e-4 * fabs(fused));
    assert_true(fabs(g0 - g1) < 1e-5 * g0 && fabs(g0 - g2) < 1e-5 * g0 && fabs(g0 - g3) < 1e-4 * g0);
}

static void test_return_codes(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(mlp, strlen(mlp), "mlp.bp", NULL);
    char err[512];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    Bound b;
    bind(&b, bpc_jit_entry(j), 4);
    const bpc_entry *e = b.e;
    int sc = find(e, "scores");
    float *scores = b.bufs[sc];
    for (int k = 0; k < 12; k++)
        scores[k] = 123;
    int64_t bad = 0;
    memcpy(b.io, &bad, 8);
    assert_int_equal(e->forward(b.io, b.ws), BP_EDIM);
    bad = (int64_t)1 << 62;
    memcpy(b.io, &bad, 8);
    assert_int_equal(e->forward(b.io, b.ws), BP_EDIM);
    assert_int_equal(e->workspace_size(b.io), 0);
    bad = 4;
    memcpy(b.io, &bad, 8);
    ((int32_t *)b.bufs[find(e, "y")])[2] = 3;   /* C = 3: out of range */
    assert_int_equal(e->forward(b.io, b.ws), BP_ELABEL);
    ((int32_t *)b.bufs[find(e, "y")])[2] = -1;
    assert_int_equal(e->grad(b.io, b.ws), BP_ELABEL);
    ((int32_t *)b.bufs[find(e, "y")])[2] = 2;
    assert_int_equal(e->forward(b.io, NULL), BP_ENULL);
    void *keep = NULL;
    memcpy(b.io + e->tensors[find(e, "W2")].offset, &keep, sizeof keep);
    assert_int_equal(e->forward(b.io, b.ws), BP_ENULL);
    for (int k = 0; k < 12; k++)
        assert_true(scores[k] == 123);            /* nothing written on an error */
    assert_int_equal(e->forward(NULL, b.ws), BP_ENULL);
    assert_string_equal(e->strerror(BP_OK), "ok");
    unbind(&b);
    bpc_jit_free(j);
    bpc_free(m);
}

static void test_tiered_upgrade(void **state)
{
    (void)state;
    bpc_model *m = bpc_compile(mlp, strlen(mlp), "mlp.bp", &(bpc_options){ .opt_level = 1, .jit = BPC_JIT_TIERED });
    char err[512];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    assert_non_null(j);
    const bpc_entry *first = bpc_jit_entry(j);
    int (*tcc_step)(void *, void *) = first->step;
    const bpc_entry *e = bpc_jit_upgrade(j, 1);
    assert_non_null(e->step);
    assert_ptr_not_equal(e->step, tcc_step);
    bpc_jit_free(j);
    bpc_free(m);
}

/* The first line of path, "" if there is none. */
static void first_line(const char *path, char *line, size_t n)
{
    FILE *f = fopen(path, "r");
    line[0] = 0;
    if (f && fgets(line, (int)n, f))
        line[strcspn(line, "\n")] = 0;
    if (f)
        fclose(f);
}

/* Free a tiered JIT of the mlp while its cc build runs: the compiler is the shell
 * script body (BPC_CC), run with TMPDIR a fresh dir/tmp; it writes "started" to
 * dir/mark (%1$s in body) when it runs, and whatever it stops writes "terminated"
 * to dir/stopped (%2$s). Checks the free stopped it (within 5 s) and left nothing
 * in TMPDIR. */
static void free_while_compiling(const char *body)
{
    char dir[] = "/tmp/bpc_tier_XXXXXX", tmp[64], cc[64], mark[64], stopped[64], line[64], cmd[80];
    assert_non_null(mkdtemp(dir));
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    snprintf(cc, sizeof cc, "%s/cc", dir);
    snprintf(mark, sizeof mark, "%s/mark", dir);
    snprintf(stopped, sizeof stopped, "%s/stopped", dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    FILE *f = fopen(cc, "w");
    assert_non_null(f);
    fprintf(f, body, mark, stopped);
    fclose(f);
    assert_int_equal(chmod(cc, 0700), 0);
    char *old_cc = getenv("BPC_CC") ? strdup(getenv("BPC_CC")) : NULL, *old_tmp = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("BPC_CC", cc, 1);
    setenv("TMPDIR", tmp, 1);
    bpc_model *m = bpc_compile(mlp, strlen(mlp), "mlp.bp", &(bpc_options){ .opt_level = 1, .jit = BPC_JIT_TIERED });
    char err[512];
    bpc_jit *j = bpc_jit_new(m, err, sizeof err);
    assert_non_null(j);
    for (int k = 0; k < 2000 && (first_line(mark, line, sizeof line), strcmp(line, "started") != 0); k++)
        usleep(10000);
    assert_string_equal(line, "started");
    bpc_jit_free(j);
    for (int k = 0; k < 500 && (first_line(stopped, line, sizeof line), strcmp(line, "terminated") != 0); k++)
        usleep(10000);   /* a child of the compiler handles its signal on its own time */
    assert_string_equal(line, "terminated");
    DIR *d = opendir(tmp);
    assert_non_null(d);
    int left = 0;
    for (struct dirent *e; (e = readdir(d));)
        left += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    assert_int_equal(left, 0);
    old_cc ? setenv("BPC_CC", old_cc, 1) : unsetenv("BPC_CC");
    old_tmp ? setenv("TMPDIR", old_tmp, 1) : unsetenv("TMPDIR");
    free(old_cc), free(old_tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    bpc_free(m);
}

/* bpc_jit_free of a tiered JIT whose cc build still runs stops the compiler
 * (SIGTERM) instead of waiting for code nobody will call, and leaves nothing in
 * TMPDIR. The compiler here is a script that says it started, then waits 30 s
 * before running cc; it records the SIGTERM. (Before: free waited the 30 s and
 * the marker said "started".) */
static void test_tiered_free_stops_compiler(void **state)
{
    (void)state;
    free_while_compiling("#!/bin/sh\ntrap 'echo terminated > %2$s; kill $s; exit 143' TERM\n"
                         "echo started > %1$s\nsleep 30 & s=$!\nwait $s\nexec cc \"$@\"\n");
}

/* The same with a compiler like gcc's driver: it makes a temporary file in its
 * TMPDIR and runs a child (cc1) that does the work. bpc_jit_free stops the child
 * too (SIGTERM to the compiler's process group), and the temporary file goes
 * with bpc's private folder (the compiler's TMPDIR). (Before: cc1 ran on, and
 * ccXXXXXX.s files piled up in TMPDIR: 94 after one run of the suite.) */
static void test_tiered_free_stops_compiler_children(void **state)
{
    (void)state;
    free_while_compiling("#!/bin/sh\nmktemp \"${TMPDIR:-/tmp}/ccXXXXXX.s\" >/dev/null\n"
                         "sh -c 'trap \"echo terminated > %2$s; exit 143\" TERM; echo started > %1$s; sleep 30 & wait $!'\n"
                         "exec cc \"$@\"\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diagnostics_as_data),
        cmocka_unit_test(test_reflection_and_roles),
        cmocka_unit_test(test_backends_and_fusion_agree),
        cmocka_unit_test(test_return_codes),
        cmocka_unit_test(test_tiered_upgrade),
        cmocka_unit_test(test_tiered_free_stops_compiler),
        cmocka_unit_test(test_tiered_free_stops_compiler_children),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
