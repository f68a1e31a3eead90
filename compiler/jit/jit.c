/* jit: compile a model's C in-process with libtcc (one TCCState per model),
 * or with the system compiler at -O3 into a shared object (--jit=cc); the
 * model's GEMMs bind to the runtime's optimised kernels either way. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libtcc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bp_runtime.h"
#include "model.h"

extern char **environ;

/* A compiler run another thread may stop: bpc_jit_free ends a tier-2 build that
 * is no longer wanted rather than wait for it (a short `bpc train` exited only
 * after cc -O3 finished). pid is the running compiler, 0 when none; both fields
 * are read and written under mu. */
typedef struct Cancel {
    pthread_mutex_t mu;
    pid_t pid;
    bool cancelled;
} Cancel;

struct bpc_jit {
    TCCState *s;         /* the tcc backend */
    void *dl;            /* the cc backend  */
    bpc_entry entry;
    /* tiered: the cc build of the same text, on its own thread */
    pthread_t thread;
    bool tiering;        /* a thread was started and not joined yet    */
    int done;            /* set by the thread when it ends (atomic)     */
    char *text, *prefix; /* what the thread compiles                    */
    bpc_jit *tier2;      /* its result, NULL if it failed               */
    Cancel cancel;       /* stops its compiler (bpc_jit_free)           */
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

static void *symbol(bpc_jit *j, const char *P, const char *name)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s_%s", P, name);
    return j->s ? tcc_get_symbol(j->s, buf) : dlsym(j->dl, buf);
}

static bool resolve(bpc_jit *j, const char *P, JitErr *err)
{
    bpc_entry *e = &j->entry;
    e->workspace_size = (size_t (*)(const void *))symbol(j, P, "workspace_size");
    e->predict = (int (*)(const void *, void *))symbol(j, P, "predict");
    e->forward = (int (*)(const void *, void *))symbol(j, P, "forward");
    e->evaluate = (int (*)(const void *, void *))symbol(j, P, "evaluate");   /* models with a target only */
    e->backward = (int (*)(const void *, void *))symbol(j, P, "backward");
    e->grad = (int (*)(const void *, void *))symbol(j, P, "grad");
    e->step = (int (*)(void *, void *))symbol(j, P, "step");
    e->update = (int (*)(void *, void *))symbol(j, P, "update");
    e->init = (void (*)(const void *, uint64_t))symbol(j, P, "init");
    e->strerror = (const char *(*)(int))symbol(j, P, "strerror");
    e->nonfinite = (const char *(*)(const void *))symbol(j, P, "nonfinite");   /* check_finite models only */
    e->tensors = symbol(j, P, "tensors");
    const int *n = symbol(j, P, "num_tensors");
    if (!e->workspace_size || !e->predict || !e->forward || !e->backward || !e->grad || !e->init || !e->tensors || !n) {
        fail(err, "jit: the compiled model lacks its entry points");
        return false;
    }
    const size_t *par = symbol(j, P, "parallel_offset");
    if (!par) {
        fail(err, "jit: the compiled model lacks its entry points");
        return false;
    }
    e->num_tensors = *n;
    e->parallel_offset = *par;
    e->io_size = *par + sizeof(void *);   /* bp_par is the last field */
    for (int i = 0; i < e->num_tensors; i++)   /* every field is 8 bytes: a pointer or an int64_t */
        if (e->tensors[i].offset + 8 > e->io_size)
            e->io_size = e->tensors[i].offset + 8;
    return true;
}

