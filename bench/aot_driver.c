/* aot_driver: time a generated model's training step (bpc AOT). Built with
 * one model generated as `--name bm`; knows nothing of the model beyond
 * SPEC §3: tensors come from the reflection table, labels are drawn in
 * [0, C) with C the last extent of the output "scores".
 *   usage: aot_driver BATCH REPS   → "median_ms <value>" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bm.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int64_t batch = argc > 1 ? atoll(argv[1]) : 64;
    int reps = argc > 2 ? atoi(argv[2]) : 50;
    bm_io io;
    memset(&io, 0, sizeof io);
    int64_t classes = 1;
    for (int i = 0; i < bm_num_tensors; i++)
        if (strcmp(bm_tensors[i].name, "scores") == 0)
            classes = bm_tensors[i].dims[bm_tensors[i].rank - 1];
    unsigned seed = 1;
    for (int i = 0; i < bm_num_tensors; i++) {
        const bp_tensor_info *t = &bm_tensors[i];
        char *field = (char *)&io + t->offset;
        if (t->role == BP_DIM) {
            memcpy(field, &batch, sizeof batch);
            continue;
        }
        if (t->dtype == BP_I64)
            continue;
        int64_t n = 1;
        for (int k = 0; k < t->rank; k++)
            n *= t->dims[k] > 0 ? t->dims[k] : batch;
        void *buf = calloc((size_t)n, 8);
        for (int64_t k = 0; k < n && t->role == BP_INPUT; k++) {
            seed = seed * 1103515245u + 12345u;
            if (t->dtype == BP_I32)
                ((int32_t *)buf)[k] = (int32_t)((seed >> 8) % (unsigned)classes);
            else
                ((float *)buf)[k] = (float)((seed >> 8) % 1000) / 1000.0f - 0.5f;
        }
        memcpy(field, &buf, sizeof buf);
    }
    bm_init(&io, 1);
    void *ws = malloc(bm_workspace_size(&io));
    for (int i = 0; i < 5; i++)
        bm_step(&io, ws);
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        int rc = bm_step(&io, ws);
        t[r] = now() - t0;
        if (rc != BP_OK) {
            fprintf(stderr, "step: %s\n", bm_strerror(rc));
            return 1;
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    printf("median_ms %.5f\n", 1e3 * t[reps / 2]);
    return 0;
}
