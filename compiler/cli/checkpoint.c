/* checkpoint: bpc train --save DIR, atomic as a set. Every param is written
 * into a fresh folder beside DIR (DIR.tmp.XXXXXX), each file and the folder
 * are fsync'ed, then the new folder takes DIR's place: with one
 * renameat2(RENAME_EXCHANGE) when DIR exists (then the old folder is removed),
 * with rename() when it does not. A reader of DIR sees the old set or the new
 * one, never a mix; a kill or a full disk leaves DIR as it was (and at worst a
 * DIR.tmp.* folder beside it, which the next save removes: saves into one
 * folder take turns under a lock on its parent, see lock_parent). DIR is bpc's: it may hold only .npy files
 * and manifest.json, else it is left alone and the save refused.
 * Test hook: BPC_TEST_SAVE_FAIL_AFTER=k makes the save fail (as a full disk
 * would) after k files; BPC_TEST_SAVE_KILL_AFTER=k kills the process there. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bp_runtime.h"
#include "checkpoint.h"

#define MANIFEST "manifest.json"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* fsync a file or folder by path; 0 on success. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Start writing path's data to disk without waiting (the fsyncs after every
 * file is written then overlap instead of queueing one after another). */
static void start_writeback(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    close(fd);
}

/* Remove a folder bpc wrote (files only, one level). */
static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    char path[PATH_MAX + 256];
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* An existing DIR may hold only .npy files (and temporaries of earlier
 * saves); quiet: no message, just the answer. */
static int check_folder(const char *dir, bool quiet)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (!quiet)
            fprintf(stderr, "bpc: --save %s: not a folder bpc can replace: %s\n", dir, strerror(errno));
        return EXIT_MODEL;
    }
    int rc = EXIT_OK;
    for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || ends_with(e->d_name, ".npy") ||
            strcmp(e->d_name, MANIFEST) == 0 ||
            strstr(e->d_name, ".npy.tmp."))
            continue;
        if (!quiet)
            fprintf(stderr, "bpc: --save %s: the folder holds '%s', which is not a .npy file; not replacing it\n", dir,
                    e->d_name);
        rc = EXIT_MODEL;
    }
    closedir(d);
    return rc;
}

static int check_existing(const char *dir) { return check_folder(dir, false); }

/* dir's parent folder into buf ("." for a bare name); the base name returned. */
static const char *split_parent(const char *dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s", dir);
    char *slash = strrchr(buf, '/');
    if (!slash) {
        snprintf(buf, len, ".");
        return dir;
    }
    if (slash == buf)
        slash[1] = 0;
    else
        *slash = 0;
    return strrchr(dir, '/') + 1;
}

/* Saves into the same folder take turns: an exclusive flock on the parent
 * folder (released by the kernel when the process dies, even by SIGKILL), so
 * a DIR.tmp.* folder seen while holding it belongs to a save that died.
 * Returns the descriptor to close, or -1 (then no lock, no cleaning). */
static int lock_parent(const char *dir)
{
    char parent[PATH_MAX];
    split_parent(dir, parent, sizeof parent);
    int fd = open(parent, O_RDONLY | O_DIRECTORY);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Remove what killed saves left beside dir: folders DIR.tmp.XXXXXX (mkdtemp's
 * six characters) and DIR.old.XXXXXX holding only what a save writes. Only
 * under lock_parent. */
static void remove_stale(const char *dir)
{
    char parent[PATH_MAX], path[PATH_MAX + 256];
    const char *base = split_parent(dir, parent, sizeof parent);
    size_t n = strlen(base);
    DIR *d = opendir(parent);
    for (struct dirent *e; d && (e = readdir(d));) {
        const char *s = e->d_name;
        struct stat st;
        if (strncmp(s, base, n) != 0 || (strncmp(s + n, ".tmp.", 5) != 0 && strncmp(s + n, ".old.", 5) != 0) ||
            strlen(s + n + 5) != 6)
            continue;
        snprintf(path, sizeof path, "%s/%s", parent, s);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && check_folder(path, true) == EXIT_OK)
            remove_folder(path);
    }
    if (d)
        closedir(d);
}

static int hook(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : -1;
}

/* A tensor a checkpoint holds: every param and batchnorm's running averages
 * (what inference needs); with state, the optimizer's too. */
static bool saved(const HostTensor *t, bool state)
{
    return t->data && (t->info->role == BP_PARAM || host_is_running(t->info) || (state && t->info->role == BP_STATE));
}

static int64_t io_step(const Host *h)
{
    for (int i = 0; i < h->n; i++)
        if (h->t[i].info->role == BP_STATE && !h->t[i].data && strcmp(h->t[i].info->name, "step") == 0)
            return *(const int64_t *)(h->io + h->t[i].info->offset);
    return 0;
}

