/* checkpoint: bpc train --save / --resume, bpc eval / predict / run --load —
 * a folder of .npy files (params, optimizer state) and manifest.json, atomic as a set. */
#ifndef BPC_CHECKPOINT_H
#define BPC_CHECKPOINT_H
#include "session.h"

/* What a training checkpoint holds besides the tensors. */
typedef struct CkptMeta {
    const char *model;   /* the model's C name (saved; not read back)       */
    int epoch;           /* epochs done                                      */
    int64_t step;        /* the optimizer's step count (io->step)            */
    uint64_t rng[4];     /* the shuffling RNG's state after `epoch` epochs   */
} CkptMeta;

/* Save every param of h (and, with meta, the optimizer state and
 * manifest.json) as DIR/NAME.npy, replacing DIR as a whole: a reader sees the
 * old set or the new one, never a mix. Prints errors; returns an exit code. */
int checkpoint_save(const Host *h, const char *dir, const CkptMeta *meta);
/* Load every param of h from DIR/NAME.npy (shapes must match); with meta,
 * also the optimizer state, the step and manifest.json's epoch and RNG state.
 * `opt` names the option for messages ("--load"). Prints errors; returns an exit code. */
int checkpoint_load(Host *h, const char *dir, CkptMeta *meta, const char *opt);
#endif
