/* emit_rows: a pass split by rows over the host's threads (issue 11: the
 * elementwise, layout and row-kernel passes outside a GEMM's epilogue).
 *
 * A statement whose emitter claims it (em_rows_claim) is one loop whose
 * iterations write disjoint outputs and read nothing the statement writes:
 * an elementwise op with its fused inputs, a view's copy, a row kernel. It is
 * emitted once, into a function of its own over rows [lo, hi):
 *     static void P_forward_rows_h(const P_io *io, void *ws, int64_t lo, int64_t hi)
 * which rebuilds the pointers it reads from io and ws as the pass does, and
 * the pass calls P_rows, which runs it on the host's threads when the work
 * pays, else once over every row. Every element is computed by the same
 * operations in the same order whatever the split: results are bit-identical
 * for any thread count. A statement of a for-loop's body, and the debugging
 * modes (--check-finite, --line-directives), stay inline. */
#include <stdlib.h>
#include <string.h>
#include "emit.h"

/* The elements from which P_rows splits a pass: 2^16 (256 KiB of floats). Below that a
 * pass takes a few microseconds, the order of waking a thread. */
#define ROWS_WORTH 65536

bool em_rows_claim(Emit *e, const Node *n, const char *rows, Shape work, const char *grain)
{
    if (!e->rows_node || e->rows_node != n || e->rows)
        return false;
    double known = 1;   /* a shape of constant extents: the split's test, decided now */
    for (int k = 0; k < work.rank && known > 0; k++)
        known = work.d[k] >= 0 ? known * (double)work.d[k] : -1;
    if (known >= 0 && known < ROWS_WORTH && !e->split_all)
        return false;
    e->rows = rows;
    e->rows_work = em_numel(e, work);
    e->rows_grain = grain;
    return true;
}

const char *em_rows_for(Emit *e, const Node *n, const char *var, const char *rows, Shape work)
{
    const bool split = n && em_rows_claim(e, n, rows, work, "1");
    return arena_printf(e->g->arena, "for (int64_t %s = %s; %s < %s; %s++)", var, split ? "lo" : "0", var,
                        split ? "hi" : rows, var);
}

/* The outlined function of the claimed statement (its text in body, the buffers it
 * touches in e->row_ids), put in e->parts; or the same function of an earlier pass
 * (P_evaluate and P_predict repeat P_forward's statements, P_backward_step
 * P_backward's), which is called again rather than written (and compiled) twice. */
static const char *outline(Emit *e, const Node *n, const char *body)
{
    StrBuf *out = e->out, text = { 0 };
    int indent = e->indent;
    e->out = &text;
    e->indent = 1;
    em_locals(e, e->row_ids, e->nrow_ids);
    sb_puts(e->out, body);
    e->out = out;
    if (!e->row_fn_of) {   /* (only the same node's functions can match: a linear search each) */
        e->row_fn_of = arena_alloc(e->g->arena, sizeof(int) * (size_t)(e->g->n + 1));
        for (int i = 0; i <= e->g->n; i++)
            e->row_fn_of[i] = -1;
    }
    for (int k = e->row_fn_of[n->id]; k >= 0; k = e->row_fns[k].next)
        if (strcmp(e->row_fns[k].text, text.s) == 0) {
            sb_free(&text);
            e->indent = indent;
            return e->row_fns[k].name;
        }
    const char *fn = arena_printf(e->g->arena, "%s_%s_rows_%s", e->P, e->pass, e->p->cname[n->id]);
    const char *kept = arena_printf(e->g->arena, "%s", text.s);
    struct RowFn made = { kept, fn, e->row_fn_of[n->id] };
    e->row_fn_of[n->id] = e->nrow_fns;
    ARENA_PUSH(e->g->arena, e->row_fns, e->nrow_fns, e->crow_fns, made);
    e->out = e->parts;
    e->indent = 0;
    em_line(e, "/* rows [lo, hi) of %s's statement %s, on one of the host's threads (P_rows) */", e->pass,
            e->p->cname[n->id]);
    em_line(e, "static void %s(const %s_io *io, void *ws, int64_t lo, int64_t hi)", fn, e->P);
    em_line(e, "{");
    sb_puts(e->out, kept);
    em_line(e, "}");
    e->out = out;
    e->indent = indent;
    sb_free(&text);
    return fn;
}

/* The comment over the call: the statement's own first line, its emitter's comment */
static void call_comment(Emit *e, const Node *n, const char *body)
{
    const char *c = body + strspn(body, " "), *end = strchr(c, '\n');
    if (strncmp(c, "/*", 2) == 0 && end)
        em_line(e, "%.*s", (int)(end - c), c);
    else
        em_comment(e, n);
}

/* n's statement, or fusion f's (root n) when f */
static void emit_once(Emit *e, Node *n, const Fusion *f)
{
    if (f)
        em_fusion(e, f);
    else
        op_info[n->op].emit(e, n);
}

