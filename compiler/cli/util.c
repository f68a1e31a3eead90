/* util: reading sources, atomic writes, compiling with diagnostics printed. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* Write text to a new temporary file beside path; its name in *tmp (malloc'd). */
static int write_temp(const char *path, const char *text, size_t len, char **tmp)
{
    size_t n = strlen(path);
    *tmp = malloc(n + 16);
    if (!*tmp)
        return -1;
    memcpy(*tmp, path, n);
    memcpy(*tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        fprintf(stderr, "bpc: cannot write '%s': %s\n", path, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return -1;
    }
    FILE *f = fdopen(fd, "wb");
    bool ok = f && fwrite(text, 1, len, f) == len;
    ok = (f ? fclose(f) == 0 : (close(fd), false)) && ok;
    if (!ok) {
        fprintf(stderr, "bpc: cannot write '%s': %s\n", path, strerror(errno));
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
        return -1;
    }
    return 0;
}

int cli_write_files(int n, const char *const *paths, const char *const *texts)
{
    char *tmp[4] = { 0 };
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = write_temp(paths[i], texts[i], strlen(texts[i]), &tmp[i]);
    for (int i = 0; i < n && rc == 0; i++)
        if (rename(tmp[i], paths[i]) != 0) {
            fprintf(stderr, "bpc: cannot write '%s': %s\n", paths[i], strerror(errno));
            rc = -1;
        }
    for (int i = 0; i < n; i++) {
        if (tmp[i] && rc != 0)
            unlink(tmp[i]);
        free(tmp[i]);
    }
    return rc;
}

int cli_write_atomic(const char *path, const char *text, size_t len)
{
    char *tmp;
    if (write_temp(path, text, len, &tmp) != 0)
        return -1;
    int rc = rename(tmp, path) == 0 ? 0 : -1;
    if (rc != 0) {
        fprintf(stderr, "bpc: cannot write '%s': %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}
