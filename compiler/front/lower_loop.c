/* lower_loop: for-loops (SPEC §1 "Loops") — the bounds, the names a loop
 * carries, its body, and indices that name the loop variable (W[l],
 * xs[:, t, :]). The IR form is described in ir/loop.h. */
#include <string.h>
#include "loop.h"
#include "lower.h"

typedef struct LoopCtx {
    const Stmt *st;
    int k;              /* index in g->loops */
    Loop *L;
} LoopCtx;

Extent loop_stack_extent(const Loop *L) { return L->hi < 0 ? L->hi : L->hi > 0 ? L->hi : 1; }

/* ---- names ---- */

/* A name bound inside a finished loop and not bound again since. */
static Sym *dead_local(const Lower *l, const char *name)
{
    Sym *s = l->loop_dead.arena ? symtab_find(&l->loop_dead, name) : NULL;
    return s && s->kind == SYM_BIND ? s : NULL;
}

bool lower_loop_name(Lower *l, const char *name, Span span, Node **out)
{
    *out = NULL;
    if (l->loop && strcmp(name, l->loop->L->var) == 0) {
        diag_error(l->diags, span, "the loop variable '%s' can only index a tensor, as in W[%s] or xs[:, %s, :]", name,
                   name, name);
        return true;
    }
    Sym *dead = dead_local(l, name);
    if (!dead)
        return false;
    diag_error(l->diags, span, "'%s' is bound inside a for loop and does not exist after it; bind it before the loop "
               "to carry it out", name);
    diag_note(l->diags, dead->span, "'%s' is bound here, inside the loop", name);
    return true;
}

/* A bound: an integer constant >= 0 or a dim; false after reporting. */
static bool loop_bound(Lower *l, const Ast *a, LoopBound *out)
{
    if (a->kind == AST_NUM && a->is_int && a->num >= 0 && a->num <= (double)((int64_t)1 << 40)) {
        *out = (LoopBound)a->num;
        return true;
    }
    Sym *s = a->kind == AST_NAME ? symtab_find(&l->syms, a->name) : NULL;
    if (s && s->kind == SYM_DIM) {
        s->used = true;
        if (s->decl < 0)
            return false;   /* reported where it was declared */
        const Decl *d = &l->g->decls[s->decl];
        l->g->decls[s->decl].used = true;
        *out = d->sym < 0 ? d->value : -(LoopBound)d->sym - 1;
        return true;
    }
    diag_error(l->diags, a->span, "a loop bound must be an integer constant or a dim");
    return false;
}

static const char *bound_str(Lower *l, LoopBound b)
{
    char buf[64];
    return b >= 0 ? arena_printf(l->arena, "%lld", (long long)b) : arena_strdup(l->arena, extent_str(l->g, b, buf, sizeof buf));
}

/* Only bindings inside a loop; false after reporting what else is there. */
static bool body_is_bindings(Lower *l, const Stmt *st)
{
    static const char *const what[] = { "dim", "input", "param", "def", "", "output", "grad", "optimize", "" };
    bool ok = true;
    for (int i = 0; i < st->nbody; i++) {
        const Stmt *b = st->body[i];
        if (b->kind == ST_FOR) {
            diag_error(l->diags, b->span, "nested for loops are not supported; write the inner loop's steps out or "
                       "use one loop");
            ok = false;
        } else if (b->kind != ST_BIND) {
            bool decl = b->kind <= ST_DEF;
            diag_error(l->diags, b->span, "'%s' is not allowed inside a for loop, only bindings are; write it %s the loop",
                       what[b->kind], decl ? "before" : "after");
            ok = false;
        } else if (strcmp(b->name, st->name) == 0) {
            diag_error(l->diags, b->name_span, "cannot bind the loop variable '%s'", b->name);
            ok = false;
        }
    }
    return ok;
}

/* The names bound before the loop and rebound inside it, in order. */
static bool find_carried(Lower *l, const Stmt *st, Loop *L)
{
    for (int i = 0; i < st->nbody; i++) {
        const Stmt *b = st->body[i];
        Sym *s = symtab_find(&l->syms, b->name);
        if (s && s->kind == SYM_BIND && !s->node && !dead_local(l, b->name))
            return false;   /* its binding failed and was reported */
        if (!s || s->kind != SYM_BIND || !s->node || dead_local(l, b->name))
            continue;
        bool seen = false;
        for (int j = 0; j < L->ncarry; j++)
            seen |= strcmp(L->names[j], b->name) == 0;
        if (seen)
            continue;
        if (L->ncarry == LOOP_MAX_CARRY) {
            diag_error(l->diags, b->name_span, "a loop carries at most %d names; '%s' is one more", LOOP_MAX_CARRY,
                       b->name);
            return false;
        }
        if (s->node->is_int || s->node->shape.rank >= MAX_RANK) {
            diag_error(l->diags, b->name_span, "'%s' cannot be carried by a loop: %s", b->name,
                       s->node->is_int ? "it holds int labels" : "carried values have at most 3 axes");
            return false;
        }
        L->names[L->ncarry] = b->name;
        L->init[L->ncarry++] = s->node;
    }
    return true;
}

