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

/* The header dict, parsed strictly: exactly the keys descr, fortran_order and
 * shape, each once, in any order, an optional trailing comma, then only
 * spaces and the final '\n'. Anything else is an error (*why says what). */
typedef struct Hdr {
    const char *p;
    const char *why;
    bool seen[3];
} Hdr;

static void skip_ws(Hdr *h)
{
    while (*h->p == ' ' || *h->p == '\t')
        h->p++;
}

/* A quoted Python string literal (no escapes): its text into buf. */
static bool str_lit(Hdr *h, char *buf, size_t len)
{
    char q = *h->p;
    if (q != '\'' && q != '"')
        return false;
    const char *e = strchr(h->p + 1, q);
    if (!e || (size_t)(e - h->p - 1) >= len || memchr(h->p + 1, '\\', (size_t)(e - h->p - 1)))
        return false;
    memcpy(buf, h->p + 1, (size_t)(e - h->p - 1));
    buf[e - h->p - 1] = 0;
    h->p = e + 1;
    return true;
}

/* '<f4' and friends; '=' (native order) and '|' are little-endian here. */
static int parse_dtype(Hdr *h, bp_array *a)
{
    char d[16];
    if (!str_lit(h, d, sizeof d))
        return h->why = "malformed header: descr is not a string", -1;
    if (d[0] == '>')
        return h->why = "big-endian data is not supported (save with '<' byte order)", -1;
    for (int i = 0; i < 4; i++)
        if ((d[0] == '<' || d[0] == '=') && strcmp(d + 1, descr[i] + 1) == 0) {
            a->dtype = i;
            return 0;
        }
    return h->why = "unsupported dtype (expected float32, float64, int32 or int64: '<f4', '<f8', '<i4', '<i8')", -1;
}

static int parse_order(Hdr *h)
{
    if (strncmp(h->p, "False", 5) == 0 && !(h->p[5] >= 'A' && h->p[5] <= 'z')) {
        h->p += 5;
        return 0;
    }
    if (strncmp(h->p, "True", 4) == 0 && !(h->p[4] >= 'A' && h->p[4] <= 'z'))
        return h->why = "Fortran-order arrays are not supported (save with C order)", -1;
    return h->why = "malformed header: fortran_order is neither True nor False", -1;
}

/* (3, 4) or (7,) or () */
static int parse_shape(Hdr *h, bp_array *a)
{
    const char *v = h->p;
    h->why = "malformed shape";
    if (*v++ != '(')
        return -1;
    a->rank = 0;   /* every dimension is followed by ',' or ')'; (7,) needs its comma */
    for (;;) {
        while (*v == ' ')
            v++;
        if (*v == ')')
            break;
        if (a->rank == 8)
            return h->why = "more than 8 dimensions", -1;
        if (*v < '0' || *v > '9')
            return -1;
        char *end;
        errno = 0;
        long long d = strtoll(v, &end, 10);
        if (errno || d < 0 || d > ((int64_t)1 << 40))
            return h->why = "a dimension in the shape is out of range", -1;
        a->dims[a->rank++] = d;
        v = end;
        if (*v == 'L')   /* Python 2 long literal */
            v++;
        while (*v == ' ')
            v++;
        if (*v == ',')
            v++;
        else if (*v != ')' || a->rank == 1)   /* (7) is not a tuple: (7,) is */
            return -1;
    }
    h->p = v + 1;
    return 0;
}

static int parse_entry(Hdr *h, bp_array *a)
{
    static const char *const keys[3] = { "descr", "fortran_order", "shape" };
    char key[32];
    if (!str_lit(h, key, sizeof key))
        return h->why = "malformed header: expected a quoted key", -1;
    int k = 0;
    while (k < 3 && strcmp(key, keys[k]) != 0)
        k++;
    if (k == 3)
        return h->why = "malformed header: unexpected key (expected descr, fortran_order and shape)", -1;
    if (h->seen[k])
        return h->why = "malformed header: a key appears twice", -1;
    h->seen[k] = true;
    skip_ws(h);
    if (*h->p++ != ':')
        return h->why = "malformed header: expected ':' after a key", -1;
    skip_ws(h);
    return k == 0 ? parse_dtype(h, a) : k == 1 ? parse_order(h) : parse_shape(h, a);
}

static int parse_dict(const char *text, bp_array *a, const char **why)
{
    Hdr h = { text, "malformed header", { false } };
    skip_ws(&h);
    int rc = *h.p++ == '{' ? 0 : -1;
    for (skip_ws(&h); rc == 0 && *h.p != '}';) {
        if ((rc = parse_entry(&h, a)) != 0)
            break;
        skip_ws(&h);
        if (*h.p == ',')
            h.p++, skip_ws(&h);
        else if (*h.p != '}')
            rc = -1, h.why = "malformed header: expected ',' or '}' after a value";
    }
    if (rc == 0 && !(h.seen[0] && h.seen[1] && h.seen[2]))
        rc = -1, h.why = "malformed header: missing key (expected descr, fortran_order and shape)";
    if (rc == 0) {
        h.p++;
        skip_ws(&h);
        if (*h.p == '\n')
            h.p++;
        if (*h.p)
            rc = -1, h.why = "malformed header: text after the dict";
    }
    *why = h.why;
    return rc;
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
    const char *why = NULL;
    int rc = strlen(h) != hlen ? fail(err, len, path, "malformed header: a NUL byte in the header")
           : parse_dict(h, a, &why) != 0 ? fail(err, len, path, why) : 0;
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
    else if (rc == 0 && S_ISREG(st.st_mode) && bytes < (double)(st.st_size - off))
        rc = fail(err, len, path, "trailing bytes after the data (the file is longer than the shape needs)");
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

/* The process's umask, read without changing it where /proc allows (other
 * threads may be creating files); else by setting and restoring it. */
unsigned bp_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned mask;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Umask: %o", &mask) == 1) {
            fclose(f);
            return mask;
        }
    if (f)
        fclose(f);
    mode_t m = umask(0);
    umask(m);
    return (unsigned)m;
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
    if (fd >= 0)
        fchmod(fd, 0666 & ~bp_umask());   /* a normal new file, not mkstemp's 0600 */
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
