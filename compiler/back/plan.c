/* plan: liveness, fusion decisions, buffer homes and workspace regions. */
#include <string.h>
#include "plan.h"
#include "symtab.h"

const char *plan_grad_field(const Graph *g, int i)
{
    return arena_printf(g->arena, "%s_grad", g->decls[g->grads[i].decl].name);
}

static void mark_live(Plan *p)
{
    Graph *g = p->g;
    for (int i = 0; i < g->noutputs; i++)
        p->live[g->outputs[i].node->id] = true;
    if (g->target)
        p->live[g->target->id] = true;
    for (int i = 0; i < g->n; i++)   /* state a training-mode forward updates, used or not (PyTorch's batchnorm) */
        p->live[i] |= op_has(g->nodes[i]->op, F_STATE);
    for (int i = 0; i < g->ngrads; i++)
        p->live[g->grads[i].node->id] = true;
    for (int i = g->n - 1; i >= 0; i--)
        if (p->live[i]) {
            plan_loop_live(p, g->nodes[i]);
            for (int k = 0; k < g->nodes[i]->nin; k++)
                p->live[g->nodes[i]->in[k]->id] = true;
        }
    for (int i = 0; i < g->n; i++)
        if (p->live[i])
            for (int k = 0; k < g->nodes[i]->nin; k++)
                p->uses[g->nodes[i]->in[k]->id]++;
}

/* Does consumer c read its input through a stretching broadcast (so that an
 * input fused into c's loop would be recomputed for every copy)? */
static bool stretches(const Node *c)
{
    if (c->op != OP_BCAST)
        return false;
    for (int i = 0; i < c->shape.rank; i++)
        if (c->map[i] < 0 || c->in[0]->shape.d[c->map[i]] != c->shape.d[i])
            return true;
    return false;
}

/* Inputs that kernels read through pointers must be contiguous buffers;
 * a reshape is contiguous when what it reshapes is. */
static void need_buffer(Plan *p, Node *n)
{
    while (n->op == OP_RESHAPE)
        n = n->in[0];
    if (!op_has(n->op, F_DATA))
        p->mat[n->id] = true;   /* a view made a buffer is a copy loop */
}

static void decide_buffers(Plan *p)
{
    Graph *g = p->g;
    int *depth = arena_alloc(g->arena, sizeof(int) * (size_t)g->n);
    int *consumer = arena_alloc(g->arena, sizeof(int) * (size_t)g->n);
    for (int i = 0; i < g->n; i++)
        consumer[i] = -1;
    for (int i = 0; i < g->n; i++)
        if (p->live[i])
            for (int k = 0; k < g->nodes[i]->nin; k++)
                consumer[g->nodes[i]->in[k]->id] = i;
    for (int i = 0; i < g->n; i++) {
        Node *n = g->nodes[i];
        if (!p->live[i])
            continue;
        OpClass k = op_info[n->op].kind;
        for (int j = 0; j < n->nin; j++)
            if (!p->mat[n->in[j]->id] && depth[n->in[j]->id] + 1 > depth[i])
                depth[i] = depth[n->in[j]->id] + 1;
        if (k == K_REDUCE || k == K_KERNEL)
            p->mat[i] = true;
        if (k != K_EWISE)
            continue;
        int c = consumer[i];
        bool fusable = p->fuse && p->uses[i] == 1 && depth[i] < FUSE_MAX_DEPTH && c >= 0 &&
                       g->nodes[c]->phase == n->phase && g->nodes[c]->loop == n->loop && !stretches(g->nodes[c]) &&
                       op_info[g->nodes[c]->op].kind != K_KERNEL && g->nodes[c]->op != OP_RESHAPE;
        p->mat[i] = !fusable;
        if (p->mat[i])
            depth[i] = 0;
    }
    for (int i = 0; i < g->n; i++) {
        Node *n = g->nodes[i];
        if (!p->live[i])
            continue;
        if (op_info[n->op].kind == K_KERNEL)
            for (int j = 0; j < n->nin; j++)
                need_buffer(p, n->in[j]);
        if (op_has(n->op, F_GATHER))   /* its ids (a slice of int ids, say) are read by position */
            need_buffer(p, n->in[1]);
        if (n->op == OP_RESHAPE)
            need_buffer(p, n->in[0]);
    }
    plan_fuse(p, consumer);
}

