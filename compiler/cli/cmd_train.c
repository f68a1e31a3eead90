/* cmd_train: bpc train — minibatch training of a model with `optimize`:
 * inputs whose first axis is the batch dim are shuffled each epoch (from
 * --seed) and fed in batches. Per epoch: the training loss and accuracy
 * (running means over the epoch's batches, each taken before its update),
 * and with --val / --val-split the validation loss and accuracy of the model
 * after the epoch; a progress bar on a terminal; --plot curves.svg; --save DIR
 * every epoch (params, optimizer state, step, epoch, RNG: checkpoint.c);
 * --resume DIR continues bit for bit. Every input must be given, the data
 * must be finite and non-empty, and training stops (exit 1) as soon as the
 * loss or a param stops being finite; the last epoch's checkpoint stays. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bp_runtime.h"
#include "checkpoint.h"
#include "session.h"
#include "train_dist.h"
#include "train_report.h"

typedef struct Data {
    HostTensor *t;       /* the model's input                    */
    bp_array a;          /* the whole data set                   */
    int64_t row;         /* elements per example                 */
} Data;

typedef struct Set {
    Data d[CLI_MAX_PAIRS];
    int n;
    int64_t examples;
    bool borrowed;       /* --val-split: views into the training arrays */
} Set;

typedef struct Train {
    Session s;
    Set train, val;
    int batch_dim;       /* the symbolic dim that is the batch   */
    HostTensor *loss, *scores, *labels, *lr;
    double lr0;
    int64_t steps_per_epoch;
    History hist;
    TrainDist dist;      /* mpirun -np P: this rank's share (train_dist.h) */
    double opened, tier_t0;   /* when the JIT started; the first step (tier_wait) */
    int64_t tier_steps;
} Train;

static int load_one(Train *tr, Set *set, const Pair *p, const char *opt)
{
    Data *d = &set->d[set->n];
    d->t = host_find(&tr->s.h, p->key);
    char err[512];
    if (!d->t || d->t->info->role != BP_INPUT) {
        fprintf(stderr, "bpc: %s %s: the model has no input '%s'\n", opt, p->key, p->key);
        return EXIT_USAGE;
    }
    if (bp_npy_read(p->value, &d->a, err, sizeof err) != 0) {
        fprintf(stderr, "bpc: %s\n", err);
        return EXIT_MODEL;
    }
    set->n++;
    const bp_tensor_info *t = d->t->info;
    if (t->rank == 0 || t->dims[0] >= 0 || d->a.rank != t->rank) {
        fprintf(stderr, "bpc: train: %s %s: expected an array whose first axis is the batch dim\n", opt, t->name);
        return EXIT_MODEL;
    }
    if (set->n == 1 && set == &tr->train)
        tr->batch_dim = (int)(-t->dims[0] - 1);
    if (set->n == 1)
        set->examples = d->a.dims[0];
    if (d->a.dims[0] != set->examples || -t->dims[0] - 1 != tr->batch_dim) {
        fprintf(stderr, "bpc: train: %s %s=%s has %lld examples, %s %s has %lld: they must match\n", opt, t->name,
                p->value, (long long)d->a.dims[0], opt, set->d[0].t->info->name, (long long)set->examples);
        return EXIT_MODEL;
    }
    if (set->examples == 0) {
        fprintf(stderr, "bpc: train: %s %s=%s holds no examples (its first axis is 0)\n", opt, t->name, p->value);
        return EXIT_MODEL;
    }
    d->row = 1;
    for (int k = 1; k < t->rank; k++) {
        if (d->a.dims[k] != host_extent(&tr->s.h, t, k)) {
            fprintf(stderr, "bpc: train: %s %s: axis %d has extent %lld, the model expects %lld\n", opt, t->name, k,
                    (long long)d->a.dims[k], (long long)host_extent(&tr->s.h, t, k));
            return EXIT_MODEL;
        }
        d->row *= d->a.dims[k];
    }
    if ((t->dtype == BP_I32) != (d->a.dtype == BP_I32 || d->a.dtype == BP_I64)) {
        fprintf(stderr, "bpc: train: %s %s: expected %s data\n", opt, t->name, t->dtype == BP_I32 ? "int" : "float");
        return EXIT_MODEL;
    }
    return cli_check_data(p->value, &d->a, t->dtype) != 0 ? EXIT_MODEL : EXIT_OK;
}

