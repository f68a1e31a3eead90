/* output: the files bpc writes with -o and --header, as a careful Unix tool.
 *  - A regular file (new or existing) is replaced atomically: a temporary
 *    file beside it, then rename. A new file gets 0666 & ~umask; an existing
 *    one keeps its mode.
 *  - A symlink is written through: its target is replaced (atomically, as
 *    above) and the link stays. A dangling link is an error.
 *  - A character device or a FIFO (/dev/null, /dev/stdout, a pipe) is
 *    written directly; anything else that is not a regular file (a folder, a
 *    block device, a socket) is refused.
 *  - An output that is the model itself, or the same file as another output
 *    (by path or by st_dev/st_ino), is refused before anything is compiled. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bp_runtime.h"
#include "cli.h"

/* The canonical name of path, which may not exist yet: realpath of its
 * folder plus its last component. NULL when the folder does not resolve. */
static char *canonical(const char *path)
{
    char *full = realpath(path, NULL);
    if (full)
        return full;
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? (slash == path ? "/" : path) : ".");
    char *rd = realpath(dir, NULL);
    if (!rd)
        return NULL;
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(rd) + strlen(base) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", rd, base);
    free(rd);
    return out;
}

/* Whether a and b name the same file: the same inode when both exist, else
 * the same canonical name. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb)
        return false;
    char *ca = canonical(a), *cb = canonical(b);
    bool same = ca && cb ? strcmp(ca, cb) == 0 : strcmp(a, b) == 0;
    free(ca);
    free(cb);
    return same;
}

int cli_check_outputs(const char *model, int n, const char *const *paths, const char *const *opts)
{
    for (int i = 0; i < n; i++) {
        if (model && same_file(paths[i], model)) {
            fprintf(stderr, "bpc: %s %s is the model itself; refusing to overwrite it\n", opts[i], paths[i]);
            return EXIT_USAGE;
        }
        struct stat st;
        bool device = stat(paths[i], &st) == 0 && S_ISCHR(st.st_mode);   /* -o /dev/null --header /dev/null */
        for (int k = 0; k < i && !device; k++)
            if (same_file(paths[i], paths[k])) {
                fprintf(stderr, "bpc: %s %s and %s %s are the same file\n", opts[k], paths[k], opts[i], paths[i]);
                return EXIT_USAGE;
            }
    }
    return EXIT_OK;
}

typedef struct Out {
    const char *path;   /* as given, for messages                       */
    char *dest;         /* the file to replace (a link's target), malloc'd */
    char *tmp;          /* the temporary beside it, or NULL for direct   */
    int fd;             /* open for writing, or -1                       */
} Out;

static void out_error(const Out *o, const char *what)
{
    fprintf(stderr, "bpc: cannot write '%s': %s\n", o->path, what);
}

/* Decide how to write o->path and open it: 0, or -1 after a message. */
static int out_open(Out *o)
{
    struct stat st;
    o->fd = -1;
    if (stat(o->path, &st) != 0) {
        struct stat lst;
        if (errno != ENOENT || lstat(o->path, &lst) == 0) {   /* a dangling link, a bad folder */
            out_error(o, errno == ENOENT ? "a symlink to nothing" : strerror(errno));
            return -1;
        }
    } else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        o->fd = open(o->path, O_WRONLY | O_NOCTTY);
        if (o->fd < 0)
            out_error(o, strerror(errno));
        return o->fd < 0 ? -1 : 0;
    } else if (!S_ISREG(st.st_mode)) {
        out_error(o, "not a regular file (a folder, a block device or a socket)");
        return -1;
    }
    bool exists = stat(o->path, &st) == 0;
    o->dest = exists ? realpath(o->path, NULL) : strdup(o->path);
    size_t n = o->dest ? strlen(o->dest) + 16 : 0;
    o->tmp = o->dest ? malloc(n) : NULL;
    if (!o->tmp) {
        out_error(o, strerror(errno));
        return -1;
    }
    snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->dest);
    o->fd = mkstemp(o->tmp);
    if (o->fd < 0) {
        out_error(o, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    fchmod(o->fd, exists ? (st.st_mode & 07777) : (0666 & ~bp_umask()));
    return 0;
}

static int out_write(Out *o, const char *text, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t w = write(o->fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            out_error(o, strerror(w < 0 ? errno : EIO));
            return -1;
        }
        done += (size_t)w;
    }
    if (o->tmp && fsync(o->fd) != 0 && errno != EINVAL) {
        out_error(o, strerror(errno));
        return -1;
    }
    int rc = close(o->fd);
    o->fd = -1;
    if (rc != 0)
        out_error(o, strerror(errno));
    return rc;
}

/* Put the temporary in place (nothing to do for a direct write). */
static int out_commit(Out *o)
{
    if (!o->tmp)
        return 0;
    if (rename(o->tmp, o->dest) != 0) {
        out_error(o, strerror(errno));
        return -1;
    }
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

static void out_close(Out *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->dest);
}

int cli_write_files(int n, const char *const *paths, const char *const *texts)
{
    Out out[4] = { 0 };
    int rc = 0;
    for (int i = 0; i < n; i++)
        out[i] = (Out){ .path = paths[i], .fd = -1 };
    for (int i = 0; i < n && rc == 0; i++)
        rc = out_open(&out[i]) == 0 && out_write(&out[i], texts[i], strlen(texts[i])) == 0 ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++)
        rc = out_commit(&out[i]);
    for (int i = 0; i < n; i++)
        out_close(&out[i]);
    return rc;
}

int cli_write_atomic(const char *path, const char *text, size_t len)
{
    Out o = { .path = path, .fd = -1 };
    int rc = out_open(&o) == 0 && out_write(&o, text, len) == 0 && out_commit(&o) == 0 ? 0 : -1;
    out_close(&o);
    return rc;
}