static Node *make_node(Lower *l, Node p)
{
    return ir_make(l->g, &p, NULL);
}

/* name = expr inside the loop: a carried name keeps its shape. */
static void lower_body_bind(Lower *l, const Stmt *b, Loop *L, int tag)
{
    int j = -1;
    for (int k = 0; k < L->ncarry; k++)
        if (strcmp(L->names[k], b->name) == 0)
            j = k;
    Sym *s = symtab_find(&l->syms, b->name);
    if (j < 0 && s && s->kind != SYM_BIND) {
        diag_error(l->diags, b->name_span, "redefinition of '%s'; every name is bound once", b->name);
        return;
    }
    Node *n = lower_expr(l, b->expr);
    if (!n)
        return;
    if (j >= 0 && (!shape_eq(n->shape, L->carry[j]->shape) || n->is_int)) {
        diag_error(l->diags, b->expr->span, "'%s' is carried by the loop with shape %s; this binding gives %s%s (a "
                   "carried name keeps its shape)", b->name, shape_str(l->g, L->carry[j]->shape), n->is_int ? "int labels " : "",
                   shape_str(l->g, n->shape));
        diag_note(l->diags, s->span, "'%s' is first bound here", b->name);
        return;
    }
    if (!s) {
        bool existed;
        s = symtab_add(&l->syms, b->name, SYM_BIND, b->name_span, &existed);
    }
    if (j < 0) {
        s->span = b->name_span;
        Sym *dead = dead_local(l, b->name);
        if (dead)
            dead->kind = SYM_DEF;   /* bound again, in this loop: alive until it ends */
    }
    s->node = n;
    if (!n->name && n->loop == tag)
        n->name = b->name, n->span = b->name_span;
}

/* The carried values' nodes at iteration start. */
static void make_carries(Lower *l, Loop *L, int k)
{
    for (int j = 0; j < L->ncarry; j++) {
        Node p = { .op = OP_LOOP_CARRY, .nin = 1, .in = { L->init[j] }, .shape = L->init[j]->shape, .nints = 2,
                   .ints = { k, j }, .name = L->names[j], .span = L->span };
        L->carry[j] = make_node(l, p);
        symtab_find(&l->syms, L->names[j])->node = L->carry[j];
    }
}

/* LOOP, and per carried name its value after the loop and its save stack. */
static void make_results(Lower *l, Loop *L, int k, int tag)
{
    Node loop = { .op = OP_LOOP, .nin = L->ncarry, .nints = 1, .ints = { k }, .span = L->span };
    for (int j = 0; j < L->ncarry; j++) {
        Node *n = symtab_find(&l->syms, L->names[j])->node;
        if (n->loop != tag || n->op == OP_LOOP_CARRY) {   /* a copy: the next values never alias */
            Node p = { .op = OP_LOOP_COPY, .nin = 1, .in = { n }, .shape = n->shape, .nints = 2, .ints = { k, j } };
            n = make_node(l, p);
        }
        L->next[j] = loop.in[j] = n;
    }
    L->fwd = make_node(l, loop);
    for (int j = 0; j < L->ncarry; j++) {
        Node o = { .op = OP_LOOP_OUT, .nin = 2, .in = { L->fwd, L->carry[j] }, .shape = L->carry[j]->shape, .nints = 2,
                   .ints = { k, j }, .name = L->names[j], .span = L->span };
        L->out[j] = make_node(l, o);
        Shape st = { L->carry[j]->shape.rank + 1, { loop_stack_extent(L) } };
        for (int a = 0; a < L->carry[j]->shape.rank; a++)
            st.d[a + 1] = L->carry[j]->shape.d[a];
        Node s = { .op = OP_LOOP_SAVE, .nin = 2, .in = { L->fwd, L->carry[j] }, .shape = st, .nints = 2,
                   .ints = { k, j }, .name = arena_printf(l->arena, "%s_saved", L->names[j]), .span = L->span };
        L->save[j] = make_node(l, s);
    }
}

/* The names bound inside: gone after the loop (uses are reported). */
static void retire_locals(Lower *l, const Stmt *st, const Loop *L)
{
    if (!l->loop_dead.arena)
        l->loop_dead.arena = l->arena;
    for (int i = 0; i < st->nbody; i++) {
        const Stmt *b = st->body[i];
        bool carried = false, existed;
        for (int j = 0; j < L->ncarry; j++)
            carried |= strcmp(L->names[j], b->name) == 0;
        if (carried)
            continue;
        Sym *d = symtab_add(&l->loop_dead, b->name, SYM_BIND, b->name_span, &existed);
        d->kind = SYM_BIND;
        d->span = b->name_span;
        Sym *s = symtab_find(&l->syms, b->name);
        if (s && s->kind == SYM_BIND)
            s->node = NULL;
    }
}

