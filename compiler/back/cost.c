/* cost: `bpc explain --cost` — each statement of the planned code with its
 * .bp line, an estimate of its floating-point operations and the bytes it
 * must move (every buffer it reads and writes, once: compulsory traffic),
 * the totals of each pass, and the workspace against the naive sum of every
 * intermediate. Symbolic dims are taken as COST_DIM, and a derived dim
 * (N*T, N-1) as its polynomial at that value. */
#include <string.h>
#include "dims.h"
#include "emit.h"
#include "model.h"

enum { COST_DIM = 64 };

typedef struct Cost {
    const Plan *p;
    size_t elem;          /* bytes of a float element          */
    bool *seen;           /* by id: a buffer already counted    */
    double flops, bytes;
} Cost;

/* Extent e with every symbolic dim at COST_DIM (at least 1). */
static double extent_value(const Graph *g, Extent e)
{
    if (e > 0)
        return (double)e;
    DimPoly p = dims_poly(g, e);
    double v = 0;
    for (int i = 0; i < p.n; i++) {
        double t = (double)p.t[i].c;
        for (int j = 0; j < p.t[i].n; j++)
            t *= COST_DIM;
        v += t;
    }
    return v >= 1 ? v : 1;
}

static double numel(const Graph *g, Shape s)
{
    double c = 1;
    for (int k = 0; k < s.rank; k++)
        c *= extent_value(g, s.d[k]);
    return c;
}

static bool is_buffer(const Plan *p, const Node *n) { return p->mat[n->id] || p->home[n->id] == HOME_IO; }

/* A buffer the statement reads or writes: its bytes, once. */
static void touch(Cost *c, const Node *n)
{
    if (c->seen[n->id] || (op_info[n->op].kind == K_LEAF && !op_has(n->op, F_DATA)))
        return;
    c->seen[n->id] = true;
    c->bytes += numel(c->p->g, n->shape) * (double)(n->is_int ? 4 : c->elem);
}

/* The elementwise ops of n's fused expression, per element; its buffers read. */
static double fused_ops(Cost *c, const Node *n, bool top, int depth)
{
    if (!top && (is_buffer(c->p, n) || depth > FUSE_MAX_DEPTH * 2)) {
        touch(c, n);
        return 0;
    }
    double ops = op_info[n->op].kind == K_EWISE;
    for (int k = 0; k < n->nin; k++)
        ops += fused_ops(c, n->in[k], false, depth + 1);
    return ops;
}

/* k of a matrix product: the inner extent. */
static double inner(const Graph *g, const Node *mm)
{
    Shape a = mm->in[0]->shape;
    if (a.rank == 1)
        return numel(g, a);
    return extent_value(g, a.d[mm->ta ? a.rank - 2 : a.rank - 1]);
}

/* The rules of ops_cost.def: FLOPs of one op node (formulas in the table). */
static double cost_matmul(const Cost *c, const Node *n) { return 2 * numel(c->p->g, n->shape) * inner(c->p->g, n); }

/* sum_batch(Aᵀ @ B) = C [m, n]: one GEMM over the batch folded into k, so A's
 * elements (batch k m) times n multiply-adds */
static double cost_matmul_sum(const Cost *c, const Node *n)
{
    return 2 * numel(c->p->g, n->in[0]->shape) * extent_value(c->p->g, n->shape.d[n->shape.rank - 1]);
}

/* A filter's elements per output channel (C KH KW): filter [F, C, KH, KW]. */
static double per_channel(const Graph *g, Shape w) { return numel(g, w) / extent_value(g, w.d[0]); }

/* conv2d(x, w) = y [N, F, OH, OW] */
static double cost_conv2d(const Cost *c, const Node *n)
{
    return 2 * numel(c->p->g, n->shape) * per_channel(c->p->g, n->in[1]->shape);
}

/* conv2d_dw(dy, x) = dw [F, C, KH, KW] */
static double cost_conv2d_dw(const Cost *c, const Node *n)
{
    return 2 * numel(c->p->g, n->in[0]->shape) * per_channel(c->p->g, n->shape);
}

/* conv2d_dx(dy, w) = dx [N, C, H, W] */
static double cost_conv2d_dx(const Cost *c, const Node *n)
{
    return 2 * numel(c->p->g, n->in[0]->shape) * per_channel(c->p->g, n->in[1]->shape);
}

typedef double (*CostRule)(const Cost *c, const Node *n);
static const CostRule op_cost[OP_COUNT_] = {
#define COST(id, rule) [OP_##id] = rule,
#include "ops_cost.def"
#undef COST
};

/* FLOPs of kernel node n alone: its ops_cost.def rule, else about five
 * operations an element of its first operand (softmax, losses, ...). */
static double kernel_flops(const Cost *c, const Node *n)
{
    return op_cost[n->op] ? op_cost[n->op](c, n) : 5 * numel(c->p->g, n->in[0]->shape);
}

