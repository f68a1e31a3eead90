/* sample: text from the trained character model, in plain C — the generated
 * charlm.c/.h and the params `bpc train --save` wrote; nothing else. The
 * params are found through the model's reflection table (charlm_tensors), so
 * this loader knows no param by name.
 *   usage: sample CHECKPOINT_DIR [COUNT [SEED [PROMPT]]]
 * Starting from PROMPT (default: the opening of the GPL), it feeds the last T
 * characters to charlm_predict, samples the next character from the softmax
 * of the last position's logits at temperature 0.8, and repeats COUNT times. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "charlm.h"

enum { T = 32, V = 96 };

/* A little-endian float32 .npy of exactly `count` elements into dst; 0 on success. */
static int read_f32(const char *path, float *dst, int64_t count)
{
    FILE *f = fopen(path, "rb");
    unsigned char pre[10];
    char header[4096];
    int rc = 1;
    if (!f || fread(pre, 1, 10, f) != 10 || memcmp(pre, "\223NUMPY", 6) != 0 || pre[6] != 1)
        goto done;
    size_t hlen = pre[8] | (size_t)pre[9] << 8;
    if (hlen >= sizeof header || fread(header, 1, hlen, f) != hlen)
        goto done;
    header[hlen] = 0;
    if (!strstr(header, "'<f4'") || strstr(header, "'fortran_order': True"))
        goto done;
    rc = fread(dst, sizeof *dst, (size_t)count, f) == (size_t)count && fgetc(f) == EOF ? 0 : 1;
done:
    if (rc)
        fprintf(stderr, "sample: %s: expected float32 data of %lld elements in C order\n", path, (long long)count);
    if (f)
        fclose(f);
    return rc;
}

/* Whether inference reads tensor t: a param, or state that belongs to no param
 * (batchnorm's running averages; the optimizer's moments and step do not). */
static int predict_reads(const bp_tensor_info *t)
{
    if (t->role == BP_PARAM)
        return 1;
    if (t->role != BP_STATE || t->dtype != BP_F32)
        return 0;
    for (int i = 0; i < charlm_num_tensors; i++)
        if (charlm_tensors[i].role == BP_PARAM && t->of && strcmp(charlm_tensors[i].name, t->of) == 0)
            return 0;
    return 1;
}

/* Every tensor inference reads from DIR/NAME.npy, into malloc'd buffers. */
static int load_params(charlm_io *io, const char *dir)
{
    for (int i = 0; i < charlm_num_tensors; i++) {
        const bp_tensor_info *t = &charlm_tensors[i];
        if (!predict_reads(t))
            continue;
        int64_t count = 1;
        for (int k = 0; k < t->rank; k++)
            count *= t->dims[k];       /* every param extent is a constant here */
        float *buf = malloc(sizeof(float) * (size_t)count);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.npy", dir, t->name);
        if (!buf || read_f32(path, buf, count) != 0)
            return 1;
        memcpy((char *)io + t->offset, &buf, sizeof buf);
    }
    return 0;
}

static int encode(int c) { return c == '\n' ? 0 : c >= 32 && c <= 126 ? c - 31 : 1; }
static int decode(int id) { return id == 0 ? '\n' : id + 31; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sample CHECKPOINT_DIR [COUNT [SEED [PROMPT]]]\n");
        return 2;
    }
    int count = argc > 2 ? atoi(argv[2]) : 400;
    uint64_t rng = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    const char *prompt = argc > 4 ? argv[4] : "                    TERMS AND CONDITIONS\n\n  0. Definitions.\n\n";
    int32_t tok[T];
    float logits[T * V];
    size_t plen = strlen(prompt);
    for (int t = 0; t < T; t++)   /* the prompt's last T characters, left-padded with spaces */
        tok[t] = encode(t + (int)plen >= T ? (unsigned char)prompt[plen - (size_t)(T - t)] : ' ');
    charlm_io io = { .N = 1, .tok = tok, .logits = logits };
    if (load_params(&io, argv[1]) != 0)
        return 1;
    void *ws = malloc(charlm_workspace_size(&io) + 1);
    fputs(prompt, stdout);
    for (int i = 0; i < count; i++) {
        int rc = charlm_predict(&io, ws);
        if (rc != BP_OK) {
            fprintf(stderr, "sample: %s\n", charlm_strerror(rc));
            return 1;
        }
        const float *last = logits + (T - 1) * V;
        double p[V], mx = last[0], total = 0;
        for (int c = 1; c < V; c++)
            mx = last[c] > mx ? last[c] : mx;
        for (int c = 0; c < V; c++)
            total += p[c] = exp((last[c] - mx) / 0.8);
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(rng >> 11) / 9007199254740992.0 * total;
        int next = V - 1;
        for (int c = 0; c < V; c++)
            if ((u -= p[c]) < 0) {
                next = c;
                break;
            }
        putchar(decode(next));
        memmove(tok, tok + 1, sizeof(int32_t) * (T - 1));
        tok[T - 1] = next;
    }
    putchar('\n');
    return 0;
}
