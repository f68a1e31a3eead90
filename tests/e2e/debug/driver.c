/* Drives tests/e2e/debug/overflow.bp compiled with --check-finite: argv[1]
 * scales the input; prints the return code and what P_nonfinite names. */
#include <stdio.h>
#include <stdlib.h>
#include "d.h"
int main(int argc, char **argv)
{
    float scale = argc > 1 ? (float)atof(argv[1]) : 1.0f;
    static float x[16 * 4], W[32], W2[24], scores[48], loss[1], Wg[32], W2g[24];
    static int32_t y[16];
    for (int i = 0; i < 64; i++) x[i] = scale * (float)((i * 7) % 11 - 5);
    d_io io = { .N = 16, .x = x, .y = y, .W = W, .W2 = W2, .scores = scores, .loss = loss, .W_grad = Wg, .W2_grad = W2g };
    d_init(&io, 1);
    void *ws = malloc(d_workspace_size(&io));
    int rc = d_grad(&io, ws);
    const char *what = d_nonfinite(ws);
    printf("rc=%d nonfinite=%s\n", rc, what ? what : "(null)");
    free(ws);
    return 0;
}
