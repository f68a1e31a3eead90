/* lower: statements — declarations, bindings, outputs, grad and optimize —
 * and the warnings about what is declared but unused. */
#include <math.h>
#include <string.h>
#include "dims.h"
#include "lower.h"

static const char *kind_word[] = { "a dim", "an input", "a param", "a binding", "a def" };

static Sym *define(Lower *l, const char *name, SymKind kind, Span span)
{
    bool existed;
    Sym *s = symtab_add(&l->syms, name, kind, span, &existed);
    if (!existed)
        return s;
    diag_error(l->diags, span, "redefinition of '%s'; every name is bound once", name);
    diag_note(l->diags, s->span, "'%s' was first defined here as %s", name, kind_word[s->kind]);
    return NULL;
}

static int add_decl(Lower *l, Decl d)
{
    ARENA_PUSH(l->arena, l->g->decls, l->g->ndecls, l->g->cdecls, d);
    return l->g->ndecls - 1;
}

/* dim N, D = 784 */
static void lower_dims(Lower *l, const Stmt *st)
{
    for (int i = 0; i < st->ndims; i++) {
        const AstDimDecl *dd = &st->dims[i];
        Decl d = { .kind = DECL_DIM, .name = dd->name, .span = dd->span, .sym = -1 };
        double v;
        bool ok = true;
        if (dd->value) {
            ok = lower_const(l, dd->value, &v);
            if (ok && (v != floor(v) || v < 1 || v > ldexp(1, MAX_EXTENT_LOG2))) {
                diag_error(l->diags, dd->value->span, "dim '%s' must be an integer from 1 to 2^%d, found %g",
                           dd->name, MAX_EXTENT_LOG2, v);
                ok = false;
            }
            d.value = ok ? (int64_t)v : 0;
        } else {
            d.sym = l->g->nsym;
            ARENA_PUSH(l->arena, l->g->sym_decl, l->g->nsym, l->g->csym, -1);
        }
        Sym *s = define(l, dd->name, SYM_DIM, dd->span);
        if (s && ok)
            s->decl = add_decl(l, d);   /* a failed dim stays decl -1: its uses stay quiet */
        if (s && ok && d.sym >= 0)
            l->g->sym_decl[d.sym] = s->decl;
    }
}

/* The extents of input/param x[N, 784]; false after reporting. */
static bool lower_shape(Lower *l, const Stmt *st, Shape *out)
{
    if (st->rank > MAX_RANK) {
        diag_error(l->diags, st->shape[MAX_RANK].span, "'%s' has rank %d; at most %d axes are supported",
                   st->name, st->rank, MAX_RANK);
        return false;
    }
    double elems = 1;
    out->rank = st->rank;
    for (int i = 0; i < st->rank; i++) {
        const AstDim *e = &st->shape[i];
        if (!e->name) {
            if (e->value > ((int64_t)1 << MAX_EXTENT_LOG2)) {
                diag_error(l->diags, e->span, "extent %lld is too large (at most 2^%d)", (long long)e->value, MAX_EXTENT_LOG2);
                return false;
            }
            out->d[i] = e->value;
            elems *= (double)e->value;
            continue;
        }
        Sym *s = symtab_find(&l->syms, e->name);
        if (s && s->kind == SYM_DIM && s->decl < 0)
            return false;   /* reported where it was declared */
        if (!s || s->kind != SYM_DIM) {
            const char *hint = symtab_suggest(&l->syms, e->name, NULL, 0);
            diag_error(l->diags, e->span, "'%s' is not a dim%s%s%s", e->name, s ? "" : "; declare it with `dim ",
                       s ? "" : e->name, s ? "" : "`");
            if (hint && !s)
                diag_note(l->diags, e->span, "did you mean '%s'?", hint);
            return false;
        }
        s->used = true;
        const Decl *d = &l->g->decls[s->decl];
        out->d[i] = d->sym >= 0 ? -(Extent)d->sym - 1 : d->value;
        elems *= d->sym >= 0 ? 1 : (double)d->value;
    }
    if (elems > ldexp(1, MAX_ELEMS_LOG2)) {
        diag_error(l->diags, st->name_span, "'%s' has %g elements; at most 2^%d are supported", st->name, elems, MAX_ELEMS_LOG2);
        return false;
    }
    return true;
}

