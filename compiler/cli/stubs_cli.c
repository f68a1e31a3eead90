#include <stdio.h>
#include "cli.h"
static int todo(void) { fprintf(stderr, "bpc: not implemented yet\n"); return EXIT_USAGE; }
int cmd_bench(Cli *cli) { (void)cli; return todo(); }
int cmd_train(Cli *cli) { (void)cli; return todo(); }
int cmd_repl(Cli *cli) { (void)cli; return todo(); }
