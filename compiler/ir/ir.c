/* ir: building nodes (hash-consed, with local simplifications), and the
 * textual dump that --emit=ir and the golden tests read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dims.h"
#include "ir.h"
#include "layout.h"

Graph *ir_new(Arena *a)
{
    Graph *g = arena_alloc(a, sizeof *g);
    g->arena = a;
    g->dims = arena_alloc(a, sizeof *g->dims);
    return g;
}

/* ---- hash-consing ---- */

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }

static uint64_t node_hash(const Node *n)
{
    uint64_t h = mix(0xcbf29ce484222325ULL, (uint64_t)n->op);
    for (int i = 0; i < n->nin; i++)
        h = mix(h, (uint64_t)n->in[i]->id);
    uint64_t fb;
    memcpy(&fb, &n->f, sizeof fb);
    h = mix(mix(mix(h, fb), (uint64_t)n->axes), (uint64_t)(n->ta | n->tb << 1));
    h = mix(mix(mix(mix(h, (uint64_t)n->decl), (uint64_t)n->shape.rank), (uint64_t)n->mode), (uint64_t)n->loop);
    for (int i = 0; i < n->nints; i++)
        h = mix(h, (uint64_t)n->ints[i]);
    for (int i = 0; i < n->shape.rank; i++)
        h = mix(mix(h, (uint64_t)n->shape.d[i]), (uint64_t)n->map[i]);
    /* the multiply only carries bits upward: fold the high bits (where a
     * double's exponent lands) into the low ones the table indexes by */
    h ^= h >> 32;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static bool node_same(const Node *a, const Node *b)
{
    if (a->op != b->op || a->nin != b->nin || a->axes != b->axes || a->ta != b->ta || a->tb != b->tb ||
        a->decl != b->decl || a->mode != b->mode || a->loop != b->loop || a->nints != b->nints ||
        memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->nints) != 0 ||
        memcmp(&a->f, &b->f, sizeof a->f) != 0 || !shape_eq(a->shape, b->shape) ||
        !shape_eq(a->count, b->count) || memcmp(a->map, b->map, sizeof a->map) != 0)
        return false;
    for (int i = 0; i < a->nin; i++)
        if (a->in[i] != b->in[i])
            return false;
    return true;
}

static void table_insert(Graph *g, Node *n)
{
    int mask = g->table_cap - 1, i = (int)(node_hash(n) & (uint64_t)mask);
    while (g->table[i])
        i = (i + 1) & mask;
    g->table[i] = n;
}

static void table_grow(Graph *g)
{
    Node **old = g->table;
    int oldcap = g->table_cap;
    int cap = oldcap ? oldcap * 2 : 256;
    g->table = arena_alloc(g->arena, sizeof(Node *) * (size_t)cap);   /* first: a failure leaves g as it was */
    g->table_cap = cap;
    for (int i = 0; i < oldcap; i++)
        if (old[i])
            table_insert(g, old[i]);
}

static Node *table_find(Graph *g, const Node *proto)
{
    if (!g->table_cap)
        return NULL;
    int mask = g->table_cap - 1, i = (int)(node_hash(proto) & (uint64_t)mask);
    for (; g->table[i]; i = (i + 1) & mask)
        if (node_same(g->table[i], proto))
            return g->table[i];
    return NULL;
}

Node *ir_make(Graph *g, const Node *proto, ShapeErr *err)
{
    Node tmp = *proto;
    tmp.loop = g->cur_loop;   /* a loop's nodes never merge with those outside it */
    if (op_info[tmp.op].kind == K_VIEW && tmp.nin == 1 && tmp.in[0]->is_int)
        tmp.is_int = true;    /* a slice or reshape of int labels holds int labels */
    ShapeErr local;
    if (!op_info[tmp.op].shape(g, &tmp, &tmp.shape, err ? err : &local))
        return NULL;
    for (int i = tmp.shape.rank; i < MAX_RANK; i++)
        tmp.shape.d[i] = 0, tmp.map[i] = 0;
    Node *found = table_find(g, &tmp);
    if (found)
        return found;
    Node *n = arena_alloc(g->arena, sizeof *n);
    *n = tmp;
    n->id = g->n;
    n->phase = g->building;
    n->uses = 0;
    ARENA_PUSH(g->arena, g->nodes, g->n, g->cap, n);
    if (2 * g->n >= g->table_cap)
        table_grow(g);
    table_insert(g, n);
    return n;
}

