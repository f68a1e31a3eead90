/* checkpoint: bpc train --save DIR, atomic as a set. Every param is written
 * into a fresh folder beside DIR (DIR.tmp.XXXXXX), each file and the folder
 * are fsync'ed, then the new folder takes DIR's place: with one
 * renameat2(RENAME_EXCHANGE) when DIR exists (then the old folder is removed),
 * with rename() when it does not. A reader of DIR sees the old set or the new
 * one, never a mix; a kill or a full disk leaves DIR as it was (and at worst a
 * DIR.tmp.* folder beside it). DIR is bpc's: it may hold only .npy files,
 * else it is left alone and the save refused.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "checkpoint.h"

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

/* An existing DIR may hold only .npy files (and temporaries of earlier saves). */
static int check_existing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bpc: --save %s: not a folder bpc can replace: %s\n", dir, strerror(errno));
        return EXIT_MODEL;
    }
    int rc = EXIT_OK;
    for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || ends_with(e->d_name, ".npy") ||
            strstr(e->d_name, ".npy.tmp."))
            continue;
        fprintf(stderr, "bpc: --save %s: the folder holds '%s', which is not a .npy file; not replacing it\n", dir,
                e->d_name);
        rc = EXIT_MODEL;
    }
    closedir(d);
    return rc;
}

static int hook(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : -1;
}

/* Write every param of h into the fresh folder tmp and sync it. */
static int write_set(const Host *h, const char *tmp)
{
    int fail_after = hook("BPC_TEST_SAVE_FAIL_AFTER"), kill_after = hook("BPC_TEST_SAVE_KILL_AFTER"), written = 0;
    for (int i = 0; i < h->n; i++) {
        const HostTensor *t = &h->t[i];
        if (t->info->role != BP_PARAM)
            continue;
        if (written == kill_after)
            raise(SIGKILL);
        if (written == fail_after) {
            fprintf(stderr, "bpc: %s/%s.npy: cannot write: %s (test hook)\n", tmp, t->info->name, strerror(ENOSPC));
            return EXIT_MODEL;
        }
        if (session_save(h, t, tmp) != EXIT_OK)
            return EXIT_MODEL;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s.npy", tmp, t->info->name);
        if (sync_path(path) != 0) {
            fprintf(stderr, "bpc: %s: cannot sync: %s\n", path, strerror(errno));
            return EXIT_MODEL;
        }
        written++;
    }
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
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash == buf)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(buf, sizeof buf, ".");
    sync_path(buf);
}

int checkpoint_save(const Host *h, const char *dir_arg)
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
    if (exists && check_existing(dir) != EXIT_OK)
        return EXIT_MODEL;
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "bpc: --save %s: cannot create a folder beside it: %s\n", dir_arg, strerror(errno));
        return EXIT_MODEL;
    }
    chmod(tmp, 0777 & ~cli_umask());   /* a normal folder, not mkdtemp's 0700 */
    int rc = write_set(h, tmp);
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
