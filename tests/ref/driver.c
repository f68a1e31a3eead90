/* driver: run one bpc-generated model (AOT) on data given as .npy files, knowing
 * nothing of it beyond the SPEC §3 API and its reflection table, and write every
 * result as .npy — the AOT half of the reference harness (tests/ref/harness.py).
 *
 *   bpc model.bp -o m.c --name m [--dtype f64] [--gemm ...] [-O0]
 *   cc -O2 -DMODEL_H='"m.h"' -DP=m [-DHAS_STEP] -I. tests/ref/driver.c m.c -lm
 *   ./a.out INDIR OUTDIR [DIM=VALUE ...]
 *
 * The model's io struct is only reached through the reflection table (offsets),
 * so this file compiles against any model's header with the same prefix P.
 * Every tensor of role input, param and upstream gradient is read from
 * INDIR/NAME.npy (any of f4 f8 i4 i8, converted; its shape must match); optimizer
 * state is read when INDIR/NAME.npy exists, else zero. Result buffers and the
 * workspace are filled with NaN bytes before each call, so an element a call
 * forgets to write shows up. Writes:
 *   OUTDIR/grad/  outputs, targets and gradients after P_grad
 *   OUTDIR/fb/    the same after P_forward then P_backward (must equal grad/)
 *   OUTDIR/step/  (with -DHAS_STEP) after P_step: outputs, targets, gradients,
 *                 the updated params and optimizer state (incl. `step`)
 *   OUTDIR/predict/ the outputs after P_predict (inference mode)
 * Batchnorm's running averages (NAME_running_mean/_var) are restored to the
 * loaded values before each call, so every directory holds them after one
 * training-mode forward (grad/, fb/, step/), and predict reads the loaded ones.
 * Prints "fb_vs_grad MAXDIFF" (the largest |fb - grad| relative to the tensor's
 * largest |grad|). Exit 0 ok, 1 a call or file failed, 2 bad usage.
 *
 * With -DBP_THREADS=T (the harness's "-threads" paths, a model from bpc --split-all),
 * every call runs on a pool of T threads (libbprt's bp_pool, through io->bp_par at
 * offset bp_par_offset, which an object compiled with the model's header defines). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MODEL_H
#define MODEL_H "m.h"
#endif
#ifndef P
#define P m
#endif
#include MODEL_H
#ifdef BP_THREADS
#include "bp_runtime.h"
extern const size_t bp_par_offset;   /* offsetof(P_io, bp_par) */
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define M(s) CAT(P, s)

enum { MAX_T = 512, MAX_SYM = 16 };

typedef struct Buf {
    const bp_tensor_info *info;
    int64_t numel, dims[4];
    size_t esz;
    void *data;
} Buf;

static Buf bufs[MAX_T];
static int nbufs;
static int64_t sym[MAX_SYM];
static unsigned char io[8192];   /* the io struct, reached by offsets only */
static void *ws;
static size_t wsz;

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "driver: %s%s\n", msg, arg ? arg : "");
    exit(1);
}

static size_t dtype_size(int dt) { return dt == BP_F64 || dt == BP_I64 ? 8 : 4; }

static double get(const void *p, int dt, int64_t i)
{
    switch (dt) {
    case BP_F32: return ((const float *)p)[i];
    case BP_F64: return ((const double *)p)[i];
    case BP_I32: return ((const int32_t *)p)[i];
    default: return (double)((const int64_t *)p)[i];
    }
}

static void set(void *p, int dt, int64_t i, double v)
{
    switch (dt) {
    case BP_F32: ((float *)p)[i] = (float)v; break;
    case BP_F64: ((double *)p)[i] = v; break;
    case BP_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    default: ((int64_t *)p)[i] = (int64_t)v; break;
    }
}

/* ---- .npy (version 1 and 2, little-endian, C order) ---- */

