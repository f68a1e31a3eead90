/* ad: reverse-mode differentiation over the IR. The driver walks the graph
 * backwards from the target; each op's rule (ad_rules.c, named in ops.def)
 * builds the IR of its inputs' gradients. No Jacobian is ever formed. */
#ifndef BPC_AD_H
#define BPC_AD_H
#include "ir.h"

struct AdCtx {
    Graph *g;
    Node **grad;        /* by node id: the gradient accumulated so far   */
    bool *needs;        /* by node id: depends on a wrt tensor           */
    const char *rule;   /* formula of the rule running, for explain      */
};

/* Add gx to the gradient of x (if x's gradient is needed). */
void ad_accum(AdCtx *ad, Node *x, Node *gx);
/* Differentiate g->target with respect to g->grads[*].decl; fills g->grads[*].node. */
void ad_run(Graph *g);
#endif