/* The io field a tensor is computed into, if it can be computed there directly. */
static void set_home_io(Plan *p, Node *n, const char *field, Phase phase, CopyKind kind)
{
    bool direct = p->mat[n->id] && p->home[n->id] == HOME_NONE && n->phase == phase &&
                  !op_has(n->op, F_DATA);
    if (direct) {
        p->home[n->id] = HOME_IO;
        p->field[n->id] = field;
        return;
    }
    Copy c = { n, field, phase, kind };
    ARENA_PUSH(p->g->arena, p->copies, p->ncopies, p->ccopies, c);
}

static void assign_io_homes(Plan *p)
{
    Graph *g = p->g;
    for (int i = 0; i < g->n; i++) {
        Node *n = g->nodes[i];
        if (op_has(n->op, F_DATA)) {   /* the grad seed is named after its target */
            p->home[i] = HOME_IO;
            p->field[i] = op_info[n->op].attr == AT_DECL ? g->decls[n->decl].name : n->name;
        }
    }
    for (int i = 0; i < g->noutputs; i++)
        set_home_io(p, g->outputs[i].node, g->outputs[i].name, PH_FORWARD, COPY_OUTPUT);
    if (g->target)
        set_home_io(p, g->target, g->target_name, PH_FORWARD, COPY_TARGET);
    for (int i = 0; i < g->ngrads; i++)
        set_home_io(p, g->grads[i].node, plan_grad_field(g, i), PH_BACKWARD, COPY_GRAD);
}

/* Position of a tensor's last read: copies read at the end of their phase;
 * a fused op or view is read where its consumer runs, and so are its inputs. */
static void last_uses(Plan *p, int *last)
{
    Graph *g = p->g;
    for (int i = 0; i < g->n; i++) {
        last[i] = i;
        if (p->live[i])
            for (int k = 0; k < g->nodes[i]->nin; k++)
                if (last[g->nodes[i]->in[k]->id] < i)
                    last[g->nodes[i]->in[k]->id] = i;
    }
    for (int i = 0; i < p->ncopies; i++) {
        int end = p->copies[i].phase == PH_FORWARD ? (g->nfwd ? g->nfwd : g->n) : g->n;
        int id = p->copies[i].node->id;
        if (last[id] < end)
            last[id] = end;
    }
    plan_loop_lifetimes(p, last);
    for (int i = g->n - 1; i >= 0; i--) {
        Node *n = g->nodes[i];
        if (!p->live[i] || p->mat[i] || p->home[i] != HOME_NONE)
            continue;
        for (int k = 0; k < n->nin; k++)
            if (last[n->in[k]->id] < last[i])
                last[n->in[k]->id] = last[i];
    }
}

/* Region bookkeeping for assign_regions: regions still busy in a min-heap on
 * the position after which they are free, and free regions in a min-heap on
 * (member count, index) — the same choice as scanning every region for the
 * free one with the fewest members, in O(log n) instead of O(n) per tensor. */
typedef struct Regions {
    int *busy_until;      /* by region */
    int *busy, nbusy;     /* heap of regions, on busy_until */
    int *idle, nidle;     /* heap of regions, on (members, index) */
    int cap;
} Regions;

static bool busy_less(const Plan *p, const Regions *rs, int a, int b)
{
    (void)p;
    return rs->busy_until[a] < rs->busy_until[b];
}

static bool idle_less(const Plan *p, const Regions *rs, int a, int b)
{
    (void)rs;
    return p->regions[a].n < p->regions[b].n || (p->regions[a].n == p->regions[b].n && a < b);
}

typedef bool (*RegionLess)(const Plan *p, const Regions *rs, int a, int b);

static void heap_push(const Plan *p, const Regions *rs, int *h, int *n, int r, RegionLess less)
{
    int i = (*n)++;
    h[i] = r;
    for (; i > 0 && less(p, rs, h[i], h[(i - 1) / 2]); i = (i - 1) / 2) {
        int t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
    }
}