static void statement_cost(Cost *c, const Node *n)
{
    const Graph *g = c->p->g;
    const Plan *p = c->p;
    OpClass kind = op_info[n->op].kind;
    if (p->fusion_of[n->id] >= 0) {   /* the kernel, and one operation an element per fused extra */
        const Fusion *f = &p->fusions[p->fusion_of[n->id]];
        for (int k = 0; k < f->kernel->nin; k++)
            touch(c, f->kernel->in[k]);
        Node *extra[] = { f->bias, f->mask, f->addend, f->scale, f->colsum, f->root };
        double per = 0;
        for (int k = 0; k < 6; k++)
            if (extra[k])
                touch(c, extra[k]), per += k < 5;
        c->flops += kernel_flops(c, f->kernel) + per * numel(g, n->shape);
    } else if (kind == K_REDUCE) {
        c->flops += numel(g, n->in[0]->shape) * (1 + fused_ops(c, n->in[0], is_buffer(p, n->in[0]) ? false : true, 0));
        touch(c, n);
    } else if (kind == K_KERNEL) {
        for (int k = 0; k < n->nin; k++)
            touch(c, n->in[k]);
        touch(c, n);
        c->flops += kernel_flops(c, n);
    } else {
        c->flops += numel(g, n->shape) * fused_ops(c, n, true, 0);
        touch(c, n);
    }
}

/* v exactly below 100k, else to 3 digits with k, M, G, T. */
static const char *human(double v, char *buf, size_t len)
{
    static const char *const units[] = { "", "k", "M", "G", "T" };
    if (v < 100000) {
        snprintf(buf, len, "%.0f", v);
        return buf;
    }
    int u = 0;
    while (v >= 1000 && u < 4)
        v /= 1000, u++;
    snprintf(buf, len, "%.3g%s", v, units[u]);
    return buf;
}

/* One pass's statements and its totals. */
static void section(Emit *e, Cost *c, Phase ph, FILE *out)
{
    double flops = 0, bytes = 0;
    char b1[32], b2[32];
    for (int i = 0; i < e->g->n; i++) {
        const Node *n = e->g->nodes[i];
        if (!e->p->live[i] || !e->p->mat[i] || n->phase != ph || e->p->in_fusion[i] || op_info[n->op].kind == K_LEAF)
            continue;
        c->flops = c->bytes = 0;
        memset(c->seen, 0, (size_t)e->g->n + 1);
        statement_cost(c, n);
        flops += c->flops, bytes += c->bytes;
        const char *lhs = e->p->home[i] == HOME_IO ? e->p->field[i] : e->p->cname[i];
        const char *text = arena_printf(e->g->arena, "%s = %s", lhs, em_render(e, n, 0));
        int w = (int)strlen(text);
        for (const char *s = text; *s; s++)
            w -= ((unsigned char)*s & 0xC0) == 0x80;
        if (w > 44)
            text = arena_printf(e->g->arena, "%.41s...", text), w = 44;
        fprintf(out, "  %4d  %s%*s %-12s %10s %10s\n", n->line, text, 44 - w, "", shape_str(e->g, n->shape),
                human(c->flops, b1, sizeof b1), human(c->bytes, b2, sizeof b2));
    }
    fprintf(out, "  total %-57s %10s %10s\n", ph == PH_FORWARD ? "forward" : "backward", human(flops, b1, sizeof b1),
            human(bytes, b2, sizeof b2));
}

/* The workspace: each region as big as its largest tenant, against the sum of all. */
static void workspace(const Plan *p, const Graph *g, size_t elem, FILE *out)
{
    double ws = 0, naive = 0;
    char b1[32], b2[32];
    for (int r = 0; r < p->nregions; r++) {
        double big = 0;
        for (int k = 0; k < p->regions[r].n; k++) {
            const Node *n = g->nodes[p->regions[r].members[k]];
            double b = numel(g, n->shape) * (double)(n->is_int ? 4 : elem);
            naive += b;
            big = b > big ? b : big;
        }
        ws += big;
    }
    fprintf(out, "workspace: %d region%s, %sB; the intermediates sum to %sB (%.0f%%)\n", p->nregions,
            p->nregions == 1 ? "" : "s", human(ws, b1, sizeof b1), human(naive, b2, sizeof b2),
            naive > 0 ? 100 * ws / naive : 100.0);
}

void cost_print(bpc_model *m, FILE *out)
{
    const Graph *g = m->g;
    Emit e = { .g = m->g, .P = m->name, .real = "float", .sfx = "f", .p = m->plan };
    e.used = arena_alloc(g->arena, (size_t)g->n + 1);
    Cost c = { .p = m->plan, .elem = m->opt.dtype == BP_F64 ? 8 : 4 };
    c.seen = arena_alloc(g->arena, (size_t)g->n + 1);
    fprintf(out, "cost: FLOPs (estimated for kernels other than GEMM and conv) and bytes read + written once, %s",
            c.elem == 8 ? "f64" : "f32");
    if (g->nsym)
        fprintf(out, "; symbolic dims taken as %d", COST_DIM);
    fprintf(out, "\n  %4s  %-44s %-12s %10s %10s\nforward\n", "line", "statement", "shape", "FLOPs", "bytes");
    section(&e, &c, PH_FORWARD, out);
    if (g->target) {
        fprintf(out, "backward\n");
        section(&e, &c, PH_BACKWARD, out);
    }
    workspace(m->plan, g, c.elem, out);
}