static const struct { const char *name; InitKind kind; int nargs; } inits[] = {
    { "zeros", INIT_ZEROS, 0 }, { "ones", INIT_ONES, 0 }, { "normal", INIT_NORMAL, 1 },
    { "uniform", INIT_UNIFORM, 2 }, { "xavier", INIT_XAVIER, 0 }, { "he", INIT_HE, 0 },
};

/* ~ he, ~ normal(0.01), ~ uniform(-1, 1) */
static bool lower_init(Lower *l, const Ast *e, Decl *d)
{
    if (!e)
        return true;
    if (e->kind == AST_NAME || e->kind == AST_CALL) {
        for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
            if (strcmp(inits[i].name, e->name) != 0)
                continue;
            int given = e->kind == AST_CALL ? e->nargs : 0;
            if (given != inits[i].nargs) {
                diag_error(l->diags, e->span, "initializer %s takes %d argument%s, found %d", inits[i].name,
                           inits[i].nargs, inits[i].nargs == 1 ? "" : "s", given);
                return false;
            }
            d->init = inits[i].kind;
            if (given >= 1 && !lower_const(l, e->args[0].value, &d->init_a))
                return false;
            if (given >= 2 && !lower_const(l, e->args[1].value, &d->init_b))
                return false;
            return true;
        }
    }
    diag_error(l->diags, e->span, "unknown initializer; expected zeros, ones, normal(std), uniform(lo, hi), xavier or he");
    return false;
}

/* input x[N, D] : int   /   param W[D, H] ~ he */
static void lower_tensor_decl(Lower *l, const Stmt *st)
{
    bool is_param = st->kind == ST_PARAM;
    Decl d = { .kind = is_param ? DECL_PARAM : DECL_INPUT, .name = st->name, .span = st->name_span,
               .is_int = st->is_int, .sym = -1 };
    bool ok = lower_shape(l, st, &d.shape) && (!is_param || lower_init(l, st->expr, &d));
    Sym *s = define(l, st->name, is_param ? SYM_PARAM : SYM_INPUT, st->name_span);
    if (!s || !ok)
        return;   /* a failed declaration stays without a node: its uses stay quiet */
    s->decl = add_decl(l, d);
    Node proto = { .op = is_param ? OP_PARAM : OP_INPUT, .shape = d.shape, .is_int = d.is_int,
                   .decl = s->decl, .name = st->name, .span = st->name_span };
    s->node = l->g->decls[s->decl].node = ir_make(l->g, &proto, NULL);
}

/* def f(a, b) = body: parameters distinct; body names checked at each call. */
static void lower_def(Lower *l, const Stmt *st)
{
    for (int i = 0; i < st->nnames; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(st->names[i].name, st->names[j].name) == 0) {
                diag_error(l->diags, st->names[i].span, "parameter '%s' appears twice in def '%s'", st->names[i].name, st->name);
                return;
            }
    Sym *s = define(l, st->name, SYM_DEF, st->name_span);
    if (s)
        s->def = st;
}

static void lower_bind(Lower *l, const Stmt *st)
{
    if (symtab_find(&l->syms, st->name)) {
        define(l, st->name, SYM_BIND, st->name_span);
        return;
    }
    Node *n = lower_expr(l, st->expr);
    Sym *s = define(l, st->name, SYM_BIND, st->name_span);
    s->node = n;   /* NULL after an error: later uses stay quiet */
    if (!n)
        return;
    if (!n->name)
        n->name = st->name, n->span = st->name_span;
}

