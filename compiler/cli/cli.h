/* cli: the bpc command line, a thin layer over libbpc. */
#ifndef BPC_CLI_H
#define BPC_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpc.h"

enum { EXIT_OK = 0, EXIT_MODEL = 1, EXIT_USAGE = 2, CLI_MAX_PAIRS = 64 };

typedef struct Pair {
    const char *key, *value;      /* --set N=64, --in x=x.npy */
} Pair;

typedef struct Cli {
    const char *cmd;              /* compile check explain graph run gradcheck bench train repl */
    const char *model;            /* MODEL.bp                                                   */
    const char *out, *header;     /* -o, --header                                               */
    const char *emit;             /* --emit=STAGE                                               */
    const char *outdir, *save;    /* --out DIR, --save DIR                                      */
    const char *jit;              /* --jit tcc|cc                                               */
    bpc_options opt;
    Pair sets[CLI_MAX_PAIRS];
    int nsets;
    Pair ins[CLI_MAX_PAIRS];
    int nins;
    Pair vals[CLI_MAX_PAIRS];     /* train --val x=..,y=..                                      */
    int nvals;
    double val_split;             /* train --val-split F: the last F of the data                */
    const char *plot;             /* train --plot curves.svg                                    */
    const char *lr_schedule;      /* train --lr-schedule constant|step|cosine                   */
    const char *resume, *load;    /* train --resume DIR; eval/predict/run --load DIR            */
    int threads, epochs, batch;
    uint64_t seed;
    double tolerance;
    bool mpi;                     /* train --mpi: data-parallel over MPI required (dist.h)      */
    bool cost;                    /* explain --cost                                             */
} Cli;

/* Read a whole file; NULL with a message printed on failure. */
char *cli_read_file(const char *path, size_t *len);
/* Compile cli->model; prints diagnostics; NULL (after printing) on errors. */
bpc_model *cli_compile(const Cli *cli);
/* Refuse (EXIT_USAGE, after a message) an output path that is the model or
 * the same file as an earlier one; opts[i] names the option ("-o"). */
int cli_check_outputs(const char *model, int n, const char *const *paths, const char *const *opts);
/* Write text to path (output.c says how: atomically for a regular file,
 * through a symlink, directly to a device or FIFO). */
int cli_write_atomic(const char *path, const char *text, size_t len);
/* Write n files (n <= 4): all temporaries first, then the renames; on any
 * failure before the renames, no destination is touched. */
int cli_write_files(int n, const char *const *paths, const char *const *texts);

/* The process's umask (without changing it where /proc allows). */
/* Whether key is among the pairs (--in x=.., --set lr=..). */
bool cli_has_pair(const Pair *pairs, int n, const char *key);
struct bp_array;
/* 0 when every element of a (read from path) can feed a tensor of dtype:
 * finite, within float32's range for BP_F32, within int32's for BP_I32;
 * else -1 after printing the file, the element's index and its value. */
int cli_check_data(const char *path, const struct bp_array *a, int dtype);

int cmd_compile(Cli *cli);   /* bpc MODEL.bp -o OUT.c, --emit=...  */
int cmd_check(Cli *cli);     /* bpc check                          */
int cmd_explain(Cli *cli);   /* bpc explain                        */
int cmd_graph(Cli *cli);     /* bpc graph                          */
int cmd_run(Cli *cli);       /* bpc run                            */
int cmd_gradcheck(Cli *cli); /* bpc gradcheck                      */
int cmd_bench(Cli *cli);     /* bpc bench                          */
int cmd_train(Cli *cli);     /* bpc train                          */
int cmd_repl(Cli *cli);      /* bpc repl                           */
int cmd_eval(Cli *cli);      /* bpc eval: loss, accuracy, confusion */
int cmd_predict(Cli *cli);   /* bpc predict: outputs as .npy       */
#endif