static bool build_tcc(bpc_jit *j, const char *text, const char *P, JitErr *err)
{
    j->s = tcc_new();
    if (!j->s)
        return fail(err, "jit: cannot start libtcc"), false;
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
#define BIND(name)                                                       \
    tcc_add_symbol(j->s, "bp_s_" #name, (const void *)bp_s_##name);      \
    tcc_add_symbol(j->s, "bp_d_" #name, (const void *)bp_d_##name);
    BP_KERNELS(BIND)
#undef BIND
    if (tcc_relocate(j->s, TCC_RELOCATE_AUTO) < 0)
        return fail(err, "jit: relocation failed"), false;
    return resolve(j, P, err);
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fputs(text, f) >= 0;
    return (f && fclose(f) == 0) && ok;
}

/* The runtime functions a cc-built model calls, by name. */
typedef struct RtSym {
    const char *name;
    void (*fn)(void);
} RtSym;

static const RtSym rt_syms[] = {
    { "sgemm", (void (*)(void))bp_sgemm },
    { "dgemm", (void (*)(void))bp_dgemm },
#define SYM(name) { "s_" #name, (void (*)(void))bp_s_##name }, { "d_" #name, (void (*)(void))bp_d_##name },
    BP_KERNELS(SYM)
#undef SYM
};

/* A shared object cannot see the host's functions unless the host exports
 * them (-rdynamic). So each call to a runtime function bp_X becomes a call
 * through a pointer bpc_p_X in the object, set after dlopen. */
static char *with_glue(const char *text)
{
    size_t n = strlen(text) + 4096, len = 0;
    char *out = malloc(n);
    if (!out)
        return NULL;
    for (size_t i = 0; i < sizeof rt_syms / sizeof *rt_syms; i++)
        len += (size_t)snprintf(out + len, n - len, "#define bp_%s (*bpc_p_%s)\n", rt_syms[i].name, rt_syms[i].name);
    snprintf(out + len, n - len, "%s", text);
    return out;
}

static void bind_glue(void *dl)
{
    for (size_t i = 0; i < sizeof rt_syms / sizeof *rt_syms; i++) {
        char name[64];
        snprintf(name, sizeof name, "bpc_p_%s", rt_syms[i].name);
        void (**slot)(void) = dlsym(dl, name);
        if (slot)
            *slot = rt_syms[i].fn;
    }
}

enum { CC_MAX_ARGS = 32 };

/* BPC_CC split at spaces and tabs — no quoting, no expansion, no shell — so
 * "ccache gcc" works; empty or unset means "cc". Fills argv (pointing into
 * buf) and returns the count, or -1 when there are too many words. */
static int cc_words(char *buf, size_t len, char **argv)
{
    const char *cc = getenv("BPC_CC");
    snprintf(buf, len, "%s", cc && *cc ? cc : "cc");
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == CC_MAX_ARGS - 12)
            return -1;
        argv[n++] = t;
    }
    if (n == 0)
        argv[n++] = "cc";
    return n;
}

/* environ with TMPDIR set to dir (its other TMPDIR entries left out), for the
 * compiler: its own temporaries (gcc's ccXXXX.s, .o) then go into bpc's private
 * folder and leave with it, even when the compiler is stopped before it cleans
 * up. NULL when out of memory; free the array and its [0]. */
static char **env_with_tmpdir(const char *dir)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = malloc((n + 2) * sizeof *env);
    size_t len = strlen(dir) + 8;
    char *entry = malloc(len);
    if (!env || !entry)
        return free(env), free(entry), NULL;
    snprintf(entry, len, "TMPDIR=%s", dir);
    size_t k = 0;
    env[k++] = entry;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TMPDIR=", 7) != 0)
            env[k++] = environ[i];
    env[k] = NULL;
    return env;
}

/* Run argv (no shell) with stdout and stderr into log, TMPDIR set to tmp; true
 * when it exits 0. With c, the run is registered there while it lasts so that
 * another thread can stop it: the compiler runs in a process group of its own,
 * and SIGTERM goes to the group (the driver, and cc1, as or ld under it, which a
 * signal to the driver alone leaves compiling code nobody will run); nothing
 * starts once c is cancelled. (So a Ctrl-C at the terminal does not reach a
 * tier-2 build: it finishes on its own, in seconds. Without c the compiler stays
 * in bpc's group, where a Ctrl-C stops both.) The child is waited for without being reaped until
 * it is unregistered, so its pid (the group's id) cannot be reused meanwhile. */
