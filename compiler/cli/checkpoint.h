/* checkpoint: bpc train --save DIR — the params as .npy files, atomic as a set. */
#ifndef BPC_CHECKPOINT_H
#define BPC_CHECKPOINT_H
#include "session.h"

/* Save every param of h as DIR/NAME.npy, replacing DIR as a whole: a reader
 * sees the old set or the new one, never a mix. Prints errors; returns an exit code. */
int checkpoint_save(const Host *h, const char *dir);
#endif
