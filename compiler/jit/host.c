/* host: allocating and filling a model's tensors from its reflection table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"
#include "model.h"

static size_t elsize(int dtype) { return dtype == BP_F32 || dtype == BP_I32 ? 4 : 8; }

int64_t host_extent(const Host *h, const bp_tensor_info *t, int k)
{
    int64_t d = t->dims[k];
    return d > 0 ? d : h->dims[-d - 1];
}

int host_dim_names(const bpc_entry *e, const char **names, int max)
{
    int n = 0;
    for (int i = 0; i < e->num_tensors && n < max; i++)
        if (e->tensors[i].role == BP_DIM)
            names[n++] = e->tensors[i].name;
    return n;
}

static bool is_value(const bp_tensor_info *t) { return t->role == BP_DIM || t->dtype == BP_I64; }

/* n elements of size el, zeroed, at an address that is a multiple of 64 (a cache
 * line, an AVX-512 vector), or NULL. The generated code reads any alignment, but
 * glibc's calloc gives 16 mod 64 for a large tensor, so every vector load over a
 * param split two cache lines: the 784-256-10 MLP's step at batch 1 ran about
 * 1.2x slower for it (bench/README.md). */
static void *alloc_zeroed64(int64_t n, size_t el)
{
    const size_t bytes = ((size_t)n * el + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes ? bytes : 64);
    return p;
}

int host_open(Host *h, const bpc_entry *e, const int64_t *dims, int ndims, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->e = e;
    for (int k = 0; k < ndims && k < HOST_MAX_DIMS; k++)
        h->dims[k] = dims[k];
    h->io = calloc(1, e->io_size ? e->io_size : 1);
    h->t = calloc((size_t)e->num_tensors + 1, sizeof *h->t);
    h->n = e->num_tensors;
    if (!h->io || !h->t)
        return snprintf(err, errlen, "out of memory"), -1;
    for (int i = 0, k = 0; i < h->n; i++) {
        const bp_tensor_info *t = &e->tensors[i];
        HostTensor *ht = &h->t[i];
        ht->info = t;
        if (is_value(t)) {
            int64_t v = t->role == BP_DIM ? h->dims[k++] : 0;
            memcpy(h->io + t->offset, &v, sizeof v);
            continue;
        }
        ht->numel = 1;
        for (int r = 0; r < t->rank; r++) {
            int64_t x = host_extent(h, t, r);
            const int64_t lim = (int64_t)1 << 40;
            if (x < 1 || x > lim || ht->numel > lim / x)
                return snprintf(err, errlen, "'%s' would have too many elements", t->name), -1;
            ht->numel *= x;
        }
        ht->elsize = elsize(t->dtype);
        ht->data = alloc_zeroed64(ht->numel, ht->elsize);
        if (!ht->data)
            return snprintf(err, errlen, "out of memory for '%s'", t->name), -1;
        memcpy(h->io + t->offset, &ht->data, sizeof(void *));
    }
    h->ws_size = e->workspace_size(h->io);
    h->ws = malloc(h->ws_size ? h->ws_size : 1);
    if (!h->ws)
        return snprintf(err, errlen, "out of memory for the workspace (%zu bytes)", h->ws_size), -1;
    return 0;
}

void host_close(Host *h)
{
    for (int i = 0; h->t && i < h->n; i++)
        free(h->t[i].data);
    free(h->t);
    free(h->io);
    free(h->ws);
    memset(h, 0, sizeof *h);
}

void host_set_parallel(Host *h, const bp_parallel *par)
{
    if (h->io && h->e->parallel_offset + sizeof par <= h->e->io_size)
        memcpy(h->io + h->e->parallel_offset, &par, sizeof par);
}

HostTensor *host_find(Host *h, const char *name)
{
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->t[i].info->name, name) == 0)
            return &h->t[i];
    return NULL;
}

double host_get(const HostTensor *t, int64_t i)
{
    switch (t->info->dtype) {
    case BP_F32: return ((const float *)t->data)[i];
    case BP_F64: return ((const double *)t->data)[i];
    case BP_I32: return ((const int32_t *)t->data)[i];
    default: return (double)((const int64_t *)t->data)[i];
    }
}

void host_set(HostTensor *t, int64_t i, double v)
{
    switch (t->info->dtype) {
    case BP_F32: ((float *)t->data)[i] = (float)v; break;
    case BP_F64: ((double *)t->data)[i] = v; break;
    case BP_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    default: ((int64_t *)t->data)[i] = (int64_t)v; break;
    }
}

bool host_is_running(const bp_tensor_info *t)
{
    size_t n = strlen(t->name);
    return t->role == BP_STATE && t->rank == 1 &&
           ((n > 13 && strcmp(t->name + n - 13, "_running_mean") == 0) ||
            (n > 12 && strcmp(t->name + n - 12, "_running_var") == 0));
}

void **host_running_save(const Host *h)
{
    bool any = false;
    for (int i = 0; i < h->n; i++)
        any |= h->t[i].data && host_is_running(h->t[i].info);
    void **s = any ? calloc((size_t)h->n, sizeof *s) : NULL;
    for (int i = 0; s && i < h->n; i++) {
        const HostTensor *t = &h->t[i];
        if (!t->data || !host_is_running(t->info))
            continue;
        s[i] = malloc((size_t)t->numel * t->elsize);
        if (!s[i]) {
            for (int k = 0; k < i; k++)
                free(s[k]);
            free(s);
            return NULL;
        }
        memcpy(s[i], t->data, (size_t)t->numel * t->elsize);
    }
    return s;
}

void host_running_restore(Host *h, void **saved)
{
    for (int i = 0; saved && i < h->n; i++)
        if (saved[i]) {
            memcpy(h->t[i].data, saved[i], (size_t)h->t[i].numel * h->t[i].elsize);
            free(saved[i]);
        }
    free(saved);
}

int64_t host_label_range(const bpc_model *m, const Host *h, const char *input)
{
    const Graph *g = m->g;
    int64_t range = 0;   /* the smallest, when several ops read the same labels */
    for (int i = 0; g && i < g->n; i++) {
        const Node *n = g->nodes[i];
        if (op_reads_labels(n->op) && n->in[1]->op == OP_INPUT &&
            strcmp(g->decls[n->in[1]->decl].name, input) == 0) {
            Extent c = op_label_range(n);
            int64_t v = c > 0 ? c : h->dims[-c - 1];
            if (!range || v < range)
                range = v;
        }
    }
    return range;
}

const char *host_target(const bpc_model *m) { return m->g ? m->g->target_name : NULL; }

const char *host_lr_input(const bpc_model *m)
{
    const Graph *g = m->g;
    return g && g->opt != OPT_NONE && g->lr.decl >= 0 ? g->decls[g->lr.decl].name : NULL;
}