static bool spawn_wait(char **argv, const char *log, const char *tmp, Cancel *c, JitErr *err)
{
    char **env = env_with_tmpdir(tmp);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    if (!env || posix_spawn_file_actions_init(&fa) != 0) {
        if (env)
            free(env[0]);
        free(env);
        return fail(err, "jit: cannot start %s", argv[0]), false;
    }
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_init(&at);
    if (c) {
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&at, 0);
    }
    pid_t pid;
    int rc = ECANCELED;
    if (c)
        pthread_mutex_lock(&c->mu);
    if (!c || !c->cancelled)
        rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, env);
    if (c && rc == 0)
        c->pid = pid;
    if (c)
        pthread_mutex_unlock(&c->mu);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    free(env[0]);
    free(env);
    if (rc != 0)
        return fail(err, "jit: cannot run '%s': %s", argv[0], strerror(rc)), false;
    siginfo_t si;
    while (c && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    if (c) {
        pthread_mutex_lock(&c->mu);
        c->pid = 0;
        pthread_mutex_unlock(&c->mu);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(err, "jit: waiting for '%s': %s", argv[0], strerror(errno)), false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Stop c's compiler with its process group, if one runs, and any that would start. */
static void cancel_run(Cancel *c)
{
    pthread_mutex_lock(&c->mu);
    c->cancelled = true;
    if (c->pid > 0)
        kill(-c->pid, SIGTERM);
    pthread_mutex_unlock(&c->mu);
}

/* Remove folder dir with the files in it (bpc's model.c, model.so, cc.log, and
 * whatever the compiler left there as its TMPDIR). */
static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    char path[4400];
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Remove the folders bpcs killed mid-build (SIGKILL: no chance to clean up) left in
 * tmp: bpc-jit-PID-XXXXXX, a folder of this user, whose process PID is gone and which
 * nothing has touched for an hour. (A build in another PID namespace sharing tmp looks
 * gone from here, but its compiler keeps writing into its folder.) Best effort. */
static void remove_stale(const char *tmp)
{
    DIR *d = opendir(tmp);
    char path[4400];
    const time_t now = time(NULL);
    for (struct dirent *e; d && (e = readdir(d));) {
        const char *s = e->d_name, *q = s + 8;
        struct stat st;
        if (strncmp(s, "bpc-jit-", 8) != 0 || *q < '1' || *q > '9')
            continue;
        long pid = 0;
        for (; *q >= '0' && *q <= '9' && pid < 100000000; q++)
            pid = pid * 10 + (*q - '0');
        if (*q != '-' || strlen(q + 1) != 6 || (size_t)snprintf(path, sizeof path, "%s/%s", tmp, s) >= sizeof path)
            continue;
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || now - st.st_mtime < 3600)
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            remove_folder(path);
    }
    if (d)
        closedir(d);
}

/* The compiler's failure, with the start of what it printed. */
static void cc_failed(const char *cc, const char *log, JitErr *err)
{
    char text[600] = "";
    FILE *f = fopen(log, "rb");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = 0;
    fail(err, "jit: %s failed%s%s", cc, n ? ":\n" : "", text);
}

/* cc -O3 -march=native -shared into a private temporary folder (mkdtemp in
 * $TMPDIR, else /tmp: bpc-jit-PID-XXXXXX; the compiler's TMPDIR too), then dlopen;
 * the folder is removed either way, and those killed bpcs left first. cancel
 * (NULL for none) can stop the compiler (spawn_wait). */
static bool build_cc(bpc_jit *j, const char *text, const char *P, Cancel *cancel, JitErr *err)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char dir[4096], src[4200], so[4200], log[4200], words[1024], *argv[CC_MAX_ARGS];
    if ((size_t)snprintf(dir, sizeof dir, "%s/bpc-jit-%ld-XXXXXX", tmp, (long)getpid()) >= sizeof dir)
        return fail(err, "jit: TMPDIR is too long"), false;
    int n = cc_words(words, sizeof words, argv);
    if (n < 0)
        return fail(err, "jit: BPC_CC has too many words"), false;
    remove_stale(tmp);
    if (!mkdtemp(dir))
        return fail(err, "jit: cannot create a temporary folder in %s: %s", tmp, strerror(errno)), false;
    snprintf(src, sizeof src, "%s/model.c", dir);
    snprintf(so, sizeof so, "%s/model.so", dir);
    snprintf(log, sizeof log, "%s/cc.log", dir);
    const char *rest[] = { "-std=c99", "-O3", "-march=native", "-fPIC", "-shared", "-o", so, src, "-lm", NULL };
    for (size_t k = 0; k < sizeof rest / sizeof *rest; k++)
        argv[n++] = (char *)rest[k];
    char *glued = with_glue(text);
    bool ok = glued && write_file(src, glued);
    free(glued);
    if (!ok)
        fail(err, "jit: cannot write %s: %s", src, strerror(errno));
    else if (!(ok = spawn_wait(argv, log, dir, cancel, err)))
        cc_failed(argv[0], log, err);
    if (ok && !(j->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL)))
        ok = false, fail(err, "jit: %s", dlerror());
    if (ok)
        bind_glue(j->dl);
    remove_folder(dir);
    return ok && resolve(j, P, err);
}