static int by_id(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* The statement is emitted once, its buffers listed in e->row_ids (em_buf) rather than
 * marked in e->used: a row function declares just those, the pass none of them. The
 * work is the statement's size, whatever the pass's: a long program stays linear. */
void em_rows_statement(Emit *e, Node *n, const Fusion *f)
{
    if (f)
        n = f->root;
    if (!e->parts || e->check || e->lines) {
        emit_once(e, n, f);
        return;
    }
    const bool outer_scratch = e->scratch_used;
    e->scratch_used = false;
    StrBuf body = { 0 }, *out = e->out;
    e->out = &body;
    e->rows_node = n;
    e->rows = NULL;
    e->nrow_ids = 0;
    e->row_stamp++;
    emit_once(e, n, f);
    e->rows_node = NULL;
    e->out = out;
    qsort(e->row_ids, (size_t)e->nrow_ids, sizeof(int), by_id);   /* declared in graph order */
    bool *mark = e->rows ? e->row_used : e->used;
    for (int k = 0; k < e->nrow_ids; k++)
        mark[e->row_ids[k]] = true;
    if (e->rows) {   /* the scratch (a convolution's columns): the row function's, not the pass's */
        e->row_scratch |= e->scratch_used;
        const char *fn = outline(e, n, body.s ? body.s : "");
        call_comment(e, n, body.s ? body.s : "");
        em_line(e, "%s_rows(io->bp_par, io, ws, %s, %s, (double)(%s), %s);", e->P, e->rows, e->rows_grain,
                e->rows_work, fn);
        e->rows = NULL;
        e->rows_used = true;
        e->scratch_used = outer_scratch;
    } else {
        sb_puts(out, body.s ? body.s : "");
        e->scratch_used |= outer_scratch;
    }
    sb_free(&body);
}

/* P_rows: the tasks split rows [0, rows) into whole blocks of grain (a
 * task's block starts on a cache line of a flat loop's output), one task per
 * thread, from ROWS_WORTH elements. Measured on the transformer block step
 * (bench/transformer_block.bp, batch 16, 2 threads, AOT --gemm=runtime, 5
 * interleaved rounds): 10.14 ms serial passes, 8.85 splitting from 2^16
 * elements, 8.96 from 2^18, 9.84 from 2^20 (where none of its passes split);
 * one thread 16.5 ms in all four. */
void em_rows_helper(Emit *e)
{
    const char *P = e->P;
    em_line(e, "/* A pass's statement over rows [lo, hi) (P_<pass>_rows_<name>), and its split into tasks */");
    em_line(e, "typedef void (*%s_rows_fn)(const %s_io *io, void *ws, int64_t lo, int64_t hi);", P, P);
    em_line(e, "typedef struct %s_rows_job {", P);
    em_line(e, "    const %s_io *io;", P);
    em_line(e, "    void *ws;");
    em_line(e, "    int64_t rows, grain;");
    em_line(e, "    int tasks;");
    em_line(e, "    %s_rows_fn part;", P);
    em_line(e, "} %s_rows_job;", P);
    em_line(e, "/* task t of the job: whole blocks of grain rows, the last task to the end */");
    em_line(e, "static void %s_rows_task(void *arg, int t)", P);
    em_line(e, "{");
    em_line(e, "    const %s_rows_job *j = (const %s_rows_job *)arg;", P, P);
    em_line(e, "    j->part(j->io, j->ws, %s_from(j->rows, j->grain, t, j->tasks), %s_from(j->rows, j->grain, t + 1, j->tasks));", P, P);
    em_line(e, "}");
    em_line(e, "/* part over rows [0, rows), on the host's threads when par allows and the work (elements) pays */");
    em_line(e, "static void %s_rows(const bp_parallel *par, const %s_io *io, void *ws, int64_t rows, int64_t grain,", P, P);
    em_line(e, "                    double work, %s_rows_fn part)", P);
    em_line(e, "{");
    em_line(e, "    const int tasks = %s_tasks(par, rows / grain, work >= %d.0);", P, ROWS_WORTH);
    em_line(e, "    if (tasks < 2) {   /* through a pointer the compiler cannot follow: inlined here, every");
    em_line(e, "                    * row function would be compiled twice (op_pow.bp at -O3: 1.4 s, not 1.0) */");
    em_line(e, "        %s_rows_fn volatile serial = part;", P);
    em_line(e, "        serial(io, ws, 0, rows);");
    em_line(e, "        return;");
    em_line(e, "    }");
    em_line(e, "    %s_rows_job job = { io, ws, rows, grain, tasks, part };", P);
    em_line(e, "    par->run(par->ctx, tasks, %s_rows_task, &job);", P);
    em_line(e, "}");
}
