/* main: bpc's argument parsing and command dispatch. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char usage[] =
    "usage: bpc MODEL.bp -o OUT.c [--header OUT.h]   write C source and header\n"
    "       bpc check MODEL.bp                        parse and check\n"
    "       bpc explain MODEL.bp [--cost]             the derivation, statement by statement\n"
    "                                                 (--cost: FLOPs, bytes, workspace per statement)\n"
    "       bpc MODEL.bp --emit=ast|ir|grad|c|plan    print a stage\n"
    "       bpc graph MODEL.bp -o g.dot               Graphviz picture of the graph\n"
    "       bpc run MODEL.bp [--set N=64] [--in x=x.npy ...] [--load DIR] [--out DIR]\n"
    "       bpc gradcheck MODEL.bp [--set N=3]        analytic vs central differences (f64)\n"
    "       bpc bench MODEL.bp --set N=64             time forward / backward / step\n"
    "       bpc train MODEL.bp --in x=..,y=.. [--set lr=V] --epochs E --batch B [--save DIR]\n"
    "             [--val x=..,y=.. | --val-split F] [--plot curves.svg] [--lr-schedule constant|step|cosine]\n"
    "             [--resume DIR] [--mpi]     (data-parallel: mpirun -np P bpc train ...)\n"
    "       bpc eval MODEL.bp --load DIR --in x=..,y=..      loss, accuracy, confusion matrix\n"
    "       bpc predict MODEL.bp --load DIR --in x=.. --out DIR   outputs as .npy\n"
    "       bpc repl [MODEL.bp]                       interactive\n"
    "options: --name NAME  --dtype f32|f64  --gemm portable|blas|runtime  --threads N\n"
    "         --jit tcc|cc|tiered  --seed S  -O0  --version  --help\n"
    "debugging the model: --check-finite (name the first tensor that holds NaN or Inf)\n"
    "         --line-directives (#line back to MODEL.bp in the C, for gdb and perf)\n"
    "testing the threaded code: --split-all (every split at any size, blocks of one row)\n";

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "bpc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

/* "N=64" or "x=a.npy,y=b.npy" into pairs. */
static int add_pairs(Pair *pairs, int *n, char *text, const char *opt)
{
    for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || !eq[1])
            return bad_usage("%s expects NAME=VALUE", opt);
        if (*n == CLI_MAX_PAIRS)
            return bad_usage("too many %s options", opt);
        *eq = 0;
        for (int i = 0; i < *n; i++)
            if (strcmp(pairs[i].key, tok) == 0) {
                fprintf(stderr, "bpc: %s %s is given twice\n%s", opt, tok, usage);
                return EXIT_USAGE;
            }
        pairs[(*n)++] = (Pair){ tok, eq + 1 };
    }
    return EXIT_OK;
}

static int parse_int(const char *s, const char *opt, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "bpc: %s expects a whole number from %d to %d, not '%s'\n%s", opt, lo, hi, s, usage);
        return EXIT_USAGE;
    }
    *out = (int)v;
    return EXIT_OK;
}

/* A seed: a whole number in 0 .. 2^64-1, nothing else (no sign, no junk). */
static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (s[0] < '0' || s[0] > '9' || errno || *end)
        return bad_usage("--seed expects a whole number from 0 to 18446744073709551615, not '%s'", s);
    *out = (uint64_t)v;
    return EXIT_OK;
}

/* --val-split: a fraction strictly between 0 and 1. */
static int parse_split(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v > 0 && v < 1))
        return bad_usage("--val-split expects a fraction between 0 and 1 (exclusive), not '%s'", s);
    *out = v;
    return EXIT_OK;
}

/* A tolerance: a finite positive number. */
static int parse_tolerance(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v > 0) || !isfinite(v))
        return bad_usage("--tolerance expects a positive number, not '%s'", s);
    *out = v;
    return EXIT_OK;
}

static const char *commands[] = { "check", "explain", "graph", "run", "gradcheck", "bench", "train", "repl", "eval", "predict" };

