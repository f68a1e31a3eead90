/* lines: which line of the .bp file each forward node belongs to, for the
 * generated code's --check-finite messages and --line-directives. */
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
