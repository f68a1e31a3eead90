/* dump: bpc_dump — the stages as text (--emit=ast|ir|grad|c|plan, explain, graph). */
#include "model.h"

void explain_print(const bpc_model *m, FILE *out);
void plan_print(bpc_model *m, FILE *out);
void dot_print(const bpc_model *m, FILE *out);
void cost_print(bpc_model *m, FILE *out);

static void dump_ir(const Graph *g, FILE *out, bool with_grad)
{
    int nfwd = g->nfwd ? g->nfwd : g->n;
    ir_dump(g, out, 0, nfwd);
    for (int i = 0; i < g->noutputs; i++)
        fprintf(out, "output %s = %%%d\n", g->outputs[i].name, g->outputs[i].node->id);
    if (g->target)
        fprintf(out, "target %s = %%%d\n", g->target_name, g->target->id);
    if (!with_grad)
        return;
    fprintf(out, "# backward\n");
    ir_dump(g, out, nfwd, g->n);
    for (int i = 0; i < g->ngrads; i++) {
        const Node *n = g->grads[i].node;
        if (n->op == OP_CONST)
            fprintf(out, "grad %s = %s\n", g->decls[g->grads[i].decl].name, node_label(g, n));
        else
            fprintf(out, "grad %s = %%%d\n", g->decls[g->grads[i].decl].name, n->id);
    }
}

static int dump_stage(bpc_model *m, int stage, FILE *out)
{
    if (stage == BPC_STAGE_AST && m->ast) {
        ast_dump(m->ast, out);
        return 0;
    }
    if (!bpc_ok(m))
        return -1;
    switch (stage) {
    case BPC_STAGE_IR: dump_ir(m->g, out, false); return 0;
    case BPC_STAGE_GRAD: dump_ir(m->g, out, true); return 0;
    case BPC_STAGE_EXPLAIN: explain_print(m, out); return 0;
    case BPC_STAGE_PLAN: plan_print(m, out); return 0;
    case BPC_STAGE_DOT: dot_print(m, out); return 0;
    case BPC_STAGE_COST: cost_print(m, out); return 0;
    case BPC_STAGE_C: {
        const char *h = bpc_c_header(m), *c = bpc_c_source(m);
        if (!h || !c)
            return -1;
        fputs(h, out);
        fputs(c, out);
        return 0;
    }
    default: return -1;
    }
}

/* Under a guard (arena.h): a failure part-way is an error on m and -1. */
int bpc_dump(bpc_model *m, int stage, FILE *out)
{
    if (!m || !out)
        return -1;
    Guard gd;
    guard_push(&gd);
    if (setjmp(gd.jb) == 0) {
        int rc = dump_stage(m, stage, out);
        guard_pop(&gd);
        return rc;
    }
    model_fail(m, gd.msg);
    return -1;
}