/* Load the arrays of pairs into set; the batch dim is the symbolic first axis they share. */
static int load_set(Train *tr, Set *set, const Pair *pairs, int n, const char *opt)
{
    for (int p = 0; p < n; p++) {
        int rc = load_one(tr, set, &pairs[p], opt);
        if (rc != EXIT_OK)
            return rc;
    }
    return EXIT_OK;
}

/* --val-split F: the last F of the examples (before any shuffling) validate. */
static int split_val(Train *tr, double frac)
{
    int64_t nv = (int64_t)floor(frac * (double)tr->train.examples);
    if (nv < 1 || nv >= tr->train.examples) {
        fprintf(stderr, "bpc: train: --val-split %g of %lld examples leaves %s empty\n", frac,
                (long long)tr->train.examples, nv < 1 ? "the validation set" : "the training set");
        return EXIT_USAGE;
    }
    tr->train.examples -= nv;
    tr->val = (Set){ .n = tr->train.n, .examples = nv, .borrowed = true };
    for (int i = 0; i < tr->train.n; i++) {
        Data *d = &tr->train.d[i], *v = &tr->val.d[i];
        *v = *d;
        v->a.data = (char *)d->a.data + (size_t)(tr->train.examples * d->row) * bp_dtype_size(d->a.dtype);
        v->a.dims[0] = nv;
        d->a.dims[0] = tr->train.examples;
    }
    return EXIT_OK;
}

/* --val must give the same inputs as --in. */
static int check_val(const Train *tr, const Cli *cli)
{
    for (int i = 0; i < cli->nins; i++)
        if (!cli_has_pair(cli->vals, cli->nvals, cli->ins[i].key)) {
            fprintf(stderr, "bpc: train: --val gives no data for '%s' (it must give every input --in does)\n",
                    cli->ins[i].key);
            return EXIT_USAGE;
        }
    for (int i = 0; i < cli->nvals; i++)
        if (!cli_has_pair(cli->ins, cli->nins, cli->vals[i].key)) {
            fprintf(stderr, "bpc: train: --val %s: not among the --in inputs\n", cli->vals[i].key);
            return EXIT_USAGE;
        }
    (void)tr;
    return EXIT_OK;
}

/* Copy examples order[from .. from+n) (from .. from+n without an order) into the model's inputs. */
static void fill_batch(Set *set, const int64_t *order, int64_t from, int64_t n)
{
    for (int i = 0; i < set->n; i++) {
        Data *d = &set->d[i];
        HostTensor src = { &(bp_tensor_info){ .dtype = d->a.dtype }, 0, bp_dtype_size(d->a.dtype), d->a.data };
        for (int64_t r = 0; r < n; r++) {
            int64_t at = order ? order[from + r] : from + r;
            for (int64_t k = 0; k < d->row; k++)
                host_set(d->t, r * d->row + k, host_get(&src, at * d->row + k));
        }
    }
}

