/* jit: compile a model's C in-process with libtcc (one TCCState per model),
 * its GEMMs bound to the runtime's optimised kernels. */
#include <libtcc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bp_runtime.h"
#include "model.h"

struct bpc_jit {
    TCCState *s;
    bpc_entry entry;
};

typedef struct JitErr {
    char *buf;
    size_t len;
    bool set;
} JitErr;

static void on_tcc_error(void *opaque, const char *msg)
{
    JitErr *e = opaque;
    if (!e->set && e->len)
        snprintf(e->buf, e->len, "tcc: %s", msg);
    e->set = true;
}

static void fail(JitErr *e, const char *fmt, ...)
{
    if (e->set || !e->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->buf, e->len, fmt, ap);
    va_end(ap);
    e->set = true;
}

/* tcc's own runtime (libtcc1.a) and headers: BPC_TCC_DIR, else where CMake found them. */
static const char *tcc_dir(void)
{
    const char *env = getenv("BPC_TCC_DIR");
    return env && *env ? env : BPC_TCC_LIB_DIR;
}

static void *symbol(TCCState *s, const char *P, const char *name)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s_%s", P, name);
    return tcc_get_symbol(s, buf);
}

static bool resolve(bpc_jit *j, const char *P, JitErr *err)
{
    bpc_entry *e = &j->entry;
    e->workspace_size = (size_t (*)(const void *))symbol(j->s, P, "workspace_size");
    e->forward = (int (*)(const void *, void *))symbol(j->s, P, "forward");
    e->backward = (int (*)(const void *, void *))symbol(j->s, P, "backward");
    e->grad = (int (*)(const void *, void *))symbol(j->s, P, "grad");
    e->step = (int (*)(void *, void *))symbol(j->s, P, "step");
    e->init = (void (*)(const void *, uint64_t))symbol(j->s, P, "init");
    e->strerror = (const char *(*)(int))symbol(j->s, P, "strerror");
    e->tensors = symbol(j->s, P, "tensors");
    const int *n = symbol(j->s, P, "num_tensors");
    if (!e->workspace_size || !e->forward || !e->backward || !e->grad || !e->init || !e->tensors || !n) {
        fail(err, "jit: the compiled model lacks its entry points");
        return false;
    }
    e->num_tensors = *n;
    for (int i = 0; i < e->num_tensors; i++)   /* every field is 8 bytes: a pointer or an int64_t */
        if (e->tensors[i].offset + 8 > e->io_size)
            e->io_size = e->tensors[i].offset + 8;
    return true;
}

static bool build(bpc_jit *j, const char *text, const char *P, JitErr *err)
{
    char lib[4096];
    snprintf(lib, sizeof lib, "%s/libtcc1.a", tcc_dir());
    if (access(lib, R_OK) != 0) {
        fail(err, "jit: %s not found: install Debian's `tcc` package (or set BPC_TCC_DIR)", lib);
        return false;
    }
    tcc_set_error_func(j->s, err, on_tcc_error);
    tcc_set_lib_path(j->s, tcc_dir());
    snprintf(lib, sizeof lib, "%s/include", tcc_dir());
    tcc_add_sysinclude_path(j->s, lib);
    tcc_set_output_type(j->s, TCC_OUTPUT_MEMORY);
    if (tcc_compile_string(j->s, text) != 0)
        return fail(err, "jit: the generated C did not compile"), false;
    tcc_add_symbol(j->s, "bp_sgemm", (const void *)bp_sgemm);
    tcc_add_symbol(j->s, "bp_dgemm", (const void *)bp_dgemm);
    if (tcc_relocate(j->s, TCC_RELOCATE_AUTO) < 0)
        return fail(err, "jit: relocation failed"), false;
    return resolve(j, P, err);
}

bpc_jit *bpc_jit_new(bpc_model *m, char *errbuf, size_t errlen)
{
    JitErr err = { errbuf, errlen, false };
    if (errlen)
        errbuf[0] = 0;
    const char *h, *c;
    if (!emit_generate(m, BPC_GEMM_RUNTIME, &h, &c)) {
        fail(&err, "jit: the model has errors");
        return NULL;
    }
    size_t n = strlen(h) + strlen(c) + 2;
    char *text = malloc(n);
    bpc_jit *j = calloc(1, sizeof *j);
    if (text && j) {
        snprintf(text, n, "%s\n%s", h, c);
        j->s = tcc_new();
    }
    bool ok = j && j->s && build(j, text, m->name, &err);
    if (!ok && j && !j->s)
        fail(&err, "jit: cannot start libtcc");
    free(text);
    if (!ok) {
        bpc_jit_free(j);
        return NULL;
    }
    return j;
}

const bpc_entry *bpc_jit_entry(const bpc_jit *j) { return &j->entry; }

void bpc_jit_free(bpc_jit *j)
{
    if (!j)
        return;
    if (j->s)
        tcc_delete(j->s);
    free(j);
}
