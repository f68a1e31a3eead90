/* train_report: what bpc train shows — the progress bar on a terminal and
 * the learning curves as an SVG (--plot). */
#ifndef BPC_TRAIN_REPORT_H
#define BPC_TRAIN_REPORT_H
#include <stdbool.h>
#include <stdint.h>

/* Per epoch: train loss and accuracy (running means over the epoch's
 * batches), validation loss and accuracy (the model after the epoch); NaN
 * where there is none. */
typedef struct History {
    double *train_loss, *train_acc, *val_loss, *val_acc;
    int n, cap;
} History;

/* Append one epoch; false when out of memory. */
bool history_add(History *h, double tl, double ta, double vl, double va);
void history_free(History *h);
/* Write the learning curves to path as an SVG (atomically). Returns an exit code. */
int plot_write(const char *path, const History *h, const char *title);

/* A progress bar on stdout when it is a terminal; nothing otherwise. */
typedef struct Progress {
    bool on;             /* stdout is a terminal           */
    double t0, last;     /* epoch start, last redraw       */
    int epoch, epochs;
    int64_t total;       /* examples in the epoch          */
} Progress;

void progress_start(Progress *p, int epoch, int epochs, int64_t total);
/* Redraw (at most ten times a second): examples done, throughput, ETA, running loss. */
void progress_update(Progress *p, int64_t done, double loss);
/* Erase the bar so the epoch's summary line takes its place. */
void progress_end(Progress *p);
double progress_now(void);
#endif
