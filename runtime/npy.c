/* npy: NumPy .npy files (format 1.0, 2.0, 3.0; little-endian float32/64,
 * int32/64; C order), read with every size checked against the file before
 * anything is allocated, and written atomically (temporary file + rename). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bp_runtime.h"

static const char *const descr[] = { "<f4", "<f8", "<i4", "<i8" };

size_t bp_dtype_size(int dtype) { return dtype == BP_F32 || dtype == BP_I32 ? 4 : 8; }

int64_t bp_array_count(const bp_array *a)
{
    int64_t n = 1;
    for (int i = 0; i < a->rank; i++)
        n *= a->dims[i];
    return n;
}

void bp_array_free(bp_array *a)
{
    free(a->data);
    a->data = NULL;
}

static int fail(char *err, size_t len, const char *path, const char *msg)
{
    snprintf(err, len, "%s: %s", path, msg);
    return -1;
}

/* The value of 'key' in the header dict: a pointer just past "'key':" and spaces. */
static const char *dict_value(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p++ != ':')
        return NULL;
    while (*p == ' ')
        p++;
    return p;
}

/* '<f4' and friends; '=' (native order) is little-endian on the machines we build for. */
static int parse_dtype(const char *v, int *dtype)
{
    for (int i = 0; i < 4; i++)
        if (v[0] == '\'' && (v[1] == '<' || v[1] == '=') && strncmp(v + 2, descr[i] + 1, 2) == 0 && v[4] == '\'') {
            *dtype = i;
            return 0;
        }
    return -1;
}

/* (3, 4) or (7,) or () */
static int parse_shape(const char *v, bp_array *a)
{
    if (*v++ != '(')
        return -1;
    a->rank = 0;
    for (;;) {
        while (*v == ' ')
            v++;
        if (*v == ')')
            return 0;
        if (a->rank == 8 || *v < '0' || *v > '9')
            return -1;
        char *end;
        errno = 0;
        long long d = strtoll(v, &end, 10);
        if (errno || d < 0 || d > ((int64_t)1 << 40))
            return -1;
        a->dims[a->rank++] = d;
        v = end;
        while (*v == ' ')
            v++;
        if (*v == ',')
            v++;
        else if (*v != ')')
            return -1;
    }
}

static int read_header(FILE *f, const char *path, bp_array *a, long *data_off, char *err, size_t len)
{
    unsigned char pre[10];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return fail(err, len, path, "not a .npy file (bad magic)");
    int major = pre[6];
    size_t hlen;
    if (major == 1) {
        if (fread(pre + 8, 1, 2, f) != 2)
            return fail(err, len, path, "truncated header");
        hlen = pre[8] | (size_t)pre[9] << 8;
        *data_off = 10;
    } else if (major == 2 || major == 3) {
        unsigned char l4[4];
        if (fread(l4, 1, 4, f) != 4)
            return fail(err, len, path, "truncated header");
        hlen = l4[0] | (size_t)l4[1] << 8 | (size_t)l4[2] << 16 | (size_t)l4[3] << 24;
        *data_off = 12;
    } else {
        return fail(err, len, path, "unsupported .npy format version");
    }
    if (hlen > 1 << 20)
        return fail(err, len, path, "header too long");
    char *h = malloc(hlen + 1);
    if (!h || fread(h, 1, hlen, f) != hlen) {
        free(h);
        return fail(err, len, path, "truncated header");
    }
    h[hlen] = 0;
    *data_off += (long)hlen;
    const char *d = dict_value(h, "descr"), *o = dict_value(h, "fortran_order"), *s = dict_value(h, "shape");
    int rc = 0;
    if (!d || !o || !s)
        rc = fail(err, len, path, "malformed header (expected descr, fortran_order and shape)");
    else if (d[0] == '\'' && d[1] == '>')
        rc = fail(err, len, path, "big-endian data is not supported");
    else if (parse_dtype(d, &a->dtype) != 0)
        rc = fail(err, len, path, "unsupported dtype (expected float32, float64, int32 or int64)");
    else if (strncmp(o, "False", 5) != 0)
        rc = fail(err, len, path, "Fortran-order arrays are not supported (save with C order)");
    else if (parse_shape(s, a) != 0)
        rc = fail(err, len, path, "malformed shape");
    free(h);
    return rc;
}

int bp_npy_read(const char *path, bp_array *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    long off;
    struct stat st;
    int rc = read_header(f, path, out, &off, err, len);
    double bytes = (double)bp_dtype_size(out->dtype);
    for (int i = 0; rc == 0 && i < out->rank; i++)
        bytes *= (double)out->dims[i];
    if (rc == 0 && (fstat(fileno(f), &st) != 0 || bytes > (double)(st.st_size - off)))
        rc = fail(err, len, path, "the data is shorter than the shape needs");
    if (rc == 0) {
        size_t n = (size_t)bytes;
        out->data = malloc(n ? n : 1);
        if (!out->data || fread(out->data, 1, n, f) != n)
            rc = fail(err, len, path, "cannot read the data");
    }
    fclose(f);
    if (rc != 0)
        bp_array_free(out);
    return rc;
}

int bp_npy_write(const char *path, const bp_array *a, char *err, size_t len)
{
    char shape[256] = "(";
    for (int i = 0; i < a->rank; i++)
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%lld%s", (long long)a->dims[i],
                 a->rank == 1 ? "," : i + 1 < a->rank ? ", " : "");
    char h[512];
    int n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': %s), }", descr[a->dtype], shape);
    int total = (10 + n + 1 + 63) / 64 * 64;   /* magic + header, padded to 64, ending in '\n' */
    memset(h + n, ' ', (size_t)(total - 10 - n));
    h[total - 10 - 1] = '\n';
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return fail(err, len, path, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((total - 10) & 0xff),
                              (unsigned char)((total - 10) >> 8) };
    size_t bytes = (size_t)bp_array_count(a) * bp_dtype_size(a->dtype);
    bool ok = f && fwrite(pre, 1, 10, f) == 10 && fwrite(h, 1, (size_t)(total - 10), f) == (size_t)(total - 10) &&
              fwrite(a->data, 1, bytes, f) == bytes;
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}