static int descr_dtype(const char *d)
{
    if (strcmp(d, "<f4") == 0) return BP_F32;
    if (strcmp(d, "<f8") == 0) return BP_F64;
    if (strcmp(d, "<i4") == 0) return BP_I32;
    if (strcmp(d, "<i8") == 0) return BP_I64;
    return -1;
}

/* Read path into b's buffer (converting). Returns 0, -1 if absent; dies on a bad file. */
static int npy_read(const char *path, Buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char pre[12];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        die("not an .npy file: ", path);
    size_t hlen = pre[6] == 1 ? (size_t)(pre[8] | pre[9] << 8) : 0;
    if (pre[6] != 1) {
        if (fread(pre + 10, 1, 2, f) != 2)
            die("truncated .npy: ", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    char *h = calloc(hlen + 1, 1);
    if (!h || fread(h, 1, hlen, f) != hlen)
        die("truncated .npy: ", path);
    char descr[8] = "", *d = strstr(h, "'descr'"), *s = strstr(h, "'shape'");
    if (!d || !s || strstr(h, "'fortran_order': True"))
        die("unsupported .npy header: ", path);   /* (exits: nothing to free) */
    d = strchr(d + 7, '\'');
    if (d)
        sscanf(d + 1, "%7[^']", descr);
    int dt = descr_dtype(descr);
    if (dt < 0)
        die("unsupported .npy dtype in ", path);
    int64_t dims[8], rank = 0, n = 1;
    s = strchr(s, '(');
    while (s && *++s && *s != ')') {
        if (*s >= '0' && *s <= '9') {
            if (rank == 8)
                die("rank too high in ", path);
            dims[rank] = strtoll(s, &s, 10);
            n *= dims[rank++];
            s--;
        }
    }
    bool ok = rank == b->info->rank;
    for (int k = 0; ok && k < rank; k++)
        ok = dims[k] == b->dims[k];
    if (!ok)
        die("shape mismatch in ", path);
    void *raw = malloc((size_t)n * dtype_size(dt) + 1);
    if (!raw || fread(raw, dtype_size(dt), (size_t)n, f) != (size_t)n)
        die("truncated .npy data: ", path);
    for (int64_t i = 0; i < n; i++)
        set(b->data, b->info->dtype, i, get(raw, dt, i));
    free(raw);
    free(h);
    fclose(f);
    return 0;
}

static void npy_write(const char *dir, const Buf *b)
{
    static const char *const descr[] = { "<f4", "<f8", "<i4", "<i8" };
    char path[4096], head[256], shape[160] = "";
    size_t len = 0;
    for (int k = 0; k < b->info->rank; k++)
        len += (size_t)snprintf(shape + len, sizeof shape - len, "%lld,%s", (long long)b->dims[k],
                                b->info->rank > 1 && k + 1 < b->info->rank ? " " : "");
    int hl = snprintf(head, sizeof head, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr[b->info->dtype], shape);
    while ((10 + hl + 1) % 64)
        head[hl++] = ' ';
    head[hl++] = '\n';
    snprintf(path, sizeof path, "%s/%s.npy", dir, b->info->name);
    FILE *f = fopen(path, "wb");
    if (!f)
        die("cannot write ", path);
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 255), (unsigned char)(hl >> 8) };
    fwrite(pre, 1, 10, f);
    fwrite(head, 1, (size_t)hl, f);
    fwrite(b->data, b->esz, (size_t)b->numel, f);
    if (fclose(f) != 0)
        die("cannot write ", path);
}

/* ---- driving ---- */

static bool is_result(int role) { return role == BP_OUTPUT || role == BP_TARGET || role == BP_GRAD; }

/* batchnorm's running averages: state a training-mode forward updates */
static bool is_running(const bp_tensor_info *t)
{
    size_t n = strlen(t->name);
    return t->role == BP_STATE && ((n > 13 && strcmp(t->name + n - 13, "_running_mean") == 0) ||
                                   (n > 12 && strcmp(t->name + n - 12, "_running_var") == 0));
}

