/* cmd_run: bpc run (evaluate once, print or save) and bpc gradcheck
 * (analytic gradients against central differences, in double precision). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bp_runtime.h"
#include "checkpoint.h"
#include "session.h"

static void print_shape(const Host *h, const bp_tensor_info *t, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "[");
    for (int k = 0; k < t->rank && n < len; k++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", k ? ", " : "", (long long)host_extent(h, t, k));
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

static void summarize(const Host *h, const HostTensor *t)
{
    char shape[96];
    print_shape(h, t->info, shape, sizeof shape);
    double sq = 0;
    for (int64_t i = 0; i < t->numel; i++)
        sq += host_get(t, i) * host_get(t, i);
    printf("%-12s %-14s norm %-12.6g", t->info->name, shape, sqrt(sq));
    for (int64_t i = 0; i < t->numel && i < 4; i++)
        printf("%s%.6g", i ? ", " : " [", host_get(t, i));
    printf("%s\n", t->numel > 4 ? ", ...]" : "]");
}

static bool is_result(const bp_tensor_info *t)
{
    return t->role == BP_OUTPUT || t->role == BP_TARGET || t->role == BP_GRAD;
}

/* --out also keeps the inputs the run used (given or generated), so a run can be replayed. */
static bool is_saved(const bp_tensor_info *t) { return is_result(t) || t->role == BP_INPUT; }

static int report(Session *s, const Cli *cli)
{
    if (cli->outdir && session_mkdir(cli->outdir) != EXIT_OK)
        return EXIT_MODEL;
    for (int i = 0; i < s->h.n; i++) {
        const HostTensor *t = &s->h.t[i];
        if (!(cli->outdir ? is_saved(t->info) : is_result(t->info)))
            continue;
        if (cli->outdir) {
            int rc = session_save(&s->h, t, cli->outdir);
            if (rc != EXIT_OK)
                return rc;
        } else {
            summarize(&s->h, t);
        }
    }
    return EXIT_OK;
}

static int call_failed(Session *s, const char *what, int rc)
{
    fprintf(stderr, "bpc: %s: %s\n", what, session_strerror(s, rc));
    return EXIT_MODEL;
}

/* run evaluates on seeded random data for the inputs --in does not give —
 * said on stderr — but a rank-0 input (a hyperparameter such as lr) is never
 * made up: it needs --set NAME=V (or --in). */
static int explain_inputs(const Session *s, const Cli *cli)
{
    char list[1024] = "";
    size_t n = 0;
    for (int i = 0; i < s->h.n; i++) {
        const bp_tensor_info *t = s->h.t[i].info;
        if (t->role == BP_GRAD_IN && n < sizeof list)   /* the seed of a non-scalar target's gradient */
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", t->name);
        if (t->role != BP_INPUT || cli_has_pair(cli->ins, cli->nins, t->name))
            continue;
        if (t->rank == 0 && !cli_has_pair(cli->sets, cli->nsets, t->name)) {
            fprintf(stderr, "bpc: run: the rank-0 input '%s' has no value: give --set %s=VALUE\n", t->name, t->name);
            return EXIT_USAGE;
        }
        if (t->rank > 0 && n < sizeof list)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", t->name);
    }
    if (n)
        fprintf(stderr, "bpc: note: no --in for %s: using seeded random data (--seed %llu)\n", list,
                (unsigned long long)cli->seed);
    return EXIT_OK;
}

int cmd_run(Cli *cli)
{
    Session s;
    int rc = session_open(&s, cli, cli->opt.dtype, 4);
    if (rc == EXIT_OK && cli->load)
        rc = checkpoint_load(&s.h, cli->load, NULL, "--load");
    if (rc == EXIT_OK)
        rc = explain_inputs(&s, cli);
    if (rc == EXIT_OK) {
        bool grads = false;
        for (int i = 0; i < s.e->num_tensors; i++)
            grads |= s.e->tensors[i].role == BP_GRAD;
        void **running = cli->load ? host_running_save(&s.h) : NULL;
        int r = grads ? s.e->grad(s.h.io, s.h.ws) : s.e->forward(s.h.io, s.h.ws);
        host_running_restore(&s.h, running);
        /* with a trained model, the outputs are inference mode's (as bpc predict's) */
        if (r == BP_OK && cli->load)
            r = s.e->predict(s.h.io, s.h.ws);
        rc = r != BP_OK ? call_failed(&s, grads ? "grad" : "forward", r) : report(&s, cli);
    }
    session_close(&s);
    return rc;
}

/* ---- gradcheck ---- */

enum { CHECK_PER_TENSOR = 40 };

static double objective_at(Session *s, HostTensor *x, int64_t i, double v)
{
    const double old = host_get(x, i);
    host_set(x, i, v);
    int rc = s->e->forward(s->h.io, s->h.ws);
    host_set(x, i, old);
    return rc == BP_OK ? session_objective(s) : NAN;
}

