/* emit_norm: the kernels of layernorm, batchnorm and dropout (ops.def,
 * "normalization and dropout"), the NULL checks of batchnorm's state fields
 * and their initial values. Row sums and maxima are em_lane_reduce's
 * (emit_loops.c). Each kernel
 * opens a block and declares only names the planner reserves (plan.c), so
 * no buffer named by the model is shadowed. A mode op (F_MODE) reads
 * e->mode: 0 training (P_forward, P_backward), 1 inference (P_predict). */
#include "emit.h"

/* Pointer to a kernel input's contiguous buffer. */
#define IN(k) em_ptr(e, n->in[k])

/* the comment line over a kernel: y = op(a, b, ...) and its shape */
static void comment(Emit *e, const Node *n, const char *extra)
{
    StrBuf b = { 0 };
    for (int k = 0; k < n->nin; k++)
        sb_printf(&b, "%s%s", k ? ", " : "", e->p->cname[n->in[k]->id]);
    em_line(e, "/* %s = %s(%s%s)   %s */", e->p->cname[n->id], op_info[n->op].name, b.s ? b.s : "", extra,
            shape_str(e->g, n->shape));
    sb_free(&b);
}

/* ---- layernorm: rows of the last axis; stats[r] = (mean, rstd) ---- */

/* the loop over the rows of x, n's statement: on the host's threads when it pays (emit_rows.c) */
static void rows_open(Emit *e, const Node *n, const Node *x, const char *st)
{
    Shape lead = x->shape;
    lead.rank--;
    const char *cols = em_extent(e, x->shape.d[x->shape.rank - 1]), *rows = em_numel(e, lead);
    em_line(e, "%s {", em_rows_for(e, n, "r", rows, x->shape));
    e->indent++;
    em_line(e, "const %s *row = %s + r * %s;", e->real, em_ptr(e, x), cols);
    if (st)
        em_line(e, "const %s mx = %s[2 * r], inv = %s[2 * r + 1];", e->real, st, st);
}

static void block_close(Emit *e)
{
    e->indent--;
    em_line(e, "}");
}

static const char *cols_of(Emit *e, const Node *x) { return em_extent(e, x->shape.d[x->shape.rank - 1]); }

/* stats: mean and 1/sqrt(biased variance + eps) of each row (two passes, lane sums in the
 * model's real type) */
void em_ln_stats(Emit *e, Node *n)
{
    const char *cols = cols_of(e, n->in[0]), *st = em_buf(e, n), *R = e->real;
    comment(e, n, arena_printf(e->g->arena, ", eps=%g", n->f));
    rows_open(e, n, n->in[0], NULL);
    em_lane_reduce(e, "sum", '+', cols, "row[j]");
    em_line(e, "const %s mx = sum / (%s)%s;", R, R, cols);
    em_lane_reduce(e, "acc", '+', cols, "(row[j] - mx) * (row[j] - mx)");
    em_line(e, "%s[2 * r] = mx;", st);
    em_line(e, "%s[2 * r + 1] = 1 / %s(acc / (%s)%s + %s);", st, em_math(e, "sqrt"), R, cols, em_lit(e, n->f));
    block_close(e);
}

/* y = (x - mean) * rstd * gamma + beta, per row */
void em_layernorm(Emit *e, Node *n)
{
    const char *cols = cols_of(e, n->in[0]);
    comment(e, n, "");
    rows_open(e, n, n->in[0], IN(1));
    em_line(e, "%s *o = %s + r * %s;", e->real, em_buf(e, n), cols);
    em_line(e, "for (int64_t j = 0; j < %s; j++) o[j] = (row[j] - mx) * inv * %s[j] + %s[j];", cols, IN(2), IN(3));
    block_close(e);
}

/* x̂ = (x - mean) * rstd, per row */
void em_ln_xhat(Emit *e, Node *n)
{
    const char *cols = cols_of(e, n->in[0]);
    comment(e, n, "");
    rows_open(e, n, n->in[0], IN(1));
    em_line(e, "%s *o = %s + r * %s;", e->real, em_buf(e, n), cols);
    em_line(e, "for (int64_t j = 0; j < %s; j++) o[j] = (row[j] - mx) * inv;", cols);
    block_close(e);
}

