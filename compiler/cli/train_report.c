/* train_report: the progress bar and the learning-curve SVG of bpc train. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "strbuf.h"
#include "train_report.h"

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool history_add(History *h, double tl, double ta, double vl, double va)
{
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 16;
        double **arrs[4] = { &h->train_loss, &h->train_acc, &h->val_loss, &h->val_acc };
        for (int k = 0; k < 4; k++) {
            double *p = realloc(*arrs[k], sizeof(double) * (size_t)cap);
            if (!p)
                return false;
            *arrs[k] = p;
        }
        h->cap = cap;
    }
    h->train_loss[h->n] = tl, h->train_acc[h->n] = ta, h->val_loss[h->n] = vl, h->val_acc[h->n] = va;
    h->n++;
    return true;
}

void history_free(History *h)
{
    free(h->train_loss), free(h->train_acc), free(h->val_loss), free(h->val_acc);
    memset(h, 0, sizeof *h);
}

/* ---- the SVG: two panels (loss, accuracy), train solid, validation dashed ---- */

enum { PW = 420, PH = 280, ML = 60, MT = 40, MB = 45, GAP = 40 };

typedef struct Panel {
    double x0, lo, hi;   /* left edge; value range */
    int n;
} Panel;

static double px(const Panel *p, int i) { return p->x0 + ML + (p->n > 1 ? (double)i / (p->n - 1) : 0.5) * (PW - ML - 10); }
static double py(const Panel *p, double v) { return MT + (PH - MT - MB) * (1 - (v - p->lo) / (p->hi - p->lo)); }

static bool any_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            return true;
    return false;
}

static void range_of(const double *a, const double *b, int n, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (isfinite(a[i])) *lo = fmin(*lo, a[i]), *hi = fmax(*hi, a[i]);
        if (isfinite(b[i])) *lo = fmin(*lo, b[i]), *hi = fmax(*hi, b[i]);
    }
    if (!isfinite(*lo))
        *lo = 0, *hi = 1;
    if (*hi - *lo < 1e-12)
        *hi = *lo + 1;
    double pad = 0.05 * (*hi - *lo);
    *lo -= pad, *hi += pad;
}

static void series(StrBuf *s, const Panel *p, const double *v, const char *color, bool dashed)
{
    if (!any_finite(v, p->n))
        return;
    sb_printf(s, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color,
              dashed ? " stroke-dasharray=\"6,4\"" : "");
    for (int i = 0; i < p->n; i++)
        if (isfinite(v[i]))
            sb_printf(s, "%.1f,%.1f ", px(p, i), py(p, v[i]));
    sb_printf(s, "\"/>\n");
    for (int i = 0; i < p->n && p->n <= 60; i++)
        if (isfinite(v[i]))
            sb_printf(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", px(p, i), py(p, v[i]), color);
}

static void panel(StrBuf *s, Panel *p, const char *title, const double *tr, const double *va, double scale)
{
    range_of(tr, va, p->n, &p->lo, &p->hi);
    if (scale == 100 && p->hi > 1)   /* accuracy: no ticks above 100 % */
        p->hi = 1;
    double x1 = p->x0 + PW - 10;
    sb_printf(s, "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", p->x0 + ML, title);
    sb_printf(s, "<rect x=\"%.0f\" y=\"%d\" width=\"%.0f\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", p->x0 + ML, MT,
              x1 - p->x0 - ML, PH - MT - MB);
    for (int k = 0; k <= 4; k++) {   /* value ticks */
        double v = p->lo + (p->hi - p->lo) * k / 4;
        sb_printf(s, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", p->x0 + ML, x1, py(p, v), py(p, v));
        sb_printf(s, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n", p->x0 + ML - 4,
                  py(p, v) + 4, v * scale);
    }
    int step = p->n > 10 ? (p->n + 9) / 10 : 1;
    for (int i = 0; i < p->n; i += step)   /* epoch ticks */
        sb_printf(s, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>\n", px(p, i), PH - MB + 15, i + 1);
    sb_printf(s, "<text x=\"%.0f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">epoch</text>\n", p->x0 + ML + (PW - ML) / 2.0,
              PH - 12);
    series(s, p, tr, "#1f77b4", false);
    series(s, p, va, "#d62728", true);
}

int plot_write(const char *path, const History *h, const char *title)
{
    StrBuf s = { 0 };
    bool acc = any_finite(h->train_acc, h->n) || any_finite(h->val_acc, h->n);
    int width = acc ? 2 * PW + GAP : PW;
    sb_printf(&s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    sb_printf(&s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\">\n<title>", width, PH + 30, width, PH + 30);
    for (const char *c = title; *c; c++)   /* the model's name, XML-escaped */
        sb_printf(&s, "%s", *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : *c == '&' ? "&amp;" : (char[2]){ *c, 0 });
    sb_printf(&s, " learning curves</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    Panel lp = { 0, 0, 0, h->n };
    panel(&s, &lp, "loss", h->train_loss, h->val_loss, 1);
    if (acc) {
        Panel ap = { PW + GAP, 0, 0, h->n };
        panel(&s, &ap, "accuracy (%)", h->train_acc, h->val_acc, 100);
    }
    int ly = PH + 18;
    sb_printf(&s, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#1f77b4\" stroke-width=\"2\"/>", ML, ML + 30, ly - 4, ly - 4);
    sb_printf(&s, "<text x=\"%d\" y=\"%d\" font-size=\"12\">train (running mean over the epoch's batches)</text>\n", ML + 36, ly);
    sb_printf(&s, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>",
              ML + 330, ML + 360, ly - 4, ly - 4);
    sb_printf(&s, "<text x=\"%d\" y=\"%d\" font-size=\"12\">validation (after the epoch)</text>\n</svg>\n", ML + 366, ly);
    int rc = s.s ? cli_write_atomic(path, s.s, strlen(s.s)) : EXIT_MODEL;
    sb_free(&s);
    return rc;
}

/* ---- progress bar ---- */

void progress_start(Progress *p, int epoch, int epochs, int64_t total)
{
    p->on = isatty(STDOUT_FILENO);
    p->t0 = p->last = progress_now();
    p->epoch = epoch, p->epochs = epochs, p->total = total;
}

void progress_update(Progress *p, int64_t done, double loss)
{
    double t = progress_now();
    if (!p->on || (t - p->last < 0.1 && done < p->total))
        return;
    p->last = t;
    enum { W = 28 };
    int fill = (int)(W * done / (p->total ? p->total : 1));
    char bar[W + 1];
    for (int i = 0; i < W; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[W] = 0;
    double rate = done / fmax(t - p->t0, 1e-9);
    printf("\r\033[Kepoch %d/%d [%s] %lld/%lld  %.0f ex/s  ETA %.1fs  loss %.4f", p->epoch, p->epochs, bar,
           (long long)done, (long long)p->total, rate, (double)(p->total - done) / fmax(rate, 1e-9), loss);
    fflush(stdout);
}

void progress_end(Progress *p)
{
    if (p->on)
        printf("\r\033[K");
}