static void *running0[MAX_T];   /* the loaded running averages, by buffer */

static void running_save(void)
{
    for (int i = 0; i < nbufs; i++)
        if (is_running(bufs[i].info)) {
            running0[i] = malloc((size_t)bufs[i].numel * bufs[i].esz);
            if (!running0[i])
                die("out of memory", NULL);
            memcpy(running0[i], bufs[i].data, (size_t)bufs[i].numel * bufs[i].esz);
        }
}

static void running_restore(void)
{
    for (int i = 0; i < nbufs; i++)
        if (running0[i])
            memcpy(bufs[i].data, running0[i], (size_t)bufs[i].numel * bufs[i].esz);
}

static void poison_results(void)
{
    for (int i = 0; i < nbufs; i++)
        if (is_result(bufs[i].info->role))
            memset(bufs[i].data, 0xff, (size_t)bufs[i].numel * bufs[i].esz);
    memset(ws, 0xff, wsz ? wsz : 1);
}

static void write_results(const char *dir, bool with_params)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        die("cannot create ", dir);
    for (int i = 0; i < nbufs; i++) {
        int r = bufs[i].info->role;
        if (is_result(r) || is_running(bufs[i].info) || (with_params && (r == BP_PARAM || r == BP_STATE)))
            npy_write(dir, &bufs[i]);
    }
}

static void check(int rc, const char *what)
{
    if (rc != BP_OK) {
        fprintf(stderr, "driver: %s: %s\n", what, M(_strerror)(rc));
        exit(1);
    }
}

static void **slot(const bp_tensor_info *t) { return (void **)(void *)(io + t->offset); }

static void bind(int argc, char **argv)
{
    const bp_tensor_info *tab = M(_tensors);
    int nsym = 0;
    for (int i = 0; i < M(_num_tensors); i++) {
        const bp_tensor_info *t = &tab[i];
        if (t->offset + 8 > sizeof io)
            die("io struct too large", NULL);
        if (t->role != BP_DIM)
            continue;
        if (nsym == MAX_SYM)
            die("too many symbolic dims", NULL);
        sym[nsym] = 0;
        for (int a = 3; a < argc; a++) {
            size_t n = strlen(t->name);
            if (strncmp(argv[a], t->name, n) == 0 && argv[a][n] == '=')
                sym[nsym] = atoll(argv[a] + n + 1);
        }
        if (sym[nsym] < 1)
            die("no value given for the symbolic dim ", t->name);
        memcpy(io + t->offset, &sym[nsym], sizeof(int64_t));
        nsym++;
    }
}

static void alloc_and_load(const char *indir)
{
    const bp_tensor_info *tab = M(_tensors);
    for (int i = 0; i < M(_num_tensors); i++) {
        const bp_tensor_info *t = &tab[i];
        if (t->role == BP_DIM)
            continue;
        if (nbufs == MAX_T)
            die("too many tensors", NULL);
        Buf *b = &bufs[nbufs++];
        b->info = t;
        b->numel = 1;
        b->esz = dtype_size(t->dtype);
        for (int k = 0; k < t->rank; k++) {
            b->dims[k] = t->dims[k] > 0 ? t->dims[k] : sym[-t->dims[k] - 1];
            b->numel *= b->dims[k];
        }
        b->data = calloc((size_t)b->numel + 1, b->esz);
        if (!b->data)
            die("out of memory", NULL);
        if (t->role == BP_STATE && t->rank == 0 && t->dtype == BP_I64 && t->offset + 8 <= sizeof io) {
            /* the adam step count is a plain int64_t field, not a pointer */
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.npy", indir, t->name);
            int64_t v = 0;
            if (npy_read(path, b) == 0)
                v = ((int64_t *)b->data)[0];
            memcpy(io + t->offset, &v, sizeof v);
            continue;
        }
        memcpy(slot(t), &b->data, sizeof(void *));
        if (t->role == BP_INPUT || t->role == BP_PARAM || t->role == BP_GRAD_IN || t->role == BP_STATE) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.npy", indir, t->name);
            if (npy_read(path, b) != 0 && t->role != BP_STATE)
                die("missing ", path);
        }
    }
}