/* sum = Σ ĝ and acc = Σ ĝ x̂ over a row in one pass, ĝ = u[j] * gm[j], x̂ = (row[j] - mx) * inv:
 * em_lane_sums, in the model's real type; s is a name plan.c reserves */
static void ln_grad_sums(Emit *e, const char *cols, const char *gm)
{
    static const char *const name[] = { "sum", "acc" }, *const term[] = { "s", "s * ((row[j] - mx) * inv)" };
    em_lane_sums(e, cols, arena_printf(e->g->arena, "const %s s = u[j] * %s[j];", e->real, gm), 2, name, term);
}

/* dx = rstd * (ĝ - mean(ĝ) - x̂ * mean(ĝ x̂)), ĝ = g * gamma, per row: two passes over
 * the row (both sums, then dx) */
void em_ln_grad(Emit *e, Node *n)
{
    const Node *x = n->in[1];
    const char *cols = cols_of(e, x), *gm = IN(3), *R = e->real;
    comment(e, n, "");
    rows_open(e, n, x, IN(2));
    em_line(e, "const %s *u = %s + r * %s;", R, IN(0), cols);
    em_line(e, "%s *o = %s + r * %s;", R, em_buf(e, n), cols);
    ln_grad_sums(e, cols, gm);
    em_line(e, "sum /= (%s)%s;", R, cols);
    em_line(e, "acc /= (%s)%s;", R, cols);
    em_line(e, "for (int64_t j = 0; j < %s; j++)", cols);
    em_line(e, "    o[j] = inv * (u[j] * %s[j] - sum - (row[j] - mx) * inv * acc);", gm);
    block_close(e);
}

/* ---- batchnorm: x as [outer, C, inner], channel k; stats = (mean[C], var[C]) ---- */

typedef struct BnDims {
    const char *outer, *c, *inner;
} BnDims;

static BnDims bn_dims(Emit *e, const Node *x)
{
    Shape rest = { 0, { 0 } };
    for (int k = 2; k < x->shape.rank; k++)
        rest.d[rest.rank++] = x->shape.d[k];
    return (BnDims){ em_extent(e, x->shape.d[0]), em_extent(e, x->shape.d[1]), em_numel(e, rest) };
}

/* for each channel k: count, and (with st) its mean mx and rstd inv */
static void channels_open(Emit *e, BnDims d, const char *st, double eps)
{
    em_line(e, "for (int64_t k = 0; k < %s; k++) {", d.c);
    e->indent++;
    em_line(e, "const double count = (double)%s * (double)%s;", d.outer, d.inner);
    em_line(e, "(void)count;");
    if (st)
        em_line(e, "const %s mx = %s[k], inv = (%s)(1 / sqrt((double)%s[%s + k] + %s));", e->real, st, e->real, st, d.c,
                em_double(e, eps));
}

/* a loop over the elements of channel k: row (x), and u/o of the other tensors */
static void elems_open(Emit *e, BnDims d, const char *x, const char *u, const char *o)
{
    em_line(e, "for (int64_t b = 0; b < %s; b++) {", d.outer);
    e->indent++;
    em_line(e, "const %s *row = %s + (b * %s + k) * %s;", e->real, x, d.c, d.inner);
    if (u)
        em_line(e, "const %s *u = %s + (b * %s + k) * %s;", e->real, u, d.c, d.inner);
    if (o)
        em_line(e, "%s *o = %s + (b * %s + k) * %s;", e->real, o, d.c, d.inner);
}

/* The state fields of the batchnorm whose stats node is n. */
static const char *state_field(Emit *e, const Node *n, const char *what)
{
    return arena_printf(e->g->arena, "io->%s_running_%s", norm_state_of(e->g, n), what);
}

/* training: the batch's mean and biased variance per channel, and the running
 * averages moved towards them (new = (1 - m) old + m batch, the variance
 * unbiased as PyTorch does); inference: the running averages */