/* Rows of scores whose arg-max is the label. */
static int64_t correct(const Train *tr, int64_t n)
{
    if (!tr->scores || !tr->labels)
        return 0;
    int64_t c = host_extent(&tr->s.h, tr->scores->info, 1), hits = 0;
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

/* The loss (the scalar grad target), the scores (the first output, [batch, C])
 * and the labels (an int input [batch]) accuracy is counted with. */
static void find_roles(Train *tr)
{
    const char *target = host_target(tr->s.m);
    tr->loss = target ? host_find(&tr->s.h, target) : NULL;
    if (tr->loss && tr->loss->info->rank != 0)
        tr->loss = NULL;
    for (int i = 0; i < tr->s.h.n; i++) {
        HostTensor *t = &tr->s.h.t[i];
        if (t->info->role == BP_INPUT && t->info->dtype == BP_I32 && t->info->rank == 1 && !tr->labels)
            tr->labels = t;
    }
    for (int i = 0; i < tr->s.h.n; i++) {
        HostTensor *t = &tr->s.h.t[i];
        if (t->info->role != BP_OUTPUT)
            continue;
        if (t->info->rank == 2 && t->info->dims[0] == -(int64_t)tr->batch_dim - 1)
            tr->scores = t;
        break;   /* only the first output can be the scores */
    }
    if (!tr->labels)
        tr->scores = NULL;
}

/* --lr-schedule: the learning rate of batch b of epoch e (0-based). step:
 * lr x0.1 from half the epochs on, x0.01 from three quarters on; cosine: from
 * lr down to 0 over all the steps, lr/2 (1 + cos(pi t / T)). */
static double scheduled_lr(const Train *tr, const Cli *cli, int e, int64_t b)
{
    if (strcmp(cli->lr_schedule, "step") == 0)
        return tr->lr0 * (4 * e >= 3 * cli->epochs ? 0.01 : 2 * e >= cli->epochs ? 0.1 : 1);
    if (strcmp(cli->lr_schedule, "cosine") == 0) {
        double t = (double)e * (double)tr->steps_per_epoch + (double)b, T = (double)cli->epochs * (double)tr->steps_per_epoch;
        return tr->lr0 * 0.5 * (1 + cos(M_PI * t / T));
    }
    return tr->lr0;
}

static int64_t *batch_dim(Train *tr) { return (int64_t *)(tr->s.h.io + tr->s.e->tensors[tr->batch_dim].offset); }

/* The model after the epoch on the validation set: mean loss and accuracy. */
static int validate(Train *tr, const Cli *cli, double *loss, double *acc)
{
    double sum = 0;
    int64_t hits = 0, lo, cnt;
    train_dist_shard(&tr->dist, tr->val.examples, &lo, &cnt);   /* P > 1: this rank's part, summed below */
    for (int64_t from = lo; from < lo + cnt; from += cli->batch) {
        int64_t n = lo + cnt - from < cli->batch ? lo + cnt - from : cli->batch;
        *batch_dim(tr) = n;
        fill_batch(&tr->val, NULL, from, n);
        int rc = tr->s.e->evaluate(tr->s.h.io, tr->s.h.ws);   /* inference mode, as model.eval() */
        if (rc != BP_OK) {
            fprintf(stderr, "bpc: train: validation: %s\n", session_strerror(&tr->s, rc));
            return EXIT_MODEL;
        }
        sum += (tr->loss ? host_get(tr->loss, 0) : NAN) * (double)n;
        hits += correct(tr, n);
    }
    double v[2] = { sum, (double)hits };
    if (train_dist_sum(&tr->dist, v, 2) != 0)
        return fprintf(stderr, "bpc: train: MPI_Allreduce failed\n"), EXIT_MODEL;
    *loss = v[0] / (double)tr->val.examples;
    *acc = tr->scores ? v[1] / (double)tr->val.examples : NAN;
    return EXIT_OK;
}

/* P > 1: this rank's gradient of its cnt rows, averaged over the ranks with
 * the loss (set to the global batch's) and the correct count (*hits), then
 * the update. Every rank gets the same outcome (train_dist.h). */
static int dist_step(Train *tr, int64_t cnt, int64_t n, int64_t *hits)
{
    int rc = cnt ? tr->s.e->grad(tr->s.h.io, tr->s.h.ws) : BP_OK;
    double stats[DIST_STATS] = { 0, 0, rc != BP_OK };
    if (rc == BP_OK && cnt)
        stats[0] = (tr->loss ? host_get(tr->loss, 0) : 0) * (double)cnt, stats[1] = (double)correct(tr, cnt);
    if (train_dist_reduce(&tr->dist, cnt, n, stats) != 0)
        return rc != BP_OK ? rc : DIST_EOTHER;
    if (tr->loss)
        host_set(tr->loss, 0, stats[0] / (double)n);
    *hits = (int64_t)stats[1];
    return tr->s.e->update(tr->s.h.io, tr->s.h.ws);
}

/* Wait for the cc tier now rather than step on in tcc's code? The build
 * runs beside the steps, but the steps (on every core) starve it, so a run
 * could spend its whole length in tcc's code, up to 10x slower on loops.
 * Wait when the steps left, at the pace so far, would take over a second and
 * over twice as long as the build has been running: the wait then costs at
 * most about half the rest of the run (when cc code is no faster: GEMM-bound
 * models), and a short run never waits. */
static int tier_wait(Train *tr, const Cli *cli, int e, int64_t b)
{
    const double now = progress_now();
    if (tr->tier_steps++ == 0) {
        tr->tier_t0 = now;
        return 0;
    }
    const double left = (double)((int64_t)(cli->epochs - e) * tr->steps_per_epoch - b);
    const double rest = left * (now - tr->tier_t0) / (double)(tr->tier_steps - 1);
    return rest > 1.0 && rest > 2 * (now - tr->opened);
}

static int train_step(Train *tr, const Cli *cli, int e, int64_t b, int64_t cnt, int64_t n, int64_t *hits)
{
    if (tr->lr)
        host_set(tr->lr, 0, scheduled_lr(tr, cli, e, b));
    tr->s.e = bpc_jit_upgrade(tr->s.j, tier_wait(tr, cli, e, b));   /* the cc tier, once it is ready or worth waiting for */
    int rc = tr->dist.size > 1 ? dist_step(tr, cnt, n, hits) : tr->s.e->step(tr->s.h.io, tr->s.h.ws);
    const char *what = rc == BP_ENONFINITE && tr->s.e->nonfinite ? tr->s.e->nonfinite(tr->s.h.ws) : NULL;
    if (what) {   /* --check-finite */
        fprintf(stderr, "bpc: train: %s became NaN or infinite at epoch %d, batch %lld (the first tensor that did; "
                "diverged? try a smaller lr); stopped%s\n", what, e + 1, (long long)b + 1,
                cli->save ? ", the checkpoint of the last whole epoch kept" : "");
        return EXIT_MODEL;
    }
    if (tr->dist.size == 1 && rc == BP_OK)
        *hits = correct(tr, n);
    if (rc != BP_OK) {
        fprintf(stderr, "bpc: train: step at epoch %d, batch %lld: %s\n", e + 1, (long long)b + 1,
                rc == DIST_EOTHER ? "another rank failed (see its message)" : tr->s.e->strerror(rc));
        return EXIT_MODEL;
    }
    double bad;
    const HostTensor *t = first_non_finite(tr, &bad);
    if (t) {
        fprintf(stderr, "bpc: train: %s '%s' became %g at epoch %d, batch %lld (diverged; try a smaller lr); "
                "stopped%s\n", t->info->role == BP_PARAM ? "the param" : "the loss", t->info->name, bad, e + 1,
                (long long)b + 1, cli->save ? ", the checkpoint of the last whole epoch kept" : "");
        return EXIT_MODEL;
    }
    return EXIT_OK;
}

static void print_epoch(const Train *tr, const Cli *cli, int e, double seconds)
{
    int i = tr->hist.n - 1;
    printf("epoch %d/%d  loss %.6f", e + 1, cli->epochs, tr->hist.train_loss[i]);
    if (tr->scores)
        printf("  acc %.2f%%", 100 * tr->hist.train_acc[i]);
    if (tr->val.examples) {
        printf("  val_loss %.6f", tr->hist.val_loss[i]);
        if (tr->scores)
            printf("  val_acc %.2f%%", 100 * tr->hist.val_acc[i]);
    }
    if (tr->lr)
        printf("  lr %.4g", host_get(tr->lr, 0));
    printf("  (%.3f ms/step)\n", 1e3 * seconds / (double)tr->steps_per_epoch);
    fflush(stdout);
}

static int epoch(Train *tr, const Cli *cli, int e, bp_rng *rng, int64_t *order)
{
    for (int64_t i = 0; i < tr->train.examples; i++)   /* a fresh shuffle from the RNG alone (resume) */
        order[i] = i;
    for (int64_t i = tr->train.examples - 1; i > 0; i--) {
        int64_t j = (int64_t)(bp_rng_next(rng) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    double loss = 0, t0 = progress_now();
    int64_t hits = 0, b = 0;
    Progress pg;
    progress_start(&pg, e + 1, cli->epochs, tr->train.examples);
    pg.on &= tr->dist.rank == 0;
    for (int64_t from = 0; from < tr->train.examples; from += cli->batch, b++) {
        int64_t n = tr->train.examples - from < cli->batch ? tr->train.examples - from : cli->batch, lo = 0, cnt = n, hit = 0;
        train_dist_shard(&tr->dist, n, &lo, &cnt);   /* P > 1: this rank's rows of the batch */
        *batch_dim(tr) = cnt ? cnt : n;
        fill_batch(&tr->train, order, from + lo, cnt);
        int rc = train_step(tr, cli, e, b, cnt, n, &hit);
        if (rc != EXIT_OK)
            return progress_end(&pg), rc;
        loss += (tr->loss ? host_get(tr->loss, 0) : NAN) * (double)n;
        hits += hit;
        progress_update(&pg, from + n, loss / (double)(from + n));
    }
    progress_end(&pg);
    double seconds = progress_now() - t0, vl = NAN, va = NAN;
    if (tr->val.examples && validate(tr, cli, &vl, &va) != EXIT_OK)
        return EXIT_MODEL;
    double n = (double)tr->train.examples;
    if (!history_add(&tr->hist, loss / n, tr->scores ? (double)hits / n : NAN, vl, va))
        return fprintf(stderr, "bpc: out of memory\n"), EXIT_MODEL;
    if (tr->dist.rank != 0)   /* rank 0 alone prints, plots and saves */
        return EXIT_OK;
    print_epoch(tr, cli, e, seconds);
    if (cli->plot && plot_write(cli->plot, &tr->hist, bpc_name(tr->s.m)) != EXIT_OK)
        return EXIT_MODEL;
    CkptMeta meta = { bpc_name(tr->s.m), e + 1, 0, { rng->s[0], rng->s[1], rng->s[2], rng->s[3] } };
    return cli->save ? checkpoint_save(&tr->s.h, cli->save, &meta) : EXIT_OK;
}

/* --lr-schedule needs the learning rate in a rank-0 input (set each batch). */
static int setup_lr(Train *tr, const Cli *cli)
{
    if (!cli->lr_schedule || strcmp(cli->lr_schedule, "constant") == 0)
        return EXIT_OK;
    const char *name = host_lr_input(tr->s.m);
    if (!name) {
        fprintf(stderr, "bpc: train: --lr-schedule needs the learning rate to be a rank-0 input: declare "
                "`input lr` and write `optimize ... with sgd(lr = lr)`, then give --set lr=VALUE\n");
        return EXIT_USAGE;
    }
    tr->lr = host_find(&tr->s.h, name);
    tr->lr0 = host_get(tr->lr, 0);
    return EXIT_OK;
}

/* Data, roles, schedule and, with --resume, the state to continue from. */
static int prepare(Train *tr, const Cli *cli, bp_rng *rng, int *first)
{
    int rc = load_set(tr, &tr->train, cli->ins, cli->nins, "--in");
    if (rc == EXIT_OK && !tr->train.n)
        return fprintf(stderr, "bpc: train needs data: --in x=x.npy,y=y.npy\n"), EXIT_USAGE;
    if (rc == EXIT_OK && cli->nvals && cli->val_split > 0)
        return fprintf(stderr, "bpc: train: give --val or --val-split, not both\n"), EXIT_USAGE;
    if (rc == EXIT_OK)
        rc = require_inputs(tr, cli);
    if (rc == EXIT_OK && cli->nvals && (rc = check_val(tr, cli)) == EXIT_OK)
        rc = load_set(tr, &tr->val, cli->vals, cli->nvals, "--val");
    if (rc == EXIT_OK && cli->val_split > 0)
        rc = split_val(tr, cli->val_split);
    if (rc == EXIT_OK)
        rc = setup_lr(tr, cli);
    if (rc != EXIT_OK)
        return rc;
    find_roles(tr);
    tr->steps_per_epoch = (tr->train.examples + cli->batch - 1) / cli->batch;
    bp_rng_seed(rng, cli->seed + 99);
    *first = 0;
    if (cli->resume) {
        CkptMeta meta = { 0 };
        if ((rc = checkpoint_load(&tr->s.h, cli->resume, &meta, "--resume")) != EXIT_OK)
            return rc;
        if (meta.epoch >= cli->epochs) {
            fprintf(stderr, "bpc: train: --resume %s holds %d epochs already; --epochs counts all of them, give more\n",
                    cli->resume, meta.epoch);
            return EXIT_USAGE;
        }
        memcpy(rng->s, meta.rng, sizeof rng->s);
        *first = meta.epoch;
    }
    if ((tr->loss || tr->scores) && tr->dist.rank == 0)
        fprintf(stderr, "bpc: train: %s over each epoch's batches (each before its update)%s\n",
                tr->scores ? "loss and acc are running means" : "loss is a running mean", tr->val.examples ? "; val_* measure the model after the epoch" : "");
    return EXIT_OK;
}

static void free_train(Train *tr)
{
    for (int i = 0; i < tr->train.n; i++)
        bp_array_free(&tr->train.d[i].a);
    for (int i = 0; i < tr->val.n && !tr->val.borrowed; i++)
        bp_array_free(&tr->val.d[i].a);
    history_free(&tr->hist);
    session_close(&tr->s);
    free(tr);
}

int cmd_train(Cli *cli)
{
    Train *tr = calloc(1, sizeof *tr);
    Cli c = *cli;
    c.nins = 0;   /* the session sizes tensors for one batch; the data is loaded here */
    if (!cli->jit)
        c.opt.jit = BPC_JIT_TIERED;   /* start at once with tcc, continue with cc -O3 */
    if (!tr)
        return EXIT_MODEL;
    const char *outs[2], *opts[2];
    int nout = 0;
    if (cli->plot)
        outs[nout] = cli->plot, opts[nout++] = "--plot";
    if (cli->save)
        outs[nout] = cli->save, opts[nout++] = "--save";
    int rc = train_dist_init(&tr->dist, cli->mpi);   /* mpirun -np P: one rank of P */
    if (rc == EXIT_OK)
        rc = cli_check_outputs(cli->model, nout, outs, opts);
    tr->opened = progress_now();
    bp_flush_denormals(1);   /* before the pool starts, whose workers take this mode (bp_runtime.h) */
    if (rc == EXIT_OK)
        rc = session_open(&tr->s, &c, cli->opt.dtype, cli->batch);
    if (rc == EXIT_OK && !tr->s.e->step) {
        fprintf(stderr, "bpc: train needs an `optimize LOSS with ...` statement in %s\n", cli->model);
        rc = EXIT_MODEL;
    }
    bp_rng rng;
    int first = 0;
    if (rc == EXIT_OK)
        rc = prepare(tr, cli, &rng, &first);
    if (rc == EXIT_OK && tr->dist.size > 1) {   /* the same params and the same compiled code on every rank */
        rc = train_dist_bind(&tr->dist, &tr->s.h);
        tr->s.e = bpc_jit_upgrade(tr->s.j, 1);
    }
    int64_t *order = rc == EXIT_OK ? malloc(sizeof(int64_t) * (size_t)tr->train.examples) : NULL;
    if (rc == EXIT_OK && !order)
        rc = EXIT_MODEL;
    for (int e = first; e < cli->epochs && rc == EXIT_OK; e++)
        rc = epoch(tr, cli, e, &rng, order);
    free(order);
    train_dist_close(&tr->dist, rc);
    free_train(tr);
    return rc;
}
