/* util: reading sources, atomic writes, compiling with diagnostics printed. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bp_runtime.h"
#include "cli.h"

char *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bpc: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n > (size_t)64 << 20) {
            fprintf(stderr, "bpc: '%s' is larger than 64 MB\n", path);
            free(buf);
            fclose(f);
            return NULL;
        }
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        fprintf(stderr, "bpc: cannot read '%s'\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

bpc_model *cli_compile(const Cli *cli)
{
    size_t len;
    char *src = cli_read_file(cli->model, &len);
    if (!src)
        return NULL;
    bpc_model *m = bpc_compile(src, len, cli->model, &cli->opt);
    free(src);
    bpc_print_diags(m, stderr);
    if (!bpc_ok(m)) {
        bpc_free(m);
        return NULL;
    }
    return m;
}

bool cli_has_pair(const Pair *pairs, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(pairs[i].key, key) == 0)
            return true;
    return false;
}

/* Element i of a as a double (int64 beyond 2^53 rounds; fine for range checks). */
static double element(const bp_array *a, int64_t i)
{
    switch (a->dtype) {
    case BP_F32: return ((const float *)a->data)[i];
    case BP_F64: return ((const double *)a->data)[i];
    case BP_I32: return ((const int32_t *)a->data)[i];
    default: return (double)((const int64_t *)a->data)[i];
    }
}

/* "[3, 1]": the index of flat element i in a. */
static void index_text(const bp_array *a, int64_t i, char *buf, size_t len)
{
    int64_t idx[8];
    for (int k = a->rank - 1; k >= 0; k--) {
        idx[k] = a->dims[k] ? i % a->dims[k] : 0;
        i = a->dims[k] ? i / a->dims[k] : 0;
    }
    size_t n = (size_t)snprintf(buf, len, "[");
    for (int k = 0; k < a->rank && n < len; k++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", k ? ", " : "", (long long)idx[k]);
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

int cli_check_data(const char *path, const bp_array *a, int dtype)
{
    const int64_t n = bp_array_count(a);
    for (int64_t i = 0; i < n; i++) {
        const double v = element(a, i);
        const char *why = NULL;
        if (!isfinite(v))
            why = "is not a finite number";
        else if (dtype == BP_F32 && fabs(v) > FLT_MAX)
            why = "is beyond the range of float32";
        else if (dtype == BP_I32 && (v > INT32_MAX || v < INT32_MIN))
            why = "is beyond the range of int32";
        if (why) {
            char idx[200];
            index_text(a, i, idx, sizeof idx);
            fprintf(stderr, "bpc: %s: the element at %s (%g) %s\n", path, idx, v, why);
            return -1;
        }
    }
    return 0;
}
