/* session: compile + JIT + bind data, shared by the commands that run models. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bp_runtime.h"
#include "model.h"
#include "session.h"

static int lookup_set(const Cli *cli, const char *name, int64_t *v)
{
    for (int i = 0; i < cli->nsets; i++)
        if (strcmp(cli->sets[i].key, name) == 0) {
            char *end;
            errno = 0;
            long long x = strtoll(cli->sets[i].value, &end, 10);
            if (*end || end == cli->sets[i].value || x < 1 || x > ((long long)1 << 40) || errno) {
                fprintf(stderr, "bpc: --set %s=%s: expected a whole number from 1 to 2^40\n", name, cli->sets[i].value);
                return -1;
            }
            *v = x;
            return 1;
        }
    return 0;
}

/* A symbolic dim not set: the extent of an --in array where the dim appears. */
static bool infer_dim(const Cli *cli, const bpc_entry *e, int k, int64_t *v)
{
    for (int i = 0; i < e->num_tensors; i++) {
        const bp_tensor_info *t = &e->tensors[i];
        for (int a = 0; a < t->rank; a++) {
            if (t->dims[a] != -(int64_t)k - 1 || t->role != BP_INPUT)
                continue;
            for (int p = 0; p < cli->nins; p++) {
                bp_array arr;
                char err[256];
                if (strcmp(cli->ins[p].key, t->name) != 0 || bp_npy_read(cli->ins[p].value, &arr, err, sizeof err) != 0)
                    continue;
                bool ok = arr.rank == t->rank;
                if (ok)
                    *v = arr.dims[a];
                bp_array_free(&arr);
                if (ok)
                    return true;
            }
        }
    }
    return false;
}

/* Whether the model accepts dims (its workspace size is nonzero: the
 * generated P_workspace_size returns 0 when P_dims_check fails). */
static bool dims_accepted(const bpc_entry *e, const int64_t *dims)
{
    char *io = calloc(1, e->io_size ? e->io_size : 1);
    if (!io)
        return false;
    for (int i = 0, k = 0; i < e->num_tensors; i++)
        if (e->tensors[i].role == BP_DIM)
            memcpy(io + e->tensors[i].offset, &dims[k++], sizeof(int64_t));
    bool ok = e->workspace_size(io) != 0;
    free(io);
    return ok;
}

/* The dims the user left to the default (no --set, no --in) rise together to
 * the least value the model accepts, so that `x[:, 5]` on a symbolic dim or
 * `x[1:]` runs without a --set: constant indices make each dim's lower bound,
 * and every bound is monotone. Unchanged if no value up to 2^16 is accepted
 * (the run then reports the model's own BP_EDIM). */
static void raise_defaults(const bpc_entry *e, int64_t dflt, int64_t *dims, const bool *defaulted, int ndims)
{
    if (dims_accepted(e, dims))
        return;
    int64_t trial[HOST_MAX_DIMS];
    for (int64_t v = dflt + 1; v <= ((int64_t)1 << 16); v = v < 64 ? v + 1 : v * 2) {
        for (int k = 0; k < ndims; k++)
            trial[k] = defaulted[k] ? v : dims[k];
        if (dims_accepted(e, trial)) {
            memcpy(dims, trial, sizeof(int64_t) * (size_t)ndims);
            const char *names[HOST_MAX_DIMS];
            host_dim_names(e, names, HOST_MAX_DIMS);
            for (int k = 0; k < ndims; k++)
                if (defaulted[k])
                    fprintf(stderr, "bpc: note: %s = %lld, the least the model's indices accept (--set %s=V to choose)\n",
                            names[k], (long long)v, names[k]);
            return;
        }
    }
}