/* manifest.json: what the folder holds, one key per line. */
static int write_manifest(const Host *h, const char *tmp, const CkptMeta *m)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/" MANIFEST, tmp);
    FILE *f = fopen(path, "w");
    if (!f)
        return fprintf(stderr, "bpc: %s: %s\n", path, strerror(errno)), EXIT_MODEL;
    fprintf(f, "{\n  \"format\": \"bpc-checkpoint\",\n  \"version\": 1,\n  \"bpc\": \"%s\",\n", bpc_version());
    fprintf(f, "  \"model\": \"%s\",\n  \"epoch\": %d,\n  \"step\": %lld,\n", m->model ? m->model : "",
            m->epoch, (long long)io_step(h));
    fprintf(f, "  \"rng\": [\"%016llx\", \"%016llx\", \"%016llx\", \"%016llx\"],\n  \"tensors\": [",
            (unsigned long long)m->rng[0], (unsigned long long)m->rng[1], (unsigned long long)m->rng[2],
            (unsigned long long)m->rng[3]);
    for (int i = 0, k = 0; i < h->n; i++)
        if (saved(&h->t[i], true))
            fprintf(f, "%s\"%s\"", k++ ? ", " : "", h->t[i].info->name);
    fprintf(f, "]\n}\n");
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
        fprintf(stderr, "bpc: %s: cannot write: %s\n", path, strerror(errno));
        fclose(f);
        return EXIT_MODEL;
    }
    return fclose(f) == 0 ? EXIT_OK : EXIT_MODEL;
}

/* Write every tensor of h the checkpoint holds into the fresh folder tmp and
 * sync it: every file written (its writeback started) first, then every
 * fsync — one fsync after each write made each save wait for the disk once
 * per file in turn. */
static int write_set(const Host *h, const char *tmp, const CkptMeta *meta)
{
    int fail_after = hook("BPC_TEST_SAVE_FAIL_AFTER"), kill_after = hook("BPC_TEST_SAVE_KILL_AFTER"), written = 0;
    char path[PATH_MAX + 256];
    for (int i = 0; i < h->n; i++) {
        const HostTensor *t = &h->t[i];
        if (!saved(t, meta != NULL))
            continue;
        if (written == kill_after)
            raise(SIGKILL);
        if (written == fail_after) {
            fprintf(stderr, "bpc: %s/%s.npy: cannot write: %s (test hook)\n", tmp, t->info->name, strerror(ENOSPC));
            return EXIT_MODEL;
        }
        if (session_save(h, t, tmp) != EXIT_OK)
            return EXIT_MODEL;
        snprintf(path, sizeof path, "%s/%s.npy", tmp, t->info->name);
        start_writeback(path);
        written++;
    }
    for (int i = 0; i < h->n; i++) {
        if (!saved(&h->t[i], meta != NULL))
            continue;
        snprintf(path, sizeof path, "%s/%s.npy", tmp, h->t[i].info->name);
        if (sync_path(path) != 0) {
            fprintf(stderr, "bpc: %s: cannot sync: %s\n", path, strerror(errno));
            return EXIT_MODEL;
        }
    }
    if (meta && write_manifest(h, tmp, meta) != EXIT_OK)
        return EXIT_MODEL;
    if (sync_path(tmp) != 0) {
        fprintf(stderr, "bpc: %s: cannot sync: %s\n", tmp, strerror(errno));
        return EXIT_MODEL;
    }
    return EXIT_OK;
}

/* Put the folder tmp in dir's place; when dir existed, its old content ends
 * up under the name tmp, for the caller to remove. 0 on success. */
static int swap_in(const char *tmp, const char *dir, bool exists)
{
    if (!exists)
        return rename(tmp, dir);
#ifdef SYS_renameat2
    if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, dir, 1 /* RENAME_EXCHANGE */) == 0)
        return 0;
#endif
    /* no exchange on this file system: move the old set aside first (a reader
     * meanwhile finds no DIR, never a mix) */
    size_t n = strlen(dir) + 16;
    char *aside = malloc(n);
    if (!aside)
        return -1;
    snprintf(aside, n, "%s.old.XXXXXX", dir);
    int rc = mkdtemp(aside) && rmdir(aside) == 0 && rename(dir, aside) == 0 ? 0 : -1;
    if (rc == 0 && rename(tmp, dir) != 0) {
        rename(aside, dir);
        rc = -1;
    }
    if (rc == 0 && rename(aside, tmp) != 0)   /* so the caller removes it as tmp */
        remove_folder(aside);
    free(aside);
    return rc;
}

/* The folder that holds path (for the final fsync). */
static void sync_parent(const char *path)
{
    char buf[PATH_MAX];
    split_parent(path, buf, sizeof buf);
    sync_path(buf);
}