/* d objective / d x[i] by central differences: the 2-point stencil at a tiny
 * step and the 4-point one at a larger step; the one nearer the analytic
 * value is kept (a larger step may cross a kink of relu or max, a tiny one
 * loses digits to rounding). */
static double numeric(Session *s, HostTensor *x, int64_t i, double ana)
{
    const double v = host_get(x, i), h1 = 1e-6, h2 = 1e-4;
    const double n1 = (objective_at(s, x, i, v + h1) - objective_at(s, x, i, v - h1)) / (2 * h1);
    const double n2 = (8 * (objective_at(s, x, i, v + h2) - objective_at(s, x, i, v - h2)) -
                       (objective_at(s, x, i, v + 2 * h2) - objective_at(s, x, i, v - 2 * h2))) / (12 * h2);
    return fabs(n1 - ana) <= fabs(n2 - ana) ? n1 : n2;
}

static double max_abs(const HostTensor *t)
{
    double m = 0;
    for (int64_t i = 0; i < t->numel; i++)
        m = fmax(m, fabs(host_get(t, i)));
    return m;
}

/* The scale of the problem: the objective's magnitude plus the largest
 * gradient element of any tensor. Rounding in the analytic gradient and in
 * the central differences is a tiny fraction of it (about 1e-12), so a
 * difference below 1e-3 of the scale times the tolerance is noise: a
 * gradient that is exactly 0 (a bias before a normalization) compares as 0. */
static double problem_scale(Session *s)
{
    double g = 0;
    for (int i = 0; i < s->h.n; i++)
        if (s->h.t[i].info->role == BP_GRAD)
            g = fmax(g, max_abs(&s->h.t[i]));
    const double f = fabs(session_objective(s));
    return g + (isfinite(f) ? f : 0);
}

/* Max relative error of one gradient over (a sample of) its elements:
 * |a - n| / max(|a|, |n|, floor), the floor the larger of 1e-4 of the
 * tensor's largest gradient and 1e-3 of the problem's scale, below which
 * finite differences have no digits left to compare. */
static double check_tensor(Session *s, HostTensor *x, const HostTensor *gx, double scale, bp_rng *r,
                           int64_t *checked)
{
    double worst = 0;
    const double floor = fmax(1e-4 * max_abs(gx), 1e-3 * scale) + 1e-10;
    int64_t n = x->numel <= CHECK_PER_TENSOR ? x->numel : CHECK_PER_TENSOR;
    for (int64_t c = 0; c < n; c++) {
        int64_t i = x->numel <= CHECK_PER_TENSOR ? c : (int64_t)(bp_rng_next(r) % (uint64_t)x->numel);
        const double ana = host_get(gx, i), num = numeric(s, x, i, ana);
        const double err = fabs(num - ana) / fmax(fmax(fabs(num), fabs(ana)), floor);
        if (getenv("BPC_GRADCHECK_DEBUG") && err > 1e-6)
            fprintf(stderr, "  %s[%lld]: analytic %.12g numeric %.12g\n", gx->info->name, (long long)i, ana, num);
        if (!(err <= worst))
            worst = isnan(err) ? INFINITY : err;
    }
    *checked = n;
    return worst;
}

int cmd_gradcheck(Cli *cli)
{
    Session s;
    int rc = session_open(&s, cli, BP_F64, 3);
    if (rc != EXIT_OK) {
        session_close(&s);
        return rc;
    }
    const double tol = cli->tolerance > 0 ? cli->tolerance : 1e-6;
    int r = s.e->grad(s.h.io, s.h.ws);
    if (r != BP_OK) {
        rc = call_failed(&s, "grad", r);
        session_close(&s);
        return rc;
    }
    bp_rng rng;
    bp_rng_seed(&rng, cli->seed + 7);
    const double scale = problem_scale(&s);
    int bad = 0, total = 0;
    printf("%-14s %-10s %s\n", "gradient", "checked", "max rel. error");
    for (int i = 0; i < s.h.n; i++) {
        const HostTensor *gx = &s.h.t[i];
        if (gx->info->role != BP_GRAD)
            continue;
        HostTensor *x = host_find(&s.h, gx->info->of);
        int64_t checked;
        double err = check_tensor(&s, x, gx, scale, &rng, &checked);
        bool ok = err <= tol;
        printf("%-14s %-10lld %.3e%s\n", gx->info->name, (long long)checked, err, ok ? "" : "   FAIL");
        bad += !ok;
        total++;
    }
    printf("%d passed, %d failed (tolerance %.0e)\n", total - bad, bad, tol);
    session_close(&s);
    return bad ? EXIT_MODEL : EXIT_OK;
}