static bool check_header(Lower *l, const Stmt *st, Loop *L)
{
    if (l->loop) {
        diag_error(l->diags, st->span, "nested for loops are not supported");
        return false;
    }
    if (!loop_bound(l, st->lo, &L->lo) || !loop_bound(l, st->hi, &L->hi))
        return false;
    if (L->lo >= 0 && L->hi >= 0 && L->hi < L->lo) {
        diag_error(l->diags, span_join(st->lo->span, st->hi->span), "the loop runs from %lld down to %lld; the upper "
                   "bound must be at least the lower one", (long long)L->lo, (long long)L->hi);
        return false;
    }
    Sym *s = symtab_find(&l->syms, st->name);
    if (s) {
        static const char *const kind[] = { "dim", "input", "param", "binding", "def" };
        diag_error(l->diags, st->name_span, "the loop variable '%s' hides the %s '%s'; choose another name", st->name,
                   kind[s->kind], st->name);
        return false;
    }
    return body_is_bindings(l, st);
}

void lower_for(Lower *l, const Stmt *st)
{
    Graph *g = l->g;
    Loop L = { .var = st->name, .span = st->span };
    int errors = l->diags->nerrors;
    if (!check_header(l, st, &L) || !find_carried(l, st, &L))
        return;
    if (!L.ncarry) {
        diag_error(l->diags, st->span, "this loop rebinds no name bound before it, so it computes nothing; bind the "
                   "value it updates before the loop (h = x), then rebind it inside");
        return;
    }
    int k = g->nloops, tag = loop_fwd_tag(k);
    ARENA_PUSH(l->arena, g->loops, g->nloops, g->cloops, L);
    Loop *lp = &g->loops[k];
    LoopCtx ctx = { st, k, lp };
    g->cur_loop = tag;
    make_carries(l, lp, k);
    l->loop = &ctx;
    for (int i = 0; i < st->nbody && !l->diags->stopped; i++)
        lower_body_bind(l, st->body[i], lp, tag);
    l->loop = NULL;
    if (l->diags->nerrors == errors)
        make_results(l, lp, k, tag);
    g->cur_loop = 0;
    for (int j = 0; j < lp->ncarry; j++)
        symtab_find(&l->syms, lp->names[j])->node = l->diags->nerrors == errors ? lp->out[j] : NULL;
    retire_locals(l, st, lp);
}

/* ---- W[l]: the loop variable in one position, ':' in the others ---- */

bool lower_is_loop_index(const Lower *l, const Ast *a)
{
    if (!l->loop)
        return false;
    for (int i = 0; i < a->nidx; i++)
        if (!a->idx[i].is_slice && a->idx[i].value->kind == AST_NAME && strcmp(a->idx[i].value->name, l->loop->L->var) == 0)
            return true;
    return false;
}

/* The indexed axis; -1 after reporting. */
static int index_axis(Lower *l, const Ast *a, const Node *base)
{
    int axis = -1;
    for (int i = 0; i < a->nidx; i++) {
        const AstIndex *x = &a->idx[i];
        bool var = !x->is_slice && x->value->kind == AST_NAME && strcmp(x->value->name, l->loop->L->var) == 0;
        if (var && axis < 0) {
            axis = i;
        } else if (!x->is_slice || x->lo || x->hi) {
            diag_error(l->diags, x->span, "with the loop variable '%s' as an index, every other position must be ':'",
                       l->loop->L->var);
            return -1;
        }
    }
    if (a->nidx > base->shape.rank) {
        diag_error(l->diags, a->span, "%d indices for a tensor of rank %d", a->nidx, base->shape.rank);
        return -1;
    }
    return axis;
}

/* The loop variable stays inside axis `axis` of base for every iteration. */
static bool index_in_range(Lower *l, const Ast *a, const Node *base, int axis)
{
    const Loop *L = l->loop->L;
    Extent ext = base->shape.d[axis];
    if (L->hi < 0 ? ext == L->hi : L->hi == 0 || (ext > 0 && L->hi <= ext))
        return true;
    char buf[64];
    diag_error(l->diags, a->span, "'%s' runs up to %s, but axis %d of %s has extent %s", L->var, bound_str(l, L->hi),
               axis, lower_describe(l, a->lhs, base), extent_str(l->g, ext, buf, sizeof buf));
    return false;
}

Node *lower_loop_index(Lower *l, const Ast *a)
{
    Node *base = lower_expr(l, a->lhs);
    if (!base)
        return NULL;
    int axis = index_axis(l, a, base);
    if (axis < 0 || !index_in_range(l, a, base, axis))
        return NULL;
    if (base->loop || base->is_int) {
        diag_error(l->diags, a->lhs->span, "%s: only a float tensor computed before the loop can be indexed by '%s'",
                   lower_describe(l, a->lhs, base), l->loop->L->var);
        return NULL;
    }
    Shape s = { base->shape.rank - 1, { 0 } };
    for (int i = 0, j = 0; i < base->shape.rank; i++)
        if (i != axis)
            s.d[j++] = base->shape.d[i];
    Node p = { .op = OP_LOOP_INDEX, .nin = 1, .in = { base }, .shape = s, .nints = 2, .ints = { l->loop->k, axis },
               .span = a->span };
    return ir_make(l->g, &p, NULL);
}
