/* classify: the trained digits model embedded in a C program — the generated
 * digits.c/.h, the params bpc train --save wrote, and nothing else (no bpc,
 * no Python). Classifies the test set through digits_predict.
 *   usage: classify CHECKPOINT_DIR X.npy [Y.npy]   (prints accuracy with Y) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "digits.h"

enum { D = 64, H = 64, C = 10, MAX_N = 100000 };

/* Read a little-endian float32 ('<f4') or int32 ('<i4') .npy of `count`
 * elements (count 0: any; its first axis returned in *rows) into a malloc'd
 * buffer; NULL with a message on any mismatch. */
static void *read_npy(const char *path, const char *descr, int64_t count, int64_t *rows)
{
    FILE *f = fopen(path, "rb");
    unsigned char pre[10];
    char header[4096];
    void *data = NULL;
    if (!f || fread(pre, 1, 10, f) != 10 || memcmp(pre, "\223NUMPY", 6) != 0) {
        fprintf(stderr, "classify: %s: not a .npy file\n", path);
        goto done;
    }
    size_t hlen = pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) {   /* version 2 and 3: a 4-byte header length */
        unsigned char more[2];
        if (fread(more, 1, 2, f) != 2)
            goto done;
        hlen |= (size_t)more[0] << 16 | (size_t)more[1] << 24;
    }
    if (hlen >= sizeof header || fread(header, 1, hlen, f) != hlen)
        goto done;
    header[hlen] = 0;
    const char *shape = strstr(header, "'shape': (");
    long long n = shape ? atoll(shape + 10) : -1;
    if (!strstr(header, descr) || strstr(header, "'fortran_order': True") || n < 1 || n > MAX_N) {
        fprintf(stderr, "classify: %s: expected %s data in C order\n", path, descr);
        goto done;
    }
    *rows = n;
    int64_t want = count ? count : n * (strcmp(descr, "<f4") == 0 ? D : 1);
    data = malloc((size_t)want * 4);
    if (data && fread(data, 4, (size_t)want, f) != (size_t)want) {
        fprintf(stderr, "classify: %s: shorter than its header says\n", path);
        free(data);
        data = NULL;
    }
done:
    if (f)
        fclose(f);
    return data;
}

static float *param(const char *dir, const char *name, int64_t count)
{
    char path[4096];
    int64_t rows;
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    return read_npy(path, "<f4", count, &rows);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: classify CHECKPOINT_DIR X.npy [Y.npy]\n");
        return 2;
    }
    int64_t n = 0, ny = 0;
    float *x = read_npy(argv[2], "<f4", 0, &n);
    int32_t *y = argc > 3 ? read_npy(argv[3], "<i4", 0, &ny) : NULL;
    float *scores = malloc(sizeof(float) * (size_t)(n ? n : 1) * C);
    /* inference needs the dims, the inputs the outputs read, the params and the outputs */
    digits_io io = { .N = n, .x = x, .W1 = param(argv[1], "W1", D * H), .b1 = param(argv[1], "b1", H),
                     .W2 = param(argv[1], "W2", H * C), .b2 = param(argv[1], "b2", C), .scores = scores };
    void *ws = malloc(digits_workspace_size(&io) + 1);
    int rc = x && ws && scores ? digits_predict(&io, ws) : BP_ENULL;
    if (rc != BP_OK) {
        fprintf(stderr, "classify: %s\n", digits_strerror(rc));
        return 1;
    }
    int64_t hits = 0;
    for (int64_t i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < C; c++)
            if (scores[i * C + c] > scores[i * C + best])
                best = c;
        if (i < 10)
            printf("%s%d", i ? " " : "first predictions: ", best);
        hits += y && ny == n && y[i] == best;
    }
    printf("\n");
    if (y && ny == n)
        printf("accuracy %.2f%% (%lld of %lld)\n", 100.0 * (double)hits / (double)n, (long long)hits, (long long)n);
    free(x), free(y), free(scores), free(ws);
    free((void *)io.W1), free((void *)io.b1), free((void *)io.W2), free((void *)io.b2);
    return 0;
}