/* The new set into dir (dir_arg resolved) under dir's parent's lock. */
static int save_locked(const Host *h, const char *dir_arg, const char *dir, bool exists, const CkptMeta *meta)
{
    if (exists && check_existing(dir) != EXIT_OK)
        return EXIT_MODEL;
    remove_stale(dir);
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "bpc: --save %s: cannot create a folder beside it: %s\n", dir_arg, strerror(errno));
        return EXIT_MODEL;
    }
    chmod(tmp, 0777 & ~bp_umask());   /* a normal folder, not mkdtemp's 0700 */
    int rc = write_set(h, tmp, meta);
    if (rc == EXIT_OK && swap_in(tmp, dir, exists) != 0) {
        fprintf(stderr, "bpc: --save %s: cannot put the new checkpoint in place: %s\n", dir_arg, strerror(errno));
        rc = EXIT_MODEL;
    }
    if (rc == EXIT_OK)
        sync_parent(dir);
    if (rc != EXIT_OK || exists)
        remove_folder(tmp);   /* the failed new set, or the old set after the exchange */
    return rc;
}

int checkpoint_save(const Host *h, const char *dir_arg, const CkptMeta *meta)
{
    char dir[PATH_MAX];
    struct stat st;
    bool exists = lstat(dir_arg, &st) == 0;
    /* a symlink to a folder: replace the folder it points to, keep the link */
    if (exists && S_ISLNK(st.st_mode) && !realpath(dir_arg, dir)) {
        fprintf(stderr, "bpc: --save %s: %s\n", dir_arg, strerror(errno));
        return EXIT_MODEL;
    }
    if (!(exists && S_ISLNK(st.st_mode)))
        snprintf(dir, sizeof dir, "%s", dir_arg);
    while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
        dir[strlen(dir) - 1] = 0;
    int lock = lock_parent(dir);
    int rc = save_locked(h, dir_arg, dir, exists, meta);
    if (lock >= 0)
        close(lock);
    return rc;
}

/* Tensor t from DIR/NAME.npy: the same shape, any float type for a float tensor. */
static int load_tensor(Host *h, HostTensor *t, const char *dir, const char *opt)
{
    char path[PATH_MAX + 256], err[512];
    snprintf(path, sizeof path, "%s/%s.npy", dir, t->info->name);
    bp_array a;
    if (bp_npy_read(path, &a, err, sizeof err) != 0) {
        fprintf(stderr, "bpc: %s %s: %s\n", opt, dir, err);
        return EXIT_MODEL;
    }
    bool ok = a.rank == t->info->rank && (a.dtype == BP_F32 || a.dtype == BP_F64);
    for (int k = 0; ok && k < a.rank; k++)
        ok = a.dims[k] == host_extent(h, t->info, k);
    if (!ok) {
        fprintf(stderr, "bpc: %s: expected float data of shape [", path);
        for (int k = 0; k < t->info->rank; k++)
            fprintf(stderr, "%s%lld", k ? ", " : "", (long long)host_extent(h, t->info, k));
        fprintf(stderr, "] for '%s' (a checkpoint of another model?)\n", t->info->name);
    } else {
        HostTensor src = { &(bp_tensor_info){ .dtype = a.dtype }, t->numel, bp_dtype_size(a.dtype), a.data };
        for (int64_t i = 0; i < t->numel; i++)
            host_set(t, i, host_get(&src, i));
    }
    bp_array_free(&a);
    return ok ? EXIT_OK : EXIT_MODEL;
}

/* The number after "key": in a manifest; false when absent. */
static bool manifest_int(const char *text, const char *key, long long *v)
{
    const char *p = strstr(text, key);
    return p && sscanf(p + strlen(key), " : %lld", v) == 1;
}

static int read_manifest(const char *dir, CkptMeta *meta, int64_t *step, const char *opt)
{
    char path[PATH_MAX + 256], text[4096] = { 0 };
    snprintf(path, sizeof path, "%s/" MANIFEST, dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    long long epoch, st;
    unsigned long long r[4];
    const char *rng = strstr(text, "\"rng\"");
    bool ok = n > 0 && manifest_int(text, "\"epoch\"", &epoch) && manifest_int(text, "\"step\"", &st) && rng &&
              sscanf(rng, "\"rng\" : [ \"%llx\" , \"%llx\" , \"%llx\" , \"%llx\" ]", &r[0], &r[1], &r[2], &r[3]) == 4 &&
              epoch >= 0 && epoch <= 1000000 && st >= 0;
    if (!ok) {
        fprintf(stderr, "bpc: %s %s: no readable %s (a checkpoint saved by bpc train --save has one)\n", opt, dir,
                MANIFEST);
        return EXIT_MODEL;
    }
    meta->epoch = (int)epoch;
    *step = st;
    for (int k = 0; k < 4; k++)
        meta->rng[k] = r[k];
    return EXIT_OK;
}

int checkpoint_load(Host *h, const char *dir, CkptMeta *meta, const char *opt)
{
    int64_t step = 0;
    if (meta && read_manifest(dir, meta, &step, opt) != EXIT_OK)
        return EXIT_MODEL;
    for (int i = 0; i < h->n; i++) {
        HostTensor *t = &h->t[i];
        if (saved(t, meta != NULL) && load_tensor(h, t, dir, opt) != EXIT_OK)
            return EXIT_MODEL;
        if (meta && t->info->role == BP_STATE && !t->data && strcmp(t->info->name, "step") == 0)
            *(int64_t *)(h->io + t->info->offset) = step;
    }
    return EXIT_OK;
}
