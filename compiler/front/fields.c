/* fields: the io struct's members in SPEC §3 order, and their name checks. */
#include <string.h>
#include "bp_common.h"
#include "fields.h"
#include "names.h"
#include "symtab.h"

static void add(const Graph *g, Fields *f, Field x)
{
    ARENA_PUSH(g->arena, f->items, f->n, f->cap, x);
}

static bool is_output(const Graph *g, const char *name)
{
    for (int i = 0; i < g->noutputs; i++)
        if (strcmp(g->outputs[i].name, name) == 0)
            return true;
    return false;
}

static void add_state(const Graph *g, Fields *f)
{
    static const char *const suffix[] = { "m", "v" };
    int nstate = g->opt == OPT_MOMENTUM ? 1 : g->opt == OPT_ADAM ? 2 : 0;
    for (int s = 0; s < nstate; s++)
        for (int i = 0; i < g->ndecls; i++) {
            const Decl *d = &g->decls[i];
            if (d->kind == DECL_PARAM)
                add(g, f, (Field){ arena_printf(g->arena, "%s_%s", d->name, suffix[s]), BP_STATE, BP_F32, d->shape,
                                   d->name, false, false, NULL, d->span });
        }
    bool dropout = ir_has_op(g, OP_DROPOUT);
    if (dropout)
        add(g, f, (Field){ "seed", BP_STATE, BP_I64, { 0, { 0 } }, NULL, false, true, NULL, { 0 } });
    if (g->opt == OPT_ADAM || dropout)
        add(g, f, (Field){ "step", BP_STATE, BP_I64, { 0, { 0 } }, NULL, false, true, NULL, { 0 } });
}

/* batchnorm's running averages: NAME_running_mean, NAME_running_var [C],
 * NAME the binding (norm_state_of) */
static void add_running(const Graph *g, Fields *f)
{
    static const char *const what[] = { "mean", "var" };
    for (int i = 0; i < g->n; i++) {
        const Node *n = g->nodes[i];
        if (n->op != OP_BN_STATS)
            continue;
        const char *of = norm_state_of(g, n);
        Span span = { 0 };
        for (int k = i + 1; k < g->n; k++)
            if (g->nodes[k]->op == OP_BATCHNORM && g->nodes[k]->in[1] == n)
                span = g->nodes[k]->span;
        Shape c = { 1, { n->shape.d[1] } };
        for (int s = 0; s < 2; s++)
            add(g, f, (Field){ arena_printf(g->arena, "%s_running_%s", of, what[s]), BP_STATE, BP_F32, c, of, false,
                               false, NULL, span });
    }
}

Fields *fields_build(const Graph *g)
{
    Fields *f = arena_alloc(g->arena, sizeof *f);
    for (int i = 0; i < g->ndecls; i++)
        if (g->decls[i].kind == DECL_DIM && g->decls[i].sym >= 0)
            add(g, f, (Field){ g->decls[i].name, BP_DIM, BP_I64, { 0, { 0 } }, NULL, false, true, NULL, g->decls[i].span });
    for (int kind = DECL_INPUT; kind <= DECL_PARAM; kind++)
        for (int i = 0; i < g->ndecls; i++) {
            const Decl *d = &g->decls[i];
            if ((int)d->kind == kind)
                add(g, f, (Field){ d->name, kind == DECL_INPUT ? BP_INPUT : BP_PARAM, d->is_int ? BP_I32 : BP_F32,
                                   d->shape, NULL, kind == DECL_INPUT, false, d->node, d->span });
        }
    for (int i = 0; i < g->noutputs; i++)
        add(g, f, (Field){ g->outputs[i].name, BP_OUTPUT, BP_F32, g->outputs[i].node->shape, NULL, false, false,
                           g->outputs[i].node, g->outputs[i].span });
    if (g->target && !is_output(g, g->target_name))
        add(g, f, (Field){ g->target_name, BP_TARGET, BP_F32, g->target->shape, NULL, false, false, g->target, g->target_span });
    for (int i = 0; i < g->ngrads; i++) {
        const Decl *d = &g->decls[g->grads[i].decl];
        add(g, f, (Field){ plan_grad_field(g, i), BP_GRAD, BP_F32, d->shape, d->name, false, false, g->grads[i].node, d->span });
    }
    if (g->grad_in)
        add(g, f, (Field){ g->grad_in->name, BP_GRAD_IN, BP_F32, g->grad_in->shape, g->target_name, true, false,
                           g->grad_in, g->target_span });
    add_running(g, f);
    add_state(g, f);
    return f;
}

/* A name like NAME that can be a field: NAME_, else m_ and NAME without
 * its leading underscores. */
static const char *rename_hint(Arena *a, const char *name, const char *prefix)
{
    const char *c = arena_printf(a, "%s_", name);
    if (!names_field_problem(c, prefix))
        return c;
    return arena_printf(a, "m_%s", name + strspn(name, "_"));
}

bool fields_check(const Fields *f, const char *prefix, Diags *d)
{
    Symtab seen = { .arena = d->arena };
    bool ok = true;
    for (int i = 0; i < f->n; i++) {
        const Field *x = &f->items[i];
        const char *why = names_field_problem(x->name, prefix);
        if (why) {
            diag_error(d, x->span, "'%s' cannot name a field of the generated io struct: it is %s; rename it (say, '%s')",
                       x->name, why, rename_hint(d->arena, x->name, prefix));
            ok = false;
        }
        bool existed;
        symtab_add(&seen, x->name, SYM_BIND, x->span, &existed);
        if (existed) {
            diag_error(d, x->span, "the generated io struct would have two fields named '%s'; rename one", x->name);
            ok = false;
        }
    }
    return ok;
}