void em_bn_stats(Emit *e, Node *n)
{
    BnDims d = bn_dims(e, n->in[0]);
    const char *st = em_buf(e, n), *rm = state_field(e, n, "mean"), *rv = state_field(e, n, "var");
    comment(e, n, e->mode ? ": the running averages (inference)" : ": the batch's (training)");
    if (e->mode) {
        em_line(e, "for (int64_t k = 0; k < %s; k++) {", d.c);
        em_line(e, "    %s[k] = %s[k];", st, rm);
        em_line(e, "    %s[%s + k] = %s[k];", st, d.c, rv);
        em_line(e, "}");
        return;
    }
    channels_open(e, d, NULL, 0);
    em_line(e, "double sum = 0, acc = 0;");
    elems_open(e, d, IN(0), NULL, NULL);
    em_line(e, "for (int64_t j = 0; j < %s; j++) sum += %s;", d.inner, em_widen(e, "row[j]"));
    block_close(e);
    em_line(e, "sum /= count;");
    elems_open(e, d, IN(0), NULL, NULL);
    const char *xw = em_widen(e, "row[j]");
    em_line(e, "for (int64_t j = 0; j < %s; j++) acc += (%s - sum) * (%s - sum);", d.inner, xw, xw);
    block_close(e);
    em_line(e, "acc /= count;");
    em_line(e, "%s[k] = (%s)sum;", st, e->real);
    em_line(e, "%s[%s + k] = (%s)acc;", st, d.c, e->real);
    const char *m = em_double(e, n->f);
    const char *rmk = em_widen(e, arena_printf(e->g->arena, "%s[k]", rm));
    const char *rvk = em_widen(e, arena_printf(e->g->arena, "%s[k]", rv));
    em_line(e, "%s[k] = (%s)((1 - %s) * %s + %s * sum);", rm, e->real, m, rmk, m);
    em_line(e, "%s[k] = (%s)((1 - %s) * %s + %s * (count > 1 ? acc * count / (count - 1) : acc));", rv, e->real, m, rvk, m);
    block_close(e);
}

/* y = (x - mean) * rstd * gamma + beta, per channel */
void em_batchnorm(Emit *e, Node *n)
{
    BnDims d = bn_dims(e, n->in[0]);
    comment(e, n, arena_printf(e->g->arena, ", eps=%g", n->f));
    channels_open(e, d, IN(1), n->f);
    em_line(e, "const %s s = inv * %s[k], t = %s[k];", e->real, IN(2), IN(3));
    elems_open(e, d, IN(0), NULL, em_buf(e, n));
    em_line(e, "for (int64_t j = 0; j < %s; j++) o[j] = (row[j] - mx) * s + t;", d.inner);
    block_close(e);
    block_close(e);
}

/* x̂ = (x - mean) * rstd, per channel */
void em_bn_xhat(Emit *e, Node *n)
{
    BnDims d = bn_dims(e, n->in[0]);
    comment(e, n, "");
    channels_open(e, d, IN(1), n->f);
    elems_open(e, d, IN(0), NULL, em_buf(e, n));
    em_line(e, "for (int64_t j = 0; j < %s; j++) o[j] = (row[j] - mx) * inv;", d.inner);
    block_close(e);
    block_close(e);
}

/* dx = rstd * (ĝ - mean(ĝ) - x̂ * mean(ĝ x̂)), ĝ = g * gamma, means over the channel */
void em_bn_grad(Emit *e, Node *n)
{
    BnDims d = bn_dims(e, n->in[1]);
    comment(e, n, "");
    channels_open(e, d, IN(2), n->f);
    em_line(e, "const double s = (double)%s[k];", IN(3));
    em_line(e, "double sum = 0, acc = 0;");
    elems_open(e, d, IN(1), IN(0), NULL);
    em_line(e, "for (int64_t j = 0; j < %s; j++) {", d.inner);
    const char *uw = em_widen(e, "u[j]"), *xh = em_widen(e, "((row[j] - mx) * inv)");
    em_line(e, "    sum += %s * s;", uw);
    em_line(e, "    acc += %s * s * %s;", uw, xh);
    em_line(e, "}");
    block_close(e);
    em_line(e, "sum /= count;");
    em_line(e, "acc /= count;");
    elems_open(e, d, IN(1), IN(0), em_buf(e, n));
    em_line(e, "for (int64_t j = 0; j < %s; j++)", d.inner);
    em_line(e, "    o[j] = (%s)(%s * (%s * s - sum - %s * acc));", e->real, em_widen(e, "inv"), uw, xh);
    block_close(e);
    block_close(e);
}

