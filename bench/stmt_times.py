#!/usr/bin/env python3
"""stmt_times: where a generated model's step spends its time, statement by statement.

Copies a bpc-generated C file, inserting an rdtsc counter before each top-level
statement comment of P_forward_run and P_backward_step_run (the passes P_step
runs), and prints at exit the mean TSC ticks per call of each statement:

  bpc examples/mlp.bp -o p.c --name p
  python3 bench/stmt_times.py p.c pt.c
  cc -O3 -march=native -DMODEL_H='"p.h"' -DP=p -I. -Iruntime -Iinclude \\
     bench/aot_driver.c pt.c build/runtime/libbprt.a -lm -lpthread -o aot_t
  ./aot_t 64 --threads 2 --budget 0.25     # the table goes to stderr

x86-64 with gcc or clang only (__rdtsc). A statement's time includes the hook
runs it makes (the caller's wait for the other threads). The forward pass is
also called alone by the driver's forward timing: the means are over all calls.
"""
import re
import sys

HEAD = r'''#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>
static unsigned long long ST_T[256], ST_C[256];
static const char *ST_N[256];
static void st_dump(void)
{
    for (int i = 0; i < 256; i++)
        if (ST_N[i])
            fprintf(stderr, "%3d %10.0f  %s\n", i, (double)ST_T[i] / (double)ST_C[i], ST_N[i]);
}
__attribute__((constructor)) static void st_init(void) { atexit(st_dump); }
'''
PASS = re.compile(r'static void \w+_(forward_run|backward_step_run)\(')
STMT = re.compile(r'    /\* (\S+ = .*?)\s*\*/\s*$')


def instrument(lines):
    out, in_pass, first, idx = [HEAD], False, False, 0
    for line in lines:
        if PASS.match(line):
            in_pass, first = True, True
        elif in_pass and line == '}':
            out.append('    { unsigned long long st_now = __rdtsc(); ST_T[st_i] += st_now - st_t; }')
            in_pass = False
        else:
            m = STMT.match(line) if in_pass else None
            if m and idx < 256:
                name = m.group(1)[:70].replace('\\', '').replace('"', "'")
                if first:
                    out.append('    int st_i = %d; unsigned long long st_t = __rdtsc();' % idx)
                    first = False
                else:
                    out.append('    { unsigned long long st_now = __rdtsc(); ST_T[st_i] += st_now - st_t; '
                               'st_t = st_now; } st_i = %d;' % idx)
                out.append('    ST_N[%d] = "%s"; ST_C[%d]++;' % (idx, name, idx))
                idx += 1
        out.append(line)
    return out, idx


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: stmt_times.py GENERATED.c OUT.c")
    with open(sys.argv[1]) as f:
        lines = f.read().split('\n')
    out, n = instrument(lines)
    if n == 0:
        sys.exit("stmt_times: no statement of P_forward_run / P_backward_step_run found")
    with open(sys.argv[2], 'w') as f:
        f.write('\n'.join(out))


if __name__ == '__main__':
    main()