static int heap_pop(const Plan *p, const Regions *rs, int *h, int *n, RegionLess less)
{
    int top = h[0];
    h[0] = h[--*n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && less(p, rs, h[l], h[m]))
            m = l;
        if (r < *n && less(p, rs, h[r], h[m]))
            m = r;
        if (m == i)
            break;
        int t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

static void allocate(Plan *p, int i, int pos, const int *last, Regions *rs);

/* Greedy: a region becomes free after the last reader of its tensor. */
static void assign_regions(Plan *p)
{
    Graph *g = p->g;
    int *last = arena_alloc(g->arena, sizeof(int) * (size_t)(g->n + 1));
    Regions rs = { 0 };
    last_uses(p, last);
    for (int j = 0; j < g->n; j++) {
        /* a fusion's column sum and sum of squares are written with its root: allocate them
         * there (a node is allocated once, so the sums' own later positions change nothing) */
        const Fusion *f = p->fusion_of[j] >= 0 ? &p->fusions[p->fusion_of[j]] : NULL;
        const Node *at[] = { g->nodes[j], f ? f->colsum : NULL, f ? f->sumsq : NULL };
        for (int k = 0; k < 3; k++)
            if (at[k])
                allocate(p, at[k]->id, j, last, &rs);
    }
}

/* Give node i a region free at position pos (positions never decrease). */
static void allocate(Plan *p, int i, int pos, const int *last, Regions *rs)
{
    Graph *g = p->g;
    if (!p->live[i] || !p->mat[i] || p->home[i] != HOME_NONE)
        return;
    while (rs->nbusy && rs->busy_until[rs->busy[0]] < pos) {
        int k = heap_pop(p, rs, rs->busy, &rs->nbusy, busy_less);
        heap_push(p, rs, rs->idle, &rs->nidle, k, idle_less);
    }
    int r = p->fuse && rs->nidle ? heap_pop(p, rs, rs->idle, &rs->nidle, idle_less) : -1;
    if (r < 0) {
        Region empty = { 0 };
        r = p->nregions;
        ARENA_PUSH(g->arena, p->regions, p->nregions, p->cregions, empty);
        int cap = rs->cap;
        arena_grow(g->arena, (void **)&rs->busy_until, &cap, p->nregions, sizeof(int));
        cap = rs->cap;
        arena_grow(g->arena, (void **)&rs->busy, &cap, p->nregions, sizeof(int));
        cap = rs->cap;
        arena_grow(g->arena, (void **)&rs->idle, &cap, p->nregions, sizeof(int));
        rs->cap = cap;
    }
    ARENA_PUSH(g->arena, p->regions[r].members, p->regions[r].n, p->regions[r].cap, i);
    rs->busy_until[r] = last[i];
    if (p->fuse)
        heap_push(p, rs, rs->busy, &rs->nbusy, r, busy_less);
    p->home[i] = HOME_WS;
    p->region[i] = r;
}

/* Buffer names as explain, cost and graph show them: the source name where
 * there is one, else t<id>. The C renames what would collide with its own
 * names (em_name_locals, by names.c's one list). */
static void name_buffers(Plan *p)
{
    Graph *g = p->g;
    for (int i = 0; i < g->n; i++) {
        Node *n = g->nodes[i];
        const char *base = p->home[i] == HOME_IO ? p->field[i] : n->name;
        if (!base)
            p->cname[i] = arena_printf(g->arena, "t%d", i);
        else
            p->cname[i] = base;
    }
    /* a name given to two buffers (a binding also written to an output) gets the id */
    Symtab seen = { .arena = g->arena };
    for (int i = 0; i < g->n; i++) {
        bool existed;
        if (p->home[i] != HOME_NONE && p->live[i]) {
            symtab_add(&seen, p->cname[i], SYM_BIND, (Span){ 0 }, &existed);
            if (existed)
                p->cname[i] = arena_printf(g->arena, "%s_%d", p->cname[i], i);
        }
    }
}

Plan *plan_build(Graph *g, bool fuse)
{
    Arena *a = g->arena;
    Plan *p = arena_alloc(a, sizeof *p);
    size_t n = (size_t)g->n + 1;
    p->g = g;
    p->fuse = fuse;
    p->live = arena_alloc(a, n);
    p->mat = arena_alloc(a, n);
    p->uses = arena_alloc(a, n * sizeof(int));
    p->home = arena_alloc(a, n * sizeof(HomeKind));
    p->field = arena_alloc(a, n * sizeof(char *));
    p->region = arena_alloc(a, n * sizeof(int));
    p->cname = arena_alloc(a, n * sizeof(char *));
    mark_live(p);
    decide_buffers(p);
    assign_io_homes(p);
    assign_regions(p);
    name_buffers(p);
    return p;
}