/* Builders for operands already known to fit: a failure is a compiler bug,
 * reported through the failure boundary (arena.h) as "internal error: ...". */
static Node *make(Graph *g, Node proto)
{
    ShapeErr err;
    Node *n = ir_make(g, &proto, &err);
    if (!n)
        fail_internal("%s: %s", op_info[proto.op].name, err.msg);
    return n;
}

/* Whether n is a constant, broadcast or not: then *v is its value. */
static bool const_value(const Node *n, double *v)
{
    while (n->op == OP_BCAST)
        n = n->in[0];
    *v = n->f;
    return n->op == OP_CONST;
}

static bool is_const(const Node *n, double v)
{
    double c;
    return const_value(n, &c) && c == v;
}

Node *ir_const(Graph *g, double v) { return make(g, (Node){ .op = OP_CONST, .f = v }); }

Node *ir_count(Graph *g, Shape extents)
{
    bool all_const = true;
    double c = 1;
    for (int i = 0; i < extents.rank; i++) {
        all_const &= extents.d[i] > 0;
        c *= (double)extents.d[i];
    }
    if (all_const)
        return ir_const(g, c);
    return make(g, (Node){ .op = OP_COUNT, .count = extents });
}

/* The value of op on constants, or NAN (not foldable): ops.def's expr, compiled. */
static double fold(OpKind op, double x, double y, double attr)
{
    return op_info[op].arity <= 2 ? op_info[op].fold(x, y, attr) : NAN;
}

Node *ir_unary_attr(Graph *g, OpKind op, Node *x, double attr)
{
    if (op == OP_NEG && x->op == OP_NEG)
        return x->in[0];
    if (op == OP_POWC && attr == 1)
        return x;
    if (op == OP_POWC && attr == 2)
        op = OP_SQUARE;
    if (x->op == OP_CONST && !isnan(fold(op, x->f, 0, attr)))
        return ir_const(g, fold(op, x->f, 0, attr));
    return make(g, (Node){ .op = op, .nin = 1, .in = { x }, .f = attr });
}

Node *ir_unary(Graph *g, OpKind op, Node *x) { return ir_unary_attr(g, op, x, 0); }

Node *ir_bcast_map(Graph *g, Node *x, Shape to, const int8_t *map)
{
    bool identity = shape_eq(x->shape, to);
    for (int i = 0; identity && i < to.rank; i++)
        identity = map[i] == i;
    if (identity)
        return x;
    if (x->op == OP_BCAST) {           /* compose: read x's input directly */
        int8_t m[MAX_RANK];
        for (int i = 0; i < to.rank; i++)
            m[i] = map[i] < 0 ? -1 : x->map[map[i]];
        return ir_bcast_map(g, x->in[0], to, m);
    }
    Node p = { .op = OP_BCAST, .nin = 1, .in = { x }, .shape = to };
    memcpy(p.map, map, (size_t)to.rank);
    return make(g, p);
}

Node *ir_bcast_to(Graph *g, Node *x, Shape to)
{
    int8_t map[MAX_RANK];
    for (int i = 0; i < to.rank; i++) {
        int k = i - (to.rank - x->shape.rank);
        map[i] = (int8_t)(k >= 0 ? k : -1);
    }
    return ir_bcast_map(g, x, to, map);
}

/* x + 0, x - 0, x * 1, x / 1, 0 + x, 1 * x: the other operand, when it has the result's shape. */
static Node *identity_operand(OpKind op, Node *a, Node *b, Shape r)
{
    bool b_neutral = (is_const(b, 0) && (op == OP_ADD || op == OP_SUB)) || (is_const(b, 1) && (op == OP_MUL || op == OP_DIV));
    bool a_neutral = (is_const(a, 0) && op == OP_ADD) || (is_const(a, 1) && op == OP_MUL);
    if (b_neutral && shape_eq(a->shape, r))
        return a;
    if (a_neutral && shape_eq(b->shape, r))
        return b;
    return NULL;
}

