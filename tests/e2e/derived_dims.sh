#!/usr/bin/env bash
# Derived dims at run time (N*T, N-1): x[1:] with N = 1 is refused with
# BP_EDIM before anything is written, so is an N*T past 2^50 although N and T
# pass their own checks; in range the values are numpy's (the JIT, and the
# written C compiled by gcc, clang and tcc and driven from C).
. "$(dirname "$0")/lib.sh"
cd "$WORK"
cat > dd.bp <<'BP'
dim N, T
input x[N, T, 2]
h = reshape(x, [N * T, 2])
d = h[1:] - h[:-1]
e = concat(x[1:], x, axis=0)
s = sum(d * d) + sum(e[:, :, 0])
output s
BP
/usr/bin/python3 - <<'PY'
import numpy as np
x = np.arange(12, dtype=np.float32).reshape(2, 3, 2) ** 1.5
np.save("x.npy", x)
h = x.reshape(6, 2).astype(np.float64)
d = h[1:] - h[:-1]
e = np.concatenate([x[1:], x], 0)
open("want.txt", "w").write(repr(float((d * d).sum() + e[:, :, 0].sum())))
np.save("x1.npy", np.ones((1, 1, 2), dtype=np.float32))
PY
check "N = 2, T = 3 runs" "$BPC" run dd.bp --in x=x.npy --out ok
check "s is numpy's" /usr/bin/python3 -c "
import numpy as np
got, want = float(np.load('ok/s.npy')), float(open('want.txt').read())
assert abs(got - want) <= 1e-4 * abs(want), (got, want)"
check "N = T = 1 is refused (N*T-1 < 1)" expect_exit 1 "$BPC" run dd.bp --in x=x1.npy
check "with the dim message" sh -c "'$BPC' run dd.bp --set N=1,T=1 2>&1 | grep -q 'a symbolic dim is < 1'"
check "the written C" "$BPC" dd.bp -o dd.c --header dd.h
check "checks N*T-1 and N-1" sh -c "grep -q '/\\* N\\*T-1 \\*/' dd.c && grep -q '/\\* N-1 \\*/' dd.c"
for cc in gcc clang tcc; do
    check "compiles cleanly with $cc" $cc -std=c99 -Wall -Wextra -pedantic -Werror -c dd.c -o dd_$cc.o
done
cat > drive.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include "dd.h"
int main(void)
{
    float x[12], s = -1;
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    dd_io io = { 0 };
    io.N = 1, io.T = 1, io.x = x, io.s = &s;
    if (dd_workspace_size(&io) != 0 || dd_predict(&io, NULL) != BP_EDIM || s != -1)
        return printf("N = T = 1 not refused\n"), 1;
    io.N = (int64_t)1 << 40, io.T = (int64_t)1 << 40;
    if (dd_workspace_size(&io) != 0 || dd_predict(&io, NULL) != BP_EDIM || s != -1)
        return printf("N*T = 2^80 not refused\n"), 1;
    io.N = 2, io.T = 3;
    void *ws = malloc(dd_workspace_size(&io));
    if (!ws || dd_predict(&io, ws) != BP_OK)
        return printf("N = 2, T = 3 refused\n"), 1;
    /* d: 5 rows of (2, 2) -> 40; e[:, :, 0]: x[1] + x twice-ish: 6+8+10 + 0+2+4+6+8+10 */
    if (s != 40 + 24 + 30)
        return printf("s = %g\n", s), 1;
    free(ws);
    return 0;
}
C
check "the C driver: BP_EDIM for N=T=1 and N*T=2^80, values in range" sh -c "gcc -std=c99 -O1 -o drive drive.c dd.c -lm && ./drive"
finish