/* ---- dropout ---- */

/* splitmix64's finalizer on the uint64_t variable v, as lines */
static void mix(Emit *e, const char *v)
{
    em_line(e, "%s = (%s ^ (%s >> 30)) * 0xBF58476D1CE4E5B9ULL;", v, v, v);
    em_line(e, "%s = (%s ^ (%s >> 27)) * 0x94D049BB133111EBULL;", v, v, v);
    em_line(e, "%s ^= %s >> 31;", v, v);
}

/* training: element i is kept when the hash of (seed, step, dropout index, i)
 * as a 53-bit fraction is >= p, and scaled by 1/(1-p); the backward applies
 * the same mask to g. inference: the identity. */
void em_dropout(Emit *e, Node *n)
{
    const char *numel = em_numel(e, n->shape), *x = IN(0), *y = em_buf(e, n);
    double p = n->f;
    comment(e, n, arena_printf(e->g->arena, ", p=%g%s", p, e->mode ? ": the identity (inference)" : ""));
    /* kept when the 53-bit fraction >= p: p below 2^-53 keeps everything (and 1/(1-p) is 1) */
    unsigned long long thresh = p < 1 ? (unsigned long long)(p * 9007199254740992.0) : 0;
    if (p >= 1 && !e->mode)
        em_line(e, "(void)%s;", x);
    if (e->mode || thresh == 0) {   /* the identity, or (p = 1) every element dropped */
        em_line(e, "for (int64_t i = 0; i < %s; i++) %s[i] = %s;", numel, y,
                e->mode || p < 1 ? arena_printf(e->g->arena, "%s[i]", x) : "0");
        return;
    }
    em_line(e, "{");
    e->indent++;
    em_line(e, "uint64_t s = io->seed ^ (0x9E3779B97F4A7C15ULL * %lluULL);", (unsigned long long)n->decl + 1);
    mix(e, "s");
    em_line(e, "s += (uint64_t)io->step * 0xD1B54A32D192ED03ULL;");
    mix(e, "s");
    em_line(e, "for (int64_t i = 0; i < %s; i++) {", numel);
    e->indent++;
    em_line(e, "uint64_t u = s + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ULL;");
    mix(e, "u");
    em_line(e, "%s[i] = (u >> 11) >= %lluULL ? %s[i] * %s : 0;", y, thresh, x, em_lit(e, 1 / (1 - p)));
    block_close(e);
    block_close(e);
}

/* ---- the state fields ---- */

/* P_NAME_check: the running averages a pass reads or writes are not NULL. */
void em_norm_checks(Emit *e, Phase ph, const bool *only)
{
    for (int i = 0; i < e->g->n; i++) {
        const Node *n = e->g->nodes[i];
        if (n->op == OP_BN_STATS && e->p->live[i] && n->phase == ph && (!only || only[i]))
            em_line(e, "if (!%s || !%s) return BP_ENULL;", state_field(e, n, "mean"), state_field(e, n, "var"));
    }
}

/* P_init: running means 0, running variances 1 (PyTorch's initial values). */
void em_norm_init(Emit *e)
{
    for (int i = 0; i < e->g->n; i++) {
        const Node *n = e->g->nodes[i];
        if (n->op != OP_BN_STATS)
            continue;
        const char *rm = state_field(e, n, "mean"), *rv = state_field(e, n, "var");
        em_line(e, "if (%s && %s) {   /* batchnorm state */", rm, rv);
        em_line(e, "    for (int64_t k = 0; k < %s; k++) {", em_extent(e, n->shape.d[1]));
        em_line(e, "        %s[k] = 0;", rm);
        em_line(e, "        %s[k] = 1;", rv);
        em_line(e, "    }");
        em_line(e, "}");
    }
}
