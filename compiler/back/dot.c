/* dot: `bpc graph` — the forward and backward graph for Graphviz. Forward
 * ops are blue, backward ops red; fused ops are dashed, buffers solid. */
#include "emit.h"
#include "model.h"

static const char *label(Emit *e, const Node *n)
{
    const char *name = n->name ? n->name : e->p->cname[n->id];
    return arena_printf(e->g->arena, "%s\\n%s %s", name, op_info[n->op].name, shape_str(e->g, n->shape));
}

void dot_print(const bpc_model *m, FILE *out)
{
    Graph *g = m->g;
    Emit e = { .g = g, .P = m->name };
    e.p = m->plan;
    fprintf(out, "digraph %s {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n", m->name);
    for (int i = 0; i < g->n; i++) {
        const Node *n = g->nodes[i];
        if (!e.p->live[i] || n->op == OP_CONST)
            continue;
        const char *color = op_info[n->op].kind == K_LEAF ? "black" : n->phase == PH_FORWARD ? "blue" : "red";
        const char *style = e.p->mat[i] || e.p->home[i] == HOME_IO ? "solid" : "dashed";
        fprintf(out, "  n%d [label=\"%s\", color=%s, style=%s];\n", i, label(&e, n), color, style);
        for (int k = 0; k < n->nin; k++)
            if (n->in[k]->op != OP_CONST)
                fprintf(out, "  n%d -> n%d;\n", n->in[k]->id, i);
    }
    fprintf(out, "}\n");
}