static int bind_dims(const Cli *cli, const bpc_entry *e, int64_t dflt, int64_t *dims, int *ndims)
{
    bool defaulted[HOST_MAX_DIMS] = { false }, any = false;
    const char *names[HOST_MAX_DIMS];
    *ndims = host_dim_names(e, names, HOST_MAX_DIMS);
    for (int i = 0; i < cli->nsets; i++) {
        bool known = false;
        for (int k = 0; k < *ndims; k++)
            known |= strcmp(names[k], cli->sets[i].key) == 0;
        for (int k = 0; k < e->num_tensors; k++)
            known |= e->tensors[k].role == BP_INPUT && e->tensors[k].rank == 0 && strcmp(e->tensors[k].name, cli->sets[i].key) == 0;
        if (!known) {
            fprintf(stderr, "bpc: --set %s: the model has no symbolic dim or rank-0 input '%s'\n", cli->sets[i].key,
                    cli->sets[i].key);
            return EXIT_USAGE;
        }
    }
    for (int k = 0; k < *ndims; k++) {
        int r = lookup_set(cli, names[k], &dims[k]);
        if (r < 0)
            return EXIT_USAGE;
        if (r == 0 && !infer_dim(cli, e, k, &dims[k]))
            dims[k] = dflt, defaulted[k] = any = true;
    }
    if (any)
        raise_defaults(e, dflt, dims, defaulted, *ndims);
    return EXIT_OK;
}

/* Copy an .npy array into tensor t, converting the element type. */
static int load_input(Session *s, HostTensor *t, const char *path)
{
    bp_array a;
    char err[512];
    if (bp_npy_read(path, &a, err, sizeof err) != 0) {
        fprintf(stderr, "bpc: %s\n", err);
        return EXIT_MODEL;
    }
    bool shape_ok = a.rank == t->info->rank;
    for (int k = 0; shape_ok && k < a.rank; k++)
        shape_ok = a.dims[k] == host_extent(&s->h, t->info, k);
    bool int_ok = (t->info->dtype == BP_I32) == (a.dtype == BP_I32 || a.dtype == BP_I64);
    int rc = EXIT_OK;
    if (shape_ok && int_ok && cli_check_data(path, &a, t->info->dtype) != 0)   /* cli: finite data only */
        rc = EXIT_MODEL;
    else if (!shape_ok || !int_ok) {
        fprintf(stderr, "bpc: %s: expected %s data of shape [", path, t->info->dtype == BP_I32 ? "int" : "float");
        for (int k = 0; k < t->info->rank; k++)
            fprintf(stderr, "%s%lld", k ? ", " : "", (long long)host_extent(&s->h, t->info, k));
        fprintf(stderr, "] for '%s', found %s data of shape [", t->info->name,
                a.dtype == BP_I32 || a.dtype == BP_I64 ? "int" : "float");
        for (int k = 0; k < a.rank; k++)
            fprintf(stderr, "%s%lld", k ? ", " : "", (long long)a.dims[k]);
        fprintf(stderr, "]\n");
        rc = EXIT_MODEL;
    } else {
        HostTensor src = { &(bp_tensor_info){ .dtype = a.dtype }, t->numel, bp_dtype_size(a.dtype), a.data };
        for (int64_t i = 0; i < t->numel; i++)
            host_set(t, i, host_get(&src, i));
    }
    bp_array_free(&a);
    return rc;
}

void session_random_inputs(Session *s, const Cli *cli, uint64_t seed)
{
    bp_rng r;
    bp_rng_seed(&r, seed);
    for (int i = 0; i < s->h.n; i++) {
        HostTensor *t = &s->h.t[i];
        bool given = false;
        for (int p = 0; p < cli->nins; p++)
            given |= strcmp(cli->ins[p].key, t->info->name) == 0;
        if (given || !t->data || (t->info->role != BP_INPUT && t->info->role != BP_GRAD_IN))
            continue;
        int64_t range = t->info->dtype == BP_I32 ? host_label_range(s->m, &s->h, t->info->name) : 0;
        for (int64_t k = 0; k < t->numel; k++)
            host_set(t, k, t->info->dtype == BP_I32 ? (double)(bp_rng_next(&r) % (uint64_t)(range > 0 ? range : 1))
                           : bp_rng_normal(&r));
    }
}

/* --set lr=0.05: rank-0 inputs (hyperparameters) take their value from the command line. */
static int set_scalars(Session *s, const Cli *cli)
{
    for (int i = 0; i < cli->nsets; i++) {
        HostTensor *t = host_find(&s->h, cli->sets[i].key);
        if (!t || t->info->role != BP_INPUT)
            continue;
        char *end;
        errno = 0;
        double v = strtod(cli->sets[i].value, &end);
        if (*end || end == cli->sets[i].value || errno == ERANGE || !isfinite(v)) {
            fprintf(stderr, "bpc: --set %s=%s: expected a finite number\n", cli->sets[i].key, cli->sets[i].value);
            return EXIT_USAGE;
        }
        host_set(t, 0, v);
    }
    return EXIT_OK;
}

