/* lines: provenance for readers of the generated code — which line of the
 * .bp file each forward node belongs to (--check-finite, --line-directives)
 * and names for the temporaries that have an obvious one (h_pre). */
#include <string.h>
#include "ir.h"

/* Reverse topological order: every consumer of a node is seen before it, so
 * an unnamed node takes the earliest line among the statements using it; a
 * named node (a binding, an input, a param) keeps its own line. */
void ir_assign_lines(Graph *g)
{
    for (int i = g->n - 1; i >= 0; i--) {
        Node *n = g->nodes[i];
        if (n->name && n->span.line > 0)
            n->line = n->span.line;
        if (!n->line && n == g->target)
            n->line = g->target_span.line;
        for (int k = 0; k < n->nin && n->line; k++) {
            Node *in = n->in[k];
            if (!in->line || in->line > n->line)
                in->line = n->line;
        }
    }
}

/* Whether name is already a node's or a declaration's name. */
static bool name_taken(const Graph *g, const char *name)
{
    for (int i = 0; i < g->ndecls; i++)
        if (strcmp(g->decls[i].name, name) == 0)
            return true;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i]->name && strcmp(g->nodes[i]->name, name) == 0)
            return true;
    return false;
}

/* The value a named elementwise unary op reads, when nothing names it, is
 * its pre-activation: h = relu(x @ W + b) makes x @ W + b `h_pre` (and
 * autodiff then calls its gradient dh_pre). A name some binding or
 * declaration already has is left alone, and so is an op with a mode: a
 * batchnorm's state fields are named after the binding the user wrote
 * (norm_state_of), never after a name made up here. */
/* Whether n has a mode or reads state: dropout, a batchnorm (its input 1 is
 * its statistics). */
static bool moded(const Node *n)
{
    bool m = op_has(n->op, F_MODE);
    for (int k = 0; k < n->nin; k++)
        m |= op_has(n->in[k]->op, F_STATE);
    return m;
}

void ir_name_temps(Graph *g)
{
    for (int i = 0; i < g->n; i++) {
        Node *c = g->nodes[i], *u = c->nin == 1 ? c->in[0] : NULL;
        if (!c->name || op_info[c->op].kind != K_EWISE || !u || u->name || op_info[u->op].kind == K_LEAF ||
            op_info[u->op].kind == K_VIEW || moded(u))
            continue;
        const char *name = arena_printf(g->arena, "%s_pre", c->name);
        if (!name_taken(g, name))
            u->name = name;
    }
}