Node *ir_op2(Graph *g, OpKind op, Node *a, Node *b, double attr)
{
    Shape r;
    if (!shape_broadcast(a->shape, b->shape, &r))
        fail_internal("%s of unbroadcastable shapes", op_info[op].name);
    if (a->op == OP_CONST && b->op == OP_CONST && !isnan(fold(op, a->f, b->f, attr)))
        return ir_const(g, fold(op, a->f, b->f, attr));
    Node *same = identity_operand(op, a, b, r);
    if (same)
        return same;
    if (op == OP_SUB && is_const(a, 0) && shape_eq(b->shape, r))
        return ir_unary(g, OP_NEG, b);
    if (op == OP_ADD && a == b)   /* x + x = 2x: one read instead of two uses */
        return ir_binary(g, OP_MUL, ir_const(g, 2), a);
    double c1, c2;   /* c1 * (c2 * x) = (c1 c2) * x, c1 broadcast or not: the L2 gradient of */
                     /* sum(W ** 2), g * (2 * W) with g = broadcast(c1), becomes c W (step fusion's c X) */
    if (op == OP_MUL && const_value(a, &c1) && b->op == OP_MUL && shape_eq(b->shape, r) && const_value(b->in[0], &c2))
        return ir_binary(g, OP_MUL, ir_const(g, c1 * c2), b->in[1]);
    return make(g, (Node){ .op = op, .nin = 2, .in = { ir_bcast_to(g, a, r), ir_bcast_to(g, b, r) }, .f = attr });
}

Node *ir_binary(Graph *g, OpKind op, Node *a, Node *b) { return ir_op2(g, op, a, b, 0); }

Node *ir_reduce(Graph *g, OpKind op, Node *x, int axes)
{
    axes &= (1 << x->shape.rank) - 1;
    if (!axes)
        return x;
    return make(g, (Node){ .op = op, .nin = 1, .in = { x }, .axes = axes });
}

Node *ir_reshape(Graph *g, Node *x, Shape to)
{
    if (shape_eq(x->shape, to))
        return x;
    if (x->op == OP_RESHAPE)
        x = x->in[0];
    if (shape_eq(x->shape, to))
        return x;
    return make(g, (Node){ .op = OP_RESHAPE, .nin = 1, .in = { x }, .shape = to });
}

Node *ir_transpose(Graph *g, Node *x)
{
    if (x->shape.rank < 2)
        return x;
    if (x->op == OP_TRANSPOSE)
        return x->in[0];
    return make(g, (Node){ .op = OP_TRANSPOSE, .nin = 1, .in = { x } });
}

/* x as a GEMM operand: a transposed matrix, or a permutation whose last two
 * axes swapped keep x's innermost axis innermost (transpose(k, 2, 3) of a
 * stack, of heads(k)), becomes the GEMM flag *t and its operand (a plainer
 * permutation, often none); any other x is itself. */
static Node *fold_swap(Graph *g, Node *x, bool *t)
{
    int r = x->shape.rank, p[MAX_RANK];
    if (x->op == OP_TRANSPOSE && r == 2)
        return *t = true, x->in[0];
    if (x->op != OP_PERMUTE || r < 3 || x->ints[r - 2] != r - 1)
        return x;
    for (int i = 0; i < r; i++)
        p[i] = (int)x->ints[i];
    p[r - 2] = p[r - 1];
    p[r - 1] = r - 1;
    *t = true;
    return ir_permute(g, x->in[0], p);
}

/* Transposed operands become GEMM flags, not copies (fold_swap). */
Node *ir_matmul(Graph *g, Node *a, Node *b)
{
    Node p = { .op = OP_MATMUL, .nin = 2, .in = { a, b } };
    p.in[0] = fold_swap(g, a, &p.ta);
    p.in[1] = fold_swap(g, b, &p.tb);
    return make(g, p);
}