/* A name that must denote a float tensor (outputs, targets). */
static Node *tensor_named(Lower *l, const char *name, Span span, const char *role)
{
    Node *dead;
    if (lower_loop_name(l, name, span, &dead))
        return NULL;
    Sym *s = symtab_find(&l->syms, name);
    if (s && s->kind != SYM_DEF && s->kind != SYM_DIM && !s->node)
        return NULL;   /* its definition was reported */
    if (!s || s->kind == SYM_DEF || s->kind == SYM_DIM) {
        const char *hint = s ? NULL : symtab_suggest(&l->syms, name, NULL, 0);
        diag_error(l->diags, span, "%s '%s' is not a tensor defined above%s%s%s", role, name,
                   hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        return NULL;
    }
    if (s->node->is_int) {
        diag_error(l->diags, span, "%s '%s' holds int labels; only float tensors can be %ss", role, name, role);
        return NULL;
    }
    s->used = true;
    return s->node;
}

/* An input or param is already a field of the io struct: `output` names
 * bindings. Reports it (and marks the name used) and returns true. */
static bool output_is_declared(Lower *l, const AstIdent *r)
{
    Sym *s = symtab_find(&l->syms, r->name);
    if (!s || (s->kind != SYM_INPUT && s->kind != SYM_PARAM) || (s->node && s->node->is_int))
        return false;   /* labels get tensor_named's message */
    s->used = true;
    const char *kind = s->kind == SYM_INPUT ? "an input" : "a param";
    diag_error(l->diags, r->span, "'%s' is %s, already a field of the io struct; `output` takes a binding "
               "(write `%s_out = %s` and output that to get a copy)", r->name, kind, r->name, r->name);
    return true;
}

/* The shape with each derived product of declared dims split into its
 * factors ([N*T, V] as "[N, T, V]"), or NULL when that is not a shape. */
static const char *split_shape(Lower *l, Shape s)
{
    const char *r = NULL;
    int rank = 0;
    char buf[64];
    for (int i = 0; i < s.rank; i++) {
        DimPoly p = dims_poly(l->g, s.d[i]);
        bool product = dims_is_derived(s.d[i]) && p.n == 1 && p.t[0].c == 1;
        if (dims_is_derived(s.d[i]) && !product)
            return NULL;
        for (int k = 0; k < (product ? p.t[0].n : 1); k++, rank++) {
            const char *f = product ? extent_str(l->g, -(Extent)p.t[0].sym[k] - 1, buf, sizeof buf)
                                    : extent_str(l->g, s.d[i], buf, sizeof buf);
            r = r ? arena_printf(l->arena, "%s, %s", r, f) : arena_strdup(l->arena, f);
        }
    }
    return rank <= MAX_RANK ? arena_printf(l->arena, "[%s]", r ? r : "") : NULL;
}

/* An output, target or gradient seed is described to the caller in declared
 * dims only (bp_tensor_info.dims, SPEC §3): false after reporting when t's
 * shape has a derived extent (N*T, N+M, N-1). */
static bool io_shape_ok(Lower *l, const Node *t, const char *name, Span span, const char *role)
{
    for (int i = 0; i < t->shape.rank; i++)
        if (dims_is_derived(t->shape.d[i])) {
            const char *split = split_shape(l, t->shape);
            diag_error(l->diags, span, "%s '%s' has the shape %s; an io field's extents are constants or declared dims, "
                       "not %s%s%s", role, name, shape_str(l->g, t->shape),
                       extent_str(l->g, t->shape.d[i], (char[64]){ 0 }, 64),
                       split ? arena_printf(l->arena, ": reshape it back, e.g. reshape(%s, %s)", name, split) : "",
                       split ? "" : ": slice or reshape it to declared dims first");
            return false;
        }
    return true;
}

static void lower_outputs(Lower *l, const Stmt *st)
{
    Graph *g = l->g;
    for (int i = 0; i < st->nnames; i++) {
        if (output_is_declared(l, &st->names[i]))
            continue;
        Node *n = tensor_named(l, st->names[i].name, st->names[i].span, "output");
        if (!n || !io_shape_ok(l, n, st->names[i].name, st->names[i].span, "output"))
            continue;
        bool existed = false;
        l->outputs.arena = l->arena;
        symtab_add(&l->outputs, st->names[i].name, SYM_BIND, st->names[i].span, &existed);
        if (existed) {
            diag_error(l->diags, st->names[i].span, "'%s' is already an output", st->names[i].name);
        } else {
            Output o = { st->names[i].name, n, st->names[i].span };
            ARENA_PUSH(l->arena, g->outputs, g->noutputs, g->coutputs, o);
        }
    }
}

static bool set_target(Lower *l, const Stmt *st)
{
    Graph *g = l->g;
    if (g->target_name && strcmp(g->target_name, st->name) != 0) {
        diag_error(l->diags, st->name_span, "a model has one grad target; '%s' is already the target", g->target_name);
        diag_note(l->diags, g->target_span, "the target was set here");
        return false;
    }
    Node *t = tensor_named(l, st->name, st->name_span, "grad target");
    if (!t || !io_shape_ok(l, t, st->name, st->name_span, "grad target"))
        return false;
    g->target_name = st->name;
    g->target_span = st->name_span;
    g->target = t;
    g->has_grad = true;
    return true;
}

static void add_wrt(Lower *l, int decl)
{
    Graph *g = l->g;
    arena_grow(l->arena, (void **)&l->wrt, &l->cwrt, decl + 1, sizeof *l->wrt);   /* new room is zeroed */
    if (l->wrt[decl])
        return;
    l->wrt[decl] = true;
    Grad gr = { decl, NULL };
    ARENA_PUSH(l->arena, g->grads, g->ngrads, g->cgrads, gr);
}

static void add_all_params(Lower *l)
{
    for (int i = 0; i < l->g->ndecls; i++)
        if (l->g->decls[i].kind == DECL_PARAM)
            add_wrt(l, i);
}

/* grad T [wrt a, b] */
static void lower_grad(Lower *l, const Stmt *st)
{
    if (!set_target(l, st))
        return;
    if (!st->has_wrt)
        add_all_params(l);
    for (int i = 0; i < st->nnames; i++) {
        Sym *s = symtab_find(&l->syms, st->names[i].name);
        if (s && (s->kind == SYM_INPUT || s->kind == SYM_PARAM) && s->decl < 0)
            continue;   /* reported where it was declared */
        if (!s || (s->kind != SYM_INPUT && s->kind != SYM_PARAM)) {
            diag_error(l->diags, st->names[i].span, "cannot differentiate with respect to '%s': expected an input or a param%s",
                       st->names[i].name, s ? arena_printf(l->arena, ", found %s", kind_word[s->kind]) : "");
            continue;
        }
        if (l->g->decls[s->decl].is_int) {
            diag_error(l->diags, st->names[i].span, "cannot differentiate with respect to '%s': it holds int labels", st->names[i].name);
            continue;
        }
        add_wrt(l, s->decl);
    }
}

/* A hyperparameter: a constant, or the name of a rank-0 float input. */
static bool lower_hyper(Lower *l, const Ast *e, Hyper *h)
{
    if (e->kind == AST_NAME) {
        Sym *s = symtab_find(&l->syms, e->name);
        if (s && s->kind == SYM_INPUT && s->decl < 0)
            return false;
        if (!s || s->kind != SYM_INPUT || l->g->decls[s->decl].shape.rank != 0 || l->g->decls[s->decl].is_int) {
            diag_error(l->diags, e->span, "a hyperparameter is a number or the name of a rank-0 float input; '%s' is not", e->name);
            return false;
        }
        s->used = l->g->decls[s->decl].used = true;
        h->decl = s->decl;
        return true;
    }
    h->decl = -1;
    return lower_const(l, e, &h->value);
}

static const struct { const char *name; OptKind kind; const char *params[4]; } optimizers[] = {
    { "sgd", OPT_SGD, { "lr" } },
    { "momentum", OPT_MOMENTUM, { "lr", "mu" } },
    { "adam", OPT_ADAM, { "lr", "beta1", "beta2", "eps" } },
};

static Hyper *hyper_slot(Graph *g, const char *name)
{
    return strcmp(name, "lr") == 0 ? &g->lr : strcmp(name, "mu") == 0 ? &g->mu : strcmp(name, "beta1") == 0 ? &g->beta1
         : strcmp(name, "beta2") == 0 ? &g->beta2 : &g->eps;
}

static bool lower_opt_args(Lower *l, const Ast *c, int o)
{
    for (int i = 0; i < c->nargs; i++) {
        const AstArg *a = &c->args[i];
        int k = -1;
        for (int j = 0; j < 4 && optimizers[o].params[j]; j++)
            if (a->key ? strcmp(a->key, optimizers[o].params[j]) == 0 : j == i)
                k = j;
        if (k < 0) {
            diag_error(l->diags, a->key ? a->key_span : a->value->span, "%s takes %s", optimizers[o].name,
                       o == 0 ? "lr" : o == 1 ? "lr and mu" : "lr, beta1, beta2 and eps");
            return false;
        }
        if (!lower_hyper(l, a->value, hyper_slot(l->g, optimizers[o].params[k])))
            return false;
    }
    return true;
}

/* optimize T with sgd(lr = 0.1) */
static void lower_optimize(Lower *l, const Stmt *st)
{
    Graph *g = l->g;
    const Ast *c = st->expr;
    if (g->opt != OPT_NONE) {
        diag_error(l->diags, st->span, "a model has one optimize statement");
        return;
    }
    for (int o = 0; o < 3; o++) {
        if (strcmp(optimizers[o].name, c->name ? c->name : "") != 0)
            continue;
        g->lr = (Hyper){ 0.01, -1 };
        g->mu = (Hyper){ 0.9, -1 };
        g->beta1 = (Hyper){ 0.9, -1 };
        g->beta2 = (Hyper){ 0.999, -1 };
        g->eps = (Hyper){ 1e-8, -1 };
        if ((c->kind == AST_CALL && !lower_opt_args(l, c, o)) || !set_target(l, st))
            return;
        if (g->target->shape.rank != 0) {
            diag_error(l->diags, st->name_span, "optimize needs a scalar loss; '%s' has shape %s", st->name,
                       shape_str(g, g->target->shape));
            return;
        }
        g->opt = optimizers[o].kind;
        add_all_params(l);
        return;
    }
    diag_error(l->diags, c->span, "unknown optimizer; expected sgd(lr=..), momentum(lr=.., mu=..) or adam(lr=.., beta1=.., beta2=.., eps=..)");
}


static void warn_unused(Lower *l, const Module *m)
{
    Graph *g = l->g;
    bool *reach = arena_alloc(l->arena, (size_t)g->n + 1);
    if (g->target)
        ir_mark_deps(g, g->target, reach);
    for (int i = 0; i < g->ndecls; i++) {
        const Decl *d = &g->decls[i];
        if (d->kind == DECL_INPUT && !d->used)
            diag_warning(l->diags, d->span, "input '%s' is never used", d->name);
        if (d->kind == DECL_PARAM && g->target && d->node && !reach[d->node->id])
            diag_warning(l->diags, d->span, "param '%s' does not affect '%s'; its gradient is zero", d->name, g->target_name);
        else if (d->kind == DECL_PARAM && !d->used)
            diag_warning(l->diags, d->span, "param '%s' is never used", d->name);
    }
    for (int i = 0; i < m->n; i++) {
        const Stmt *st = m->stmts[i];
        Sym *s = st->kind == ST_DEF ? symtab_find(&l->syms, st->name) : NULL;
        if (s && s->kind == SYM_DEF && s->def == st && !s->used)
            diag_warning(l->diags, st->name_span, "def '%s' is never called", st->name);
    }
}

void lower_module(Lower *l, const Module *m)
{
    l->syms.arena = l->arena;
    for (int i = 0; i < m->n && !l->diags->stopped; i++) {
        const Stmt *st = m->stmts[i];
        switch (st->kind) {
        case ST_DIM: lower_dims(l, st); break;
        case ST_INPUT:
        case ST_PARAM: lower_tensor_decl(l, st); break;
        case ST_DEF: lower_def(l, st); break;
        case ST_BIND: lower_bind(l, st); break;
        case ST_OUTPUT: lower_outputs(l, st); break;
        case ST_GRAD: lower_grad(l, st); break;
        case ST_OPTIMIZE: lower_optimize(l, st); break;
        case ST_FOR: lower_for(l, st); break;
        }
    }
    if (l->diags->nerrors == 0)
        warn_unused(l, m);
}
