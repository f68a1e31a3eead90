/* cmd_train: bpc train — minibatch training of a model with `optimize`:
 * inputs whose first axis is the batch dim are shuffled each epoch and fed
 * in batches; a progress line per epoch; params saved as .npy with --save.
 * Every input must be given (--in, or --set for a rank-0 one), the data must
 * be finite and non-empty, and training stops (exit 1, nothing saved) as soon
 * as the loss or a param stops being finite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "bp_runtime.h"
#include "checkpoint.h"
#include "session.h"

typedef struct Data {
    HostTensor *t;       /* the model's input                    */
    bp_array a;          /* the whole data set                   */
    int64_t row;         /* elements per example                 */
} Data;

typedef struct Train {
    Session s;
    Data data[CLI_MAX_PAIRS];
    int ndata;
    int64_t examples;    /* rows in every batched input          */
    int batch_dim;       /* the symbolic dim that is the batch   */
    HostTensor *loss, *scores, *labels;
} Train;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Load every --in array; the batch dim is the symbolic first axis they share. */
static int load_data(Train *tr, const Cli *cli)
{
    const char *first = NULL;
    for (int p = 0; p < cli->nins; p++) {
        Data *d = &tr->data[tr->ndata];
        d->t = host_find(&tr->s.h, cli->ins[p].key);
        char err[512];
        if (!d->t || d->t->info->role != BP_INPUT) {
            fprintf(stderr, "bpc: --in %s: the model has no input '%s'\n", cli->ins[p].key, cli->ins[p].key);
            return EXIT_USAGE;
        }
        if (bp_npy_read(cli->ins[p].value, &d->a, err, sizeof err) != 0) {
            fprintf(stderr, "bpc: %s\n", err);
            return EXIT_MODEL;
        }
        tr->ndata++;
        const bp_tensor_info *t = d->t->info;
        if (t->rank == 0 || t->dims[0] >= 0 || d->a.rank != t->rank) {
            fprintf(stderr, "bpc: train: --in %s: expected an array whose first axis is the batch dim\n", t->name);
            return EXIT_MODEL;
        }
        if (tr->ndata == 1)
            tr->examples = d->a.dims[0], tr->batch_dim = (int)(-t->dims[0] - 1), first = cli->ins[p].value;
        if (d->a.dims[0] != tr->examples || -t->dims[0] - 1 != tr->batch_dim) {
            fprintf(stderr, "bpc: train: --in %s=%s has %lld examples, --in %s=%s has %lld: they must match\n",
                    t->name, cli->ins[p].value, (long long)d->a.dims[0], tr->data[0].t->info->name, first,
                    (long long)tr->examples);
            return EXIT_MODEL;
        }
        if (tr->examples == 0) {
            fprintf(stderr, "bpc: train: --in %s=%s holds no examples (its first axis is 0)\n", t->name,
                    cli->ins[p].value);
            return EXIT_MODEL;
        }
        d->row = 1;
        for (int k = 1; k < t->rank; k++) {
            if (d->a.dims[k] != host_extent(&tr->s.h, t, k)) {
                fprintf(stderr, "bpc: train: --in %s: axis %d has extent %lld, the model expects %lld\n", t->name, k,
                        (long long)d->a.dims[k], (long long)host_extent(&tr->s.h, t, k));
                return EXIT_MODEL;
            }
            d->row *= d->a.dims[k];
        }
        if ((t->dtype == BP_I32) != (d->a.dtype == BP_I32 || d->a.dtype == BP_I64)) {
            fprintf(stderr, "bpc: train: --in %s: expected %s data\n", t->name, t->dtype == BP_I32 ? "int" : "float");
            return EXIT_MODEL;
        }
        if (cli_check_data(cli->ins[p].value, &d->a, t->dtype) != 0)
            return EXIT_MODEL;
    }
    return tr->ndata ? EXIT_OK : (fprintf(stderr, "bpc: train needs data: --in x=x.npy,y=y.npy\n"), EXIT_USAGE);
}

/* Copy examples order[from .. from+n) into the model's inputs. */
static void fill_batch(Train *tr, const int64_t *order, int64_t from, int64_t n)
{
    for (int i = 0; i < tr->ndata; i++) {
        Data *d = &tr->data[i];
        HostTensor src = { &(bp_tensor_info){ .dtype = d->a.dtype }, 0, bp_dtype_size(d->a.dtype), d->a.data };
        for (int64_t r = 0; r < n; r++)
            for (int64_t k = 0; k < d->row; k++)
                host_set(d->t, r * d->row + k, host_get(&src, order[from + r] * d->row + k));
    }
}

/* Rows of scores whose arg-max is the label. */
static int64_t correct(const Train *tr, int64_t n)
{
    if (!tr->scores || !tr->labels)
        return 0;
    int64_t c = tr->scores->numel / (tr->scores->info->rank ? host_extent(&tr->s.h, tr->scores->info, 0) : 1), hits = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t best = 0;
        for (int64_t j = 1; j < c; j++)
            if (host_get(tr->scores, r * c + j) > host_get(tr->scores, r * c + best))
                best = j;
        hits += best == (int64_t)host_get(tr->labels, r);
    }
    return hits;
}

/* Every input has a value: data from --in, or --set for a rank-0 one
 * (a hyperparameter such as lr). Nothing is made up. */