void ir_count_uses(Graph *g)
{
    for (int i = 0; i < g->n; i++)
        g->nodes[i]->uses = 0;
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i]->nin; k++)
            g->nodes[i]->in[k]->uses++;
}

const char *node_label(const Graph *g, const Node *n)
{
    if (n->op == OP_CONST)
        return arena_printf(g->arena, "%.9g", n->f);
    if (n->name)
        return n->name;
    return arena_printf(g->arena, "%%%d", n->id);
}

static void dump_list(FILE *out, const char *key, const int64_t *v, int n)
{
    fprintf(out, " %s=", key);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%lld", i ? "," : "", (long long)v[i]);
}

/* A slice's ints with its SLICE_EXT axes readable: "ints=1,N-1,ext,0,0,0"
 * (offset 1, extent N-1); other slices as plain numbers. */
static void dump_slice(const Graph *g, const Node *n, FILE *out)
{
    char buf[64];
    fprintf(out, " ints=");
    for (int i = 0; i < n->nints; i++) {
        bool ext = n->ints[i - i % 3 + 2] == SLICE_EXT;
        if (ext && i % 3 == 2)
            fprintf(out, "%sext", i ? "," : "");
        else if (ext && n->ints[i] < 0)
            fprintf(out, "%s%s", i ? "," : "", extent_str(g, n->ints[i], buf, sizeof buf));
        else
            fprintf(out, "%s%lld", i ? "," : "", (long long)n->ints[i]);
    }
}

/* The attribute the op declares (ops.def attr column), as ir_dump prints it. */
static void dump_attrs(const Graph *g, const Node *n, FILE *out)
{
    int64_t v[MAX_INTS];
    int k = 0;
    switch (op_info[n->op].attr) {
    case AT_NONE: break;
    case AT_NUM:
        if (op_info[n->op].kind != K_LEAF)
            fprintf(out, " %.9g", n->f);
        break;
    case AT_AXES:
        for (int i = 0; i < n->in[0]->shape.rank; i++)
            if (n->axes & 1 << i)
                v[k++] = i;
        dump_list(out, "axes", v, k);
        break;
    case AT_MAP:
        for (int i = 0; i < n->shape.rank; i++)
            v[i] = n->map[i];
        dump_list(out, "map", v, n->shape.rank);
        break;
    case AT_TRANS:
        if (n->ta || n->tb)
            fprintf(out, " %s%s", n->ta ? "ᵀ" : "-", n->tb ? "ᵀ" : "-");
        break;
    case AT_COUNT: fprintf(out, " %s", shape_str(g, n->count)); break;
    case AT_DECL:
        fprintf(out, " %s", g->decls[n->decl].name);
        break;
    case AT_INTS:
        if (n->op == OP_SLICE || n->op == OP_UNSLICE)
            dump_slice(g, n, out);
        else
            dump_list(out, "ints", n->ints, n->nints);
        break;
    }
}

void ir_dump(const Graph *g, FILE *out, int from, int to)
{
    for (int i = from; i < to; i++) {
        const Node *n = g->nodes[i];
        if (n->op == OP_CONST)
            continue;
        fprintf(out, "%%%-4d = %s", n->id, op_info[n->op].name);
        for (int k = 0; k < n->nin; k++)
            fprintf(out, "%s%s", k ? ", " : " ", n->in[k]->op == OP_CONST
                        ? node_label(g, n->in[k]) : arena_printf(g->arena, "%%%d", n->in[k]->id));
        dump_attrs(g, n, out);
        fprintf(out, " : %s%s%s%s\n", n->is_int ? "int" : "", shape_str(g, n->shape),
                n->name ? "  # " : "", n->name ? n->name : "");
    }
}

static void close_from(const Graph *g, int top, bool *seen)
{
    for (int i = top; i >= 0; i--)
        if (seen[i])
            for (int k = 0; k < g->nodes[i]->nin; k++)
                seen[g->nodes[i]->in[k]->id] = true;
}

void ir_mark_deps(const Graph *g, const Node *root, bool *seen)
{
    seen[root->id] = true;
    close_from(g, root->id, seen);
}

void ir_close_deps(const Graph *g, bool *seen)
{
    close_from(g, g->n - 1, seen);
}
