/* host: drives any compiled model through its reflection table — allocates
 * the io struct and every tensor, binds dims, fills data. Used by bpc run,
 * gradcheck, bench, train and the REPL. */
#ifndef BPC_HOST_H
#define BPC_HOST_H
#include <stdbool.h>
#include <stdint.h>
#include "bpc.h"

enum { HOST_MAX_DIMS = 64 };

typedef struct HostTensor {
    const bp_tensor_info *info;
    int64_t numel;
    size_t elsize;
    void *data;          /* NULL for value fields (dims, step) */
} HostTensor;

typedef struct Host {
    const bpc_entry *e;
    unsigned char *io;   /* the model's P_io, as bytes */
    HostTensor *t;       /* one per reflection entry   */
    int n;
    int64_t dims[HOST_MAX_DIMS];
    void *ws;
    size_t ws_size;
} Host;

/* Allocate io, tensors and workspace for the given symbolic dims (by index). */
int host_open(Host *h, const bpc_entry *e, const int64_t *dims, int ndims, char *err, size_t errlen);
void host_close(Host *h);
/* Point the model's bp_par hook at par (NULL: serial, the default). */
void host_set_parallel(Host *h, const bp_parallel *par);
HostTensor *host_find(Host *h, const char *name);
/* Extent k of a tensor with the dims bound. */
int64_t host_extent(const Host *h, const bp_tensor_info *t, int k);
double host_get(const HostTensor *t, int64_t i);
void host_set(HostTensor *t, int64_t i, double v);
/* The class count labels index for an int input (0 if it is not labels). */
int64_t host_label_range(const bpc_model *m, const Host *h, const char *input);
/* Batchnorm's running averages (NAME_running_mean, NAME_running_var): state
 * that a training-mode forward updates and P_predict reads. */
bool host_is_running(const bp_tensor_info *t);
/* A copy of every running average, to put back with host_running_restore
 * (which frees it) after a forward that must not move them (validation,
 * eval); NULL when the model has none or memory ran out. */
void **host_running_save(const Host *h);
void host_running_restore(Host *h, void **saved);
/* The symbolic dims of a model in order, and their count. */
int host_dim_names(const bpc_entry *e, const char **names, int max);
/* The grad target's name ("loss"), or NULL. */
const char *host_target(const bpc_model *m);
/* The rank-0 input `optimize` takes its learning rate from, or NULL when the
 * learning rate is a literal (or there is no `optimize`). */
const char *host_lr_input(const bpc_model *m);
#endif
