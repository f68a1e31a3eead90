/* explain: `bpc explain` — the derivation as a worked example: each forward
 * statement with its shape, then each backward one with the rules that
 * produced it, in the order the generated code computes them. */
#include <string.h>
#include "emit.h"
#include "model.h"

enum { PLAN_REPORT_DIM = 64 };   /* a symbolic dim's extent in the plan report */

/* Distinct derivative rules of n and of the ops fused into it. */
static void collect_rules(const Plan *p, const Node *n, const char **rules, int *nrules, int max, int depth)
{
    if (n->rule) {
        bool seen = false;
        for (int i = 0; i < *nrules; i++)
            seen |= strcmp(rules[i], n->rule) == 0;
        if (!seen && *nrules < max)
            rules[(*nrules)++] = n->rule;
    }
    if (depth > 8)
        return;
    for (int k = 0; k < n->nin; k++) {
        const Node *in = n->in[k];
        if (!p->mat[in->id] && p->home[in->id] == HOME_NONE && in->phase == PH_BACKWARD)
            collect_rules(p, in, rules, nrules, max, depth + 1);
    }
}

static void statement(Emit *e, const Node *n, FILE *out)
{
    const char *lhs = e->p->home[n->id] == HOME_IO ? e->p->field[n->id] : e->p->cname[n->id];
    const char *rhs = em_render(e, n, 0);
    int w = fprintf(out, "%*s  %-10s = %s", 4 * e->indent, "", lhs, rhs);
    for (const char *c = rhs; *c; c++)
        w -= ((unsigned char)*c & 0xC0) == 0x80;   /* columns are characters */
    fprintf(out, "%*s%s\n", w < 58 ? 58 - w : 1, "", shape_str(e->g, n->shape));
    if (n->phase != PH_BACKWARD)
        return;
    const char *rules[8];
    int nrules = 0;
    collect_rules(e->p, n, rules, &nrules, 8, 0);
    for (int i = 0; i < nrules; i++)
        fprintf(out, "%*s      by %s\n", 4 * e->indent, "", rules[i]);
}

static void section(Emit *e, Phase ph, FILE *out)
{
    for (int i = 0; i < e->g->n; i++) {
        const Node *n = e->g->nodes[i];
        if (e->p->live[i] && e->p->mat[i] && n->phase == ph && !explain_loop(e, n, out))
            statement(e, n, out);
    }
    for (int i = 0; i < e->p->ncopies; i++)
        if (e->p->copies[i].phase == ph)
            fprintf(out, "  %-10s = %s\n", e->p->copies[i].field, em_render(e, e->p->copies[i].node, 1));
}

static Emit explain_ctx(const bpc_model *m)
{
    Emit e = { .g = m->g, .P = m->name, .real = "float", .sfx = "f" };
    e.p = m->plan;
    e.used = arena_alloc(m->g->arena, (size_t)m->g->n + 1);
    return e;
}

void explain_print(const bpc_model *m, FILE *out)
{
    const Graph *g = m->g;
    Emit e = explain_ctx(m);
    fprintf(out, "forward: each statement with its shape\n");
    section(&e, PH_FORWARD, out);
    if (!g->target)
        return;
    fprintf(out, "\nbackward: d %s / d", g->target_name);
    for (int i = 0; i < g->ngrads; i++)
        fprintf(out, "%s %s", i ? "," : "", g->decls[g->grads[i].decl].name);
    fprintf(out, ", seeded with %s\n", g->grad_in ? g->grad_in->name : arena_printf(g->arena, "d%s = 1", g->target_name));
    section(&e, PH_BACKWARD, out);
}

/* --emit=plan: every buffer, its region, and the workspace against the sum of intermediates. */
void plan_print(bpc_model *m, FILE *out)
{
    Emit e = explain_ctx(m);
    const Graph *g = m->g;
    int64_t total_const = 0, ws_const = 0;
    fprintf(out, "%-12s %-8s %-14s %s\n", "tensor", "region", "shape", "lifetime");
    for (int i = 0; i < g->n; i++) {
        if (!e.p->live[i] || e.p->home[i] != HOME_WS)
            continue;
        fprintf(out, "%-12s %-8d %-14s %s\n", e.p->cname[i], e.p->region[i], shape_str(g, g->nodes[i]->shape),
                g->nodes[i]->phase == PH_FORWARD ? "forward" : "backward");
    }
    for (int r = 0; r < e.p->nregions; r++) {
        int64_t big = 0;
        for (int k = 0; k < e.p->regions[r].n; k++) {
            Shape s = g->nodes[e.p->regions[r].members[k]]->shape;
            int64_t c = 1;
            for (int d = 0; d < s.rank; d++)
                c *= s.d[d] > 0 ? s.d[d] : PLAN_REPORT_DIM;
            total_const += c;
            if (c > big)
                big = c;
        }
        ws_const += big;
    }
    fprintf(out, "workspace: %d regions hold %lld elements; the intermediates sum to %lld (%.0f%%)",
            e.p->nregions, (long long)ws_const, (long long)total_const,
            total_const ? 100.0 * (double)ws_const / (double)total_const : 100.0);
    if (g->nsym)
        fprintf(out, ", symbolic dims taken as %d", PLAN_REPORT_DIM);
    fprintf(out, "\n");
}
