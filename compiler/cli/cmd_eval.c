/* cmd_eval: bpc eval (loss, accuracy, confusion matrix) and bpc predict
 * (the outputs, printed or saved as .npy) of a trained model: params from
 * --load DIR (a bpc train --save checkpoint), data from --in, the whole set
 * as one batch. Both run the model in inference mode: predict through
 * P_predict, eval through P_evaluate (the outputs and the loss). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "session.h"

/* Every input the command needs has data: all of them for eval; for
 * predict, all but int labels (outputs do not read them). The learning
 * rate, when it is an input, needs no value. */
static int require_data(const Session *s, const Cli *cli, const char *cmd, bool labels)
{
    if (!cli->load) {
        fprintf(stderr, "bpc: %s needs the trained params: --load DIR (saved by bpc train --save DIR)\n", cmd);
        return EXIT_USAGE;
    }
    for (int i = 0; i < s->h.n; i++) {
        const bp_tensor_info *t = s->h.t[i].info;
        if (t->role != BP_INPUT || cli_has_pair(cli->ins, cli->nins, t->name))
            continue;
        const char *lr = host_lr_input(s->m);   /* only the training step reads it */
        if (t->rank == 0 && !cli_has_pair(cli->sets, cli->nsets, t->name) && !(lr && strcmp(lr, t->name) == 0)) {
            fprintf(stderr, "bpc: %s: the rank-0 input '%s' has no value: give --set %s=VALUE\n", cmd, t->name, t->name);
            return EXIT_USAGE;
        }
        bool is_label = t->dtype == BP_I32 && host_label_range(s->m, &s->h, t->name) > 0;
        if (t->rank > 0 && (labels || !is_label)) {
            fprintf(stderr, "bpc: %s: no data for the input '%s': give --in %s=FILE.npy\n", cmd, t->name, t->name);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static int open_trained(Session *s, const Cli *cli, const char *cmd, bool labels)
{
    int rc = session_open(s, cli, cli->opt.dtype, 1);
    if (rc == EXIT_OK)
        rc = require_data(s, cli, cmd, labels);
    if (rc == EXIT_OK)
        rc = checkpoint_load(&s->h, cli->load, NULL, "--load");
    return rc;
}

static int call(Session *s, const char *cmd, const char *what, int r)
{
    if (r == BP_OK)
        return EXIT_OK;
    fprintf(stderr, "bpc: %s: %s: %s\n", cmd, what, session_strerror(s, r));
    return EXIT_MODEL;
}

/* The scores (the first output, [N, C]) and labels (an int input [N]), or NULL. */
static void scores_labels(Session *s, HostTensor **scores, HostTensor **labels)
{
    *scores = *labels = NULL;
    for (int i = 0; i < s->h.n; i++) {
        HostTensor *t = &s->h.t[i];
        if (t->info->role == BP_INPUT && t->info->dtype == BP_I32 && t->info->rank == 1 && !*labels)
            *labels = t;
    }
    for (int i = 0; i < s->h.n; i++) {
        HostTensor *t = &s->h.t[i];
        if (t->info->role != BP_OUTPUT)
            continue;
        if (t->info->rank == 2 && *labels && host_extent(&s->h, t->info, 0) == (*labels)->numel)
            *scores = t;
        break;
    }
}

static int64_t argmax_row(const HostTensor *s, int64_t r, int64_t c)
{
    int64_t best = 0;
    for (int64_t j = 1; j < c; j++)
        if (host_get(s, r * c + j) > host_get(s, r * c + best))
            best = j;
    return best;
}

/* Accuracy and the confusion matrix (rows: true label, columns: predicted). */
static int report_accuracy(Session *s, const HostTensor *scores, const HostTensor *labels)
{
    int64_t n = labels->numel, c = host_extent(&s->h, scores->info, 1), hits = 0;
    int64_t *conf = calloc((size_t)(c * c), sizeof *conf);
    if (!conf)
        return EXIT_MODEL;
    for (int64_t r = 0; r < n; r++) {
        int64_t y = (int64_t)host_get(labels, r), p = argmax_row(scores, r, c);
        hits += y == p;
        if (y >= 0 && y < c)
            conf[y * c + p]++;
    }
    printf("accuracy   %.2f%% (%lld of %lld)\n", 100.0 * (double)hits / (double)n, (long long)hits, (long long)n);
    if (c <= 32) {
        printf("confusion matrix (rows: true %s, columns: predicted)\n     ", labels->info->name);
        for (int64_t j = 0; j < c; j++)
            printf(" %5lld", (long long)j);
        for (int64_t i = 0; i < c; i++) {
            printf("\n%5lld", (long long)i);
            for (int64_t j = 0; j < c; j++)
                printf(" %5lld", (long long)conf[i * c + j]);
        }
        printf("\n");
    }
    free(conf);
    return EXIT_OK;
}

int cmd_eval(Cli *cli)
{
    Session s;
    int rc = open_trained(&s, cli, "eval", true);
    const char *target = rc == EXIT_OK ? host_target(s.m) : NULL;
    HostTensor *loss = target ? host_find(&s.h, target) : NULL, *scores, *labels;
    if (loss && loss->info->rank != 0)
        loss = NULL;
    if (rc == EXIT_OK)   /* inference mode: the loss and outputs as model.eval() gives them */
        rc = loss ? call(&s, "eval", "evaluate", s.e->evaluate(s.h.io, s.h.ws))
                  : call(&s, "eval", "predict", s.e->predict(s.h.io, s.h.ws));
    double value = loss ? host_get(loss, 0) : 0;
    if (rc == EXIT_OK) {
        scores_labels(&s, &scores, &labels);
        printf("examples   %lld\n", (long long)(labels ? labels->numel : 0));
        if (loss)
            printf("%-10s %.6f\n", target, value);
        if (scores)
            rc = report_accuracy(&s, scores, labels);
    }
    session_close(&s);
    return rc;
}

int cmd_predict(Cli *cli)
{
    Session s;
    int rc = cli->outdir ? open_trained(&s, cli, "predict", false)
                         : (fprintf(stderr, "bpc: predict writes the outputs to a folder: give --out DIR\n"), EXIT_USAGE);
    if (rc == EXIT_OK)
        rc = call(&s, "predict", "predict", s.e->predict(s.h.io, s.h.ws));
    if (rc == EXIT_OK)
        rc = session_mkdir(cli->outdir);
    for (int i = 0; i < s.h.n && rc == EXIT_OK; i++)
        if (s.h.t[i].info->role == BP_OUTPUT) {
            rc = session_save(&s.h, &s.h.t[i], cli->outdir);
            if (rc == EXIT_OK)
                printf("%s/%s.npy\n", cli->outdir, s.h.t[i].info->name);
        }
    if (cli->outdir)
        session_close(&s);
    return rc;
}