static void *tier2_main(void *arg)
{
    bpc_jit *j = arg, *t = calloc(1, sizeof *t);
    char msg[256];
    JitErr err = { msg, sizeof msg, false };
    if (t && !build_cc(t, j->text, j->prefix, &j->cancel, &err)) {
        bpc_jit_free(t);
        t = NULL;
    }
    j->tier2 = t;
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void start_tier2(bpc_jit *j, const char *text, const char *P)
{
    j->text = strdup(text);
    j->prefix = strdup(P);
    pthread_mutex_init(&j->cancel.mu, NULL);
    if (j->text && j->prefix && pthread_create(&j->thread, NULL, tier2_main, j) == 0)
        j->tiering = true;
}

const bpc_entry *bpc_jit_upgrade(bpc_jit *j, int wait)
{
    if (!j)
        return NULL;
    if (!j->tiering || (!wait && !__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)))
        return &j->entry;
    pthread_join(j->thread, NULL);
    j->tiering = false;
    if (j->tier2)
        j->entry = j->tier2->entry;
    return &j->entry;
}

bpc_jit *bpc_jit_new(bpc_model *m, char *errbuf, size_t errlen)
{
    JitErr err = { errbuf, errbuf ? errlen : 0, false };
    if (err.len)
        errbuf[0] = 0;
    const char *h, *c;
    if (!emit_generate(m, BPC_GEMM_RUNTIME, &h, &c)) {
        fail(&err, m ? "jit: the model has errors" : "jit: no model (NULL)");
        return NULL;
    }
    size_t n = strlen(h) + strlen(c) + 2;
    char *text = malloc(n);
    bpc_jit *j = calloc(1, sizeof *j);
    bool ok = false;
    if (text && j) {
        snprintf(text, n, "%s\n%s", h, c);
        ok = m->opt.jit == BPC_JIT_CC ? build_cc(j, text, m->name, NULL, &err) : build_tcc(j, text, m->name, &err);
        if (ok && m->opt.jit == BPC_JIT_TIERED)
            start_tier2(j, text, m->name);
    }
    free(text);
    if (!ok) {
        bpc_jit_free(j);
        return NULL;
    }
    return j;
}

const bpc_entry *bpc_jit_entry(const bpc_jit *j) { return j ? &j->entry : NULL; }

void bpc_jit_free(bpc_jit *j)
{
    if (!j)
        return;
    if (j->tiering) {   /* the cc tier is no longer wanted: stop its compiler */
        cancel_run(&j->cancel);
        pthread_join(j->thread, NULL);
    }
    bpc_jit_free(j->tier2);
    free(j->text);
    free(j->prefix);
    if (j->s)
        tcc_delete(j->s);
    if (j->dl)
        dlclose(j->dl);
    free(j);
}