/* Copy the result buffers (to compare forward+backward against grad). */
static void **snapshot(void)
{
    void **s = calloc((size_t)nbufs, sizeof *s);
    for (int i = 0; s && i < nbufs; i++)
        if (is_result(bufs[i].info->role)) {
            s[i] = malloc((size_t)bufs[i].numel * bufs[i].esz);
            if (s[i])
                memcpy(s[i], bufs[i].data, (size_t)bufs[i].numel * bufs[i].esz);
        }
    return s;
}

static double max_diff(void **snap)
{
    double worst = 0;
    for (int i = 0; i < nbufs; i++) {
        if (!snap[i])
            continue;
        double big = 0, d = 0;
        for (int64_t k = 0; k < bufs[i].numel; k++) {
            double g = get(snap[i], bufs[i].info->dtype, k), f = get(bufs[i].data, bufs[i].info->dtype, k);
            big = fmax(big, fabs(g));
            d = isnan(f) != isnan(g) ? INFINITY : fmax(d, fabs(f - g));
        }
        d /= big > 0 ? big : 1;
        worst = d > worst || isnan(d) ? d : worst;
    }
    return worst;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s INDIR OUTDIR [DIM=VALUE ...]\n", argv[0]);
        return 2;
    }
    char dir[4096];
    bind(argc, argv);
    alloc_and_load(argv[1]);
    wsz = M(_workspace_size)((const void *)io);
    ws = malloc(wsz ? wsz : 1);
    if (!ws)
        die("out of memory", NULL);
    if (mkdir(argv[2], 0777) != 0 && errno != EEXIST)
        die("cannot create ", argv[2]);
#ifdef BP_THREADS
    bp_pool *pool = bp_pool_new(BP_THREADS);
    if (!pool)
        die("cannot start the threads", NULL);
    const bp_parallel *par = bp_pool_hook(pool);
    memcpy(io + bp_par_offset, &par, sizeof par);
#endif

    running_save();
    poison_results();
    check(M(_grad)((const void *)io, ws), "grad");
    snprintf(dir, sizeof dir, "%s/grad", argv[2]);
    write_results(dir, false);
    void **snap = snapshot();

    running_restore();
    poison_results();
    check(M(_forward)((const void *)io, ws), "forward");
    check(M(_backward)((const void *)io, ws), "backward");
    snprintf(dir, sizeof dir, "%s/fb", argv[2]);
    write_results(dir, false);
    printf("fb_vs_grad %.3g\n", max_diff(snap));
    for (int i = 0; i < nbufs; i++)
        free(snap[i]);
    free(snap);

    running_restore();
    poison_results();
    check(M(_predict)((const void *)io, ws), "predict");
    snprintf(dir, sizeof dir, "%s/predict", argv[2]);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        die("cannot create ", dir);
    for (int i = 0; i < nbufs; i++)
        if (bufs[i].info->role == BP_OUTPUT)
            npy_write(dir, &bufs[i]);

#ifdef HAS_STEP
    running_restore();
    poison_results();
    check(M(_step)((void *)io, ws), "step");
    for (int i = 0; i < nbufs; i++)   /* the step count lives in the io struct */
        if (bufs[i].info->role == BP_STATE && bufs[i].info->rank == 0 && bufs[i].info->dtype == BP_I64)
            memcpy(bufs[i].data, io + bufs[i].info->offset, sizeof(int64_t));
    snprintf(dir, sizeof dir, "%s/step", argv[2]);
    write_results(dir, true);
#endif
    for (int i = 0; i < nbufs; i++)
        free(running0[i]);
#ifdef BP_THREADS
    bp_pool_free(pool);
#endif
    return 0;
}