static int require_inputs(Train *tr, const Cli *cli)
{
    for (int i = 0; i < tr->s.h.n; i++) {
        const bp_tensor_info *t = tr->s.h.t[i].info;
        if (t->role != BP_INPUT)
            continue;
        if (t->rank == 0 && !cli_has_pair(cli->sets, cli->nsets, t->name)) {
            fprintf(stderr, "bpc: train: the rank-0 input '%s' has no value: give --set %s=VALUE\n", t->name, t->name);
            return EXIT_USAGE;
        }
        if (t->rank > 0 && !cli_has_pair(cli->ins, cli->nins, t->name)) {
            fprintf(stderr, "bpc: train: no data for the input '%s': give --in %s=FILE.npy\n", t->name, t->name);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

/* The first of the loss and the params (in order) holding a value that is
 * not finite, with that value in *bad; NULL when all are finite. */
static const HostTensor *first_non_finite(const Train *tr, double *bad)
{
    if (tr->loss && !isfinite(*bad = host_get(tr->loss, 0)))
        return tr->loss;
    for (int i = 0; i < tr->s.h.n; i++) {
        const HostTensor *t = &tr->s.h.t[i];
        for (int64_t k = 0; t->info->role == BP_PARAM && k < t->numel; k++)
            if (!isfinite(*bad = host_get(t, k)))
                return t;
    }
    return NULL;
}

static void find_roles(Train *tr)
{
    const char *target = host_target(tr->s.m);
    tr->loss = target ? host_find(&tr->s.h, target) : NULL;
    for (int i = 0; i < tr->s.h.n; i++) {
        HostTensor *t = &tr->s.h.t[i];
        if (t->info->role == BP_INPUT && t->info->dtype == BP_I32 && t->info->rank == 1 && !tr->labels)
            tr->labels = t;
        if (t->info->role == BP_OUTPUT && t->info->rank == 2 && !tr->scores)
            tr->scores = t;
    }
}

static int epoch(Train *tr, const Cli *cli, int e, bp_rng *rng, int64_t *order)
{
    for (int64_t i = tr->examples - 1; i > 0; i--) {
        int64_t j = (int64_t)(bp_rng_next(rng) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    double loss = 0, t0 = now();
    int64_t hits = 0, steps = 0;
    int64_t *dim = (int64_t *)(tr->s.h.io + tr->s.e->tensors[tr->batch_dim].offset);
    for (int64_t from = 0; from < tr->examples; from += cli->batch, steps++) {
        int64_t n = tr->examples - from < cli->batch ? tr->examples - from : cli->batch;
        *dim = n;
        fill_batch(tr, order, from, n);
        tr->s.e = bpc_jit_upgrade(tr->s.j, 0);   /* the cc tier, once it is ready */
        int rc = tr->s.e->step(tr->s.h.io, tr->s.h.ws);
        if (rc != BP_OK) {
            fprintf(stderr, "bpc: train: step at epoch %d, batch %lld: %s\n", e + 1, (long long)steps + 1,
                    tr->s.e->strerror(rc));
            return EXIT_MODEL;
        }
        double bad;
        const HostTensor *t = first_non_finite(tr, &bad);
        if (t) {
            fprintf(stderr, "bpc: train: %s '%s' became %g at epoch %d, batch %lld (diverged; try a smaller lr); "
                    "stopped, nothing saved\n", t->info->role == BP_PARAM ? "the param" : "the loss", t->info->name, bad,
                    e + 1, (long long)steps + 1);
            return EXIT_MODEL;
        }
        loss += (tr->loss ? host_get(tr->loss, 0) : 0) * (double)n;
        hits += correct(tr, n);
    }
    printf("epoch %d/%d  loss %.6f", e + 1, cli->epochs, loss / (double)tr->examples);
    if (tr->scores && tr->labels)
        printf("  accuracy %.2f%%", 100.0 * (double)hits / (double)tr->examples);
    printf("  (%.3f ms/step)\n", 1e3 * (now() - t0) / (double)steps);
    fflush(stdout);
    return EXIT_OK;
}

int cmd_train(Cli *cli)
{
    Train *tr = calloc(1, sizeof *tr);
    Cli c = *cli;
    c.nins = 0;   /* the session sizes tensors for one batch; the data is loaded here */
    if (!cli->jit)
        c.opt.jit = BPC_JIT_TIERED;   /* start at once with tcc, continue with cc -O3 */
    int rc = EXIT_MODEL;
    if (!tr)
        return rc;
    rc = session_open(&tr->s, &c, cli->opt.dtype, cli->batch);
    if (rc == EXIT_OK && !tr->s.e->step) {
        fprintf(stderr, "bpc: train needs an `optimize LOSS with ...` statement in %s\n", cli->model);
        rc = EXIT_MODEL;
    }
    if (rc == EXIT_OK)
        rc = load_data(tr, cli);
    if (rc == EXIT_OK)
        rc = require_inputs(tr, cli);
    int64_t *order = rc == EXIT_OK ? malloc(sizeof(int64_t) * (size_t)tr->examples) : NULL;
    if (rc == EXIT_OK && order) {
        find_roles(tr);
        bp_rng rng;
        bp_rng_seed(&rng, cli->seed + 99);
        for (int64_t i = 0; i < tr->examples; i++)
            order[i] = i;
        for (int e = 0; e < cli->epochs && rc == EXIT_OK; e++)
            rc = epoch(tr, cli, e, &rng, order);
        if (rc == EXIT_OK && cli->save)
            rc = checkpoint_save(&tr->s.h, cli->save);
    }
    free(order);
    for (int i = 0; i < tr->ndata; i++)
        bp_array_free(&tr->data[i].a);
    session_close(&tr->s);
    free(tr);
    return rc;
}