/* The value of an option given as --opt=V or --opt V. */
static const char *value_of(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_option(Cli *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    if (strcmp(a, "-O0") == 0) c->opt.opt_level = 0;
    else if (strcmp(a, "--mpi") == 0) c->mpi = true;
    else if (strcmp(a, "-O1") == 0 || strcmp(a, "-O") == 0) c->opt.opt_level = 1;
    else if (strcmp(a, "--check-finite") == 0) c->opt.check_finite = 1;
    else if (strcmp(a, "--line-directives") == 0) c->opt.line_directives = 1;
    else if (strcmp(a, "--split-all") == 0) c->opt.split_all = 1;
    else if (strcmp(a, "--cost") == 0) c->cost = true;
    else if ((v = value_of(argc, argv, i, "-o"))) c->out = v;
    else if ((v = value_of(argc, argv, i, "--header"))) c->header = v;
    else if ((v = value_of(argc, argv, i, "--emit"))) c->emit = v;
    else if ((v = value_of(argc, argv, i, "--name"))) c->opt.name = v;
    else if ((v = value_of(argc, argv, i, "--out"))) c->outdir = v;
    else if ((v = value_of(argc, argv, i, "--save"))) c->save = v;
    else if ((v = value_of(argc, argv, i, "--set"))) return add_pairs(c->sets, &c->nsets, (char *)v, "--set");
    else if ((v = value_of(argc, argv, i, "--in"))) return add_pairs(c->ins, &c->nins, (char *)v, "--in");
    else if ((v = value_of(argc, argv, i, "--val"))) return add_pairs(c->vals, &c->nvals, (char *)v, "--val");
    else if ((v = value_of(argc, argv, i, "--val-split"))) return parse_split(v, &c->val_split);
    else if ((v = value_of(argc, argv, i, "--plot"))) c->plot = v;
    else if ((v = value_of(argc, argv, i, "--resume"))) c->resume = v;
    else if ((v = value_of(argc, argv, i, "--load"))) c->load = v;
    else if ((v = value_of(argc, argv, i, "--lr-schedule"))) {
        if (strcmp(v, "constant") && strcmp(v, "step") && strcmp(v, "cosine"))
            return bad_usage("--lr-schedule takes constant, step or cosine, not '%s'", v);
        c->lr_schedule = v;
    }
    else if ((v = value_of(argc, argv, i, "--threads"))) return parse_int(v, "--threads", 1, 256, &c->threads);
    else if ((v = value_of(argc, argv, i, "--epochs"))) return parse_int(v, "--epochs", 1, 1000000, &c->epochs);
    else if ((v = value_of(argc, argv, i, "--batch"))) return parse_int(v, "--batch", 1, 1 << 24, &c->batch);
    else if ((v = value_of(argc, argv, i, "--seed"))) return parse_seed(v, &c->seed);
    else if ((v = value_of(argc, argv, i, "--tolerance"))) return parse_tolerance(v, &c->tolerance);
    else if ((v = value_of(argc, argv, i, "--dtype"))) {
        if (strcmp(v, "f32") && strcmp(v, "f64"))
            return bad_usage("--dtype takes f32 or f64, not '%s'", v);
        c->opt.dtype = strcmp(v, "f64") == 0 ? BP_F64 : BP_F32;
    } else if ((v = value_of(argc, argv, i, "--gemm"))) {
        if (strcmp(v, "portable") && strcmp(v, "blas") && strcmp(v, "runtime"))
            return bad_usage("--gemm takes portable, blas or runtime, not '%s'", v);
        c->opt.gemm = strcmp(v, "blas") == 0 ? BPC_GEMM_BLAS : strcmp(v, "runtime") == 0 ? BPC_GEMM_RUNTIME : BPC_GEMM_PORTABLE;
    } else if ((v = value_of(argc, argv, i, "--jit"))) {
        if (strcmp(v, "tcc") && strcmp(v, "cc") && strcmp(v, "tiered"))
            return bad_usage("--jit takes tcc, cc or tiered, not '%s'", v);
        c->jit = v;
        c->opt.jit = strcmp(v, "cc") == 0 ? BPC_JIT_CC : strcmp(v, "tiered") == 0 ? BPC_JIT_TIERED : BPC_JIT_TCC;
    } else
        return bad_usage("unknown option '%s'", a);
    return EXIT_OK;
}

static int parse_args(Cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1]) {
            int rc = parse_option(c, argc, argv, &i);
            if (rc != EXIT_OK)
                return rc;
            continue;
        }
        bool is_cmd = false;
        for (size_t k = 0; k < sizeof commands / sizeof *commands && !c->cmd && !c->model; k++)
            if (strcmp(a, commands[k]) == 0)
                c->cmd = commands[k], is_cmd = true;
        if (is_cmd)
            continue;
        if (c->model)
            return bad_usage("unexpected argument '%s'", a);
        c->model = a;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("bpc %s\n", bpc_version());
            return EXIT_OK;
        }
    }
    Cli c = { .opt = { .opt_level = 1 }, .threads = 0, .seed = 1, .epochs = 1, .batch = 32 };
    int rc = parse_args(&c, argc, argv);
    if (rc != EXIT_OK)
        return rc;
    if (!c.cmd && !c.model)
        return bad_usage("%s", "no model given");
    if (c.cmd && strcmp(c.cmd, "repl") == 0)
        return cmd_repl(&c);
    if (!c.model)
        return bad_usage("'%s' needs a MODEL.bp", c.cmd);
    if (!c.cmd)
        return cmd_compile(&c);
    if (strcmp(c.cmd, "check") == 0) return cmd_check(&c);
    if (strcmp(c.cmd, "explain") == 0) return cmd_explain(&c);
    if (strcmp(c.cmd, "graph") == 0) return cmd_graph(&c);
    if (strcmp(c.cmd, "run") == 0) return cmd_run(&c);
    if (strcmp(c.cmd, "gradcheck") == 0) return cmd_gradcheck(&c);
    if (strcmp(c.cmd, "bench") == 0) return cmd_bench(&c);
    if (strcmp(c.cmd, "eval") == 0) return cmd_eval(&c);
    if (strcmp(c.cmd, "predict") == 0) return cmd_predict(&c);
    return cmd_train(&c);
}