int session_open(Session *s, const Cli *cli, int dtype, int64_t dflt)
{
    memset(s, 0, sizeof *s);
    Cli c = *cli;
    c.opt.dtype = dtype;
    bpc_model *m = cli_compile(&c);
    return m ? session_bind(s, cli, m, dflt) : EXIT_MODEL;
}

int session_bind(Session *s, const Cli *cli, bpc_model *m, int64_t dflt)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    char err[1024];
    s->j = bpc_jit_new(s->m, err, sizeof err);
    if (!s->j) {
        fprintf(stderr, "bpc: %s\n", err);
        return EXIT_MODEL;
    }
    s->e = bpc_jit_entry(s->j);
    int64_t dims[HOST_MAX_DIMS];
    int ndims, rc = bind_dims(cli, s->e, dflt, dims, &ndims);
    if (rc != EXIT_OK)
        return rc;
    if (host_open(&s->h, s->e, dims, ndims, err, sizeof err) != 0) {
        fprintf(stderr, "bpc: %s\n", err);
        return EXIT_MODEL;
    }
    int threads = cli->threads > 0 ? cli->threads : bp_cpu_count();
    if (threads > 1 && (s->pool = bp_pool_new(threads)) != NULL)
        host_set_parallel(&s->h, bp_pool_hook(s->pool));
    s->e->init(s->h.io, cli->seed);
    HostTensor *seed = host_find(&s->h, "seed");   /* dropout's masks: keyed by --seed too */
    if (seed && seed->info->role == BP_STATE && !seed->data)
        memcpy(s->h.io + seed->info->offset, &cli->seed, sizeof cli->seed);
    session_random_inputs(s, cli, cli->seed + 1);
    /* after init: --in may also give params and upstream gradients (T_grad_in) */
    for (int p = 0; p < cli->nins; p++) {
        HostTensor *t = host_find(&s->h, cli->ins[p].key);
        int role = t ? t->info->role : -1;
        if (role != BP_INPUT && role != BP_PARAM && role != BP_GRAD_IN) {
            fprintf(stderr, "bpc: --in %s: the model has no input, param or upstream gradient '%s'\n",
                    cli->ins[p].key, cli->ins[p].key);
            return EXIT_USAGE;
        }
        if ((rc = load_input(s, t, cli->ins[p].value)) != EXIT_OK)
            return rc;
    }
    return set_scalars(s, cli);
}

void session_close(Session *s)
{
    host_close(&s->h);
    bp_pool_free(s->pool);
    bpc_jit_free(s->j);
    bpc_free(s->m);
    memset(s, 0, sizeof *s);
}

double session_objective(Session *s)
{
    const char *target = host_target(s->m);
    HostTensor *t = target ? host_find(&s->h, target) : NULL;
    if (!t)
        return NAN;
    if (t->numel == 1 && t->info->rank == 0)
        return host_get(t, 0);
    char name[300];
    snprintf(name, sizeof name, "%s_grad_in", target);
    HostTensor *gi = host_find(&s->h, name);
    double acc = 0;
    for (int64_t i = 0; gi && i < t->numel; i++)
        acc += host_get(t, i) * host_get(gi, i);
    return acc;
}

int session_mkdir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "bpc: cannot create the folder '%s'\n", dir);
        return EXIT_MODEL;
    }
    return EXIT_OK;
}

int session_save(const Host *h, const HostTensor *t, const char *dir)
{
    bp_array a = { .dtype = t->info->dtype, .rank = t->info->rank, .data = t->data };
    for (int k = 0; k < a.rank; k++)
        a.dims[k] = host_extent(h, t->info, k);
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s.npy", dir, t->info->name);
    if (bp_npy_write(path, &a, err, sizeof err) != 0) {
        fprintf(stderr, "bpc: %s\n", err);
        return EXIT_MODEL;
    }
    return EXIT_OK;
}

const char *session_strerror(Session *s, int rc)
{
    const char *what = rc == BP_ENONFINITE && s->e->nonfinite ? s->e->nonfinite(s->h.ws) : NULL;
    if (!what)
        return s->e->strerror(rc);
    snprintf(s->err, sizeof s->err, "%s: %s, the first tensor that did", s->e->strerror(rc), what);
    return s->err;
}
