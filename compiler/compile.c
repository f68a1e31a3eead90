/* compile: the pipeline — parse, lower, differentiate (simplifying as it
 * builds), plan — and the public model object of bpc.h. Emission, explain
 * and graph read the plan the pipeline made (m->plan). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ad.h"
#include "fields.h"
#include "lower.h"
#include "model.h"
#include "plan.h"

const char *bpc_version(void) { return BPC_VERSION; }

/* A C identifier from the file's stem: "models/my-mlp.bp" -> "my_mlp". */
static char *default_name(Arena *a, const char *file)
{
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    size_t n = strcspn(base, ".");
    char *s = arena_strndup(a, base, n ? n : 1);
    if (!n)
        s[0] = 'm';
    for (char *p = s; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    if (s[0] >= '0' && s[0] <= '9')
        s = arena_printf(a, "m_%s", s);
    return s;
}

static bool valid_name(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9') || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* parse -> lower -> differentiate -> check io fields -> plan; in debug
 * builds the IR is verified after each pass that builds it. m->g and m->plan
 * are set only when every pass succeeded. */
static void pipeline(bpc_model *m)
{
    m->ast = parse_module(&m->arena, &m->diags, m->src, m->len);
    Graph *g = ir_new(&m->arena);
    Lower l = { .arena = &m->arena, .diags = &m->diags, .g = g };
    lower_module(&l, m->ast);
    if (m->diags.nerrors)
        return;
    ir_check(g, "lowering");
    ir_assign_lines(g);
    ir_name_temps(g);
    ad_run(g);
    ir_check(g, "differentiation");
    if (!fields_check(fields_build(g), m->name, &m->diags))
        return;
    m->plan = plan_build(g, m->opt.opt_level > 0);
    ir_check(g, "planning");
    m->g = g;
}

void model_fail(bpc_model *m, const char *msg)
{
    snprintf(m->fail_msg, sizeof m->fail_msg, "%s", msg);
    m->g = NULL;
    m->npub = 0;
    Guard gd;
    guard_push(&gd);
    if (setjmp(gd.jb) == 0) {
        diag_error(&m->diags, (Span){ 0 }, "%s", m->fail_msg);
        guard_pop(&gd);
        if (m->diags.nerrors)
            return;
    }
    /* no memory even for the message (or errors already stopped): this one alone */
    m->fail_diag = (Diag){ DIAG_ERROR, { 0 }, m->fail_msg };
    m->diags.items = &m->fail_diag;
    m->diags.n = m->diags.cap = m->diags.nerrors = 1;
}

/* The options, checked: an out-of-range value is an error on m. */
static bool check_options(bpc_model *m)
{
    const bpc_options *o = &m->opt;
    const char *bad = o->dtype != BP_F32 && o->dtype != BP_F64 ? "dtype (BP_F32 or BP_F64)"
                      : o->gemm < BPC_GEMM_PORTABLE || o->gemm > BPC_GEMM_RUNTIME ? "gemm (enum bpc_gemm)"
                      : o->opt_level < 0 || o->opt_level > 3                    ? "opt_level (0 to 3)"
                      : o->jit < BPC_JIT_TCC || o->jit > BPC_JIT_TIERED         ? "jit (enum bpc_jit_kind)"
                                                                                : NULL;
    if (bad)
        diag_error(&m->diags, (Span){ 0 }, "invalid option: %s", bad);
    return !bad;
}

/* The pipeline after the model struct exists; inside bpc_compile's guard. */
static void compile_model(bpc_model *m, const char *src, size_t len, const char *filename)
{
    m->file = arena_strdup(&m->arena, filename ? filename : "<input>");
    if (len > BPC_MAX_SOURCE || !src) {
        diag_init(&m->diags, &m->arena, m->file, "", 0);
        if (src)
            diag_error(&m->diags, (Span){ 0 }, "source is larger than %d MB", BPC_MAX_SOURCE >> 20);
        else
            diag_error(&m->diags, (Span){ 0 }, "no source text (NULL)");
        return;
    }
    m->src = arena_strndup(&m->arena, src, len);
    m->len = len;
    diag_init(&m->diags, &m->arena, m->file, m->src, m->len);
    if (!check_options(m))
        return;
    m->name = m->opt.name ? arena_strdup(&m->arena, m->opt.name) : default_name(&m->arena, m->file);
    if (!valid_name(m->name))
        diag_error(&m->diags, (Span){ 0 }, "'%s' is not a valid C prefix (--name takes letters, digits and _)", m->name);
    else
        pipeline(m);
}

/* Returned when not even the model struct can be allocated: read-only
 * everywhere (bpc_free ignores it). */
static const Diag oom_diag = { DIAG_ERROR, { 0 }, "out of memory" };
static bpc_diag oom_pub = { BPC_ERROR, 0, 0, 0, 0, "out of memory" };
static bpc_model oom_model = {
    .diags = { .file = "<input>", .src = "", .items = (Diag *)&oom_diag, .n = 1, .cap = 1, .nerrors = 1 },
    .file = "<input>", .src = "", .name = "model", .pub = &oom_pub, .npub = 1,
};

bpc_model *bpc_compile(const char *src, size_t len, const char *filename, const bpc_options *opt)
{
    bpc_model *volatile m = calloc(1, sizeof *m);   /* volatile: read after a longjmp */
    if (!m)
        return &oom_model;
    if (opt)
        m->opt = *opt;
    else
        m->opt.opt_level = 1;
    m->name = "model";
    Guard gd;
    guard_push(&gd);
    if (setjmp(gd.jb) == 0) {
        compile_model(m, src, len, filename);
        guard_pop(&gd);
    } else {
        if (!m->file)
            m->file = "<input>";
        if (!m->diags.file)
            diag_init(&m->diags, &m->arena, m->file, m->src ? m->src : "", m->src ? m->len : 0);
        model_fail(m, gd.msg);
    }
    return m;
}

bool emit_generate(bpc_model *m, int gemm, const char **header, const char **source)
{
    if (!bpc_ok(m))
        return false;
    Guard gd;
    guard_push(&gd);
    if (setjmp(gd.jb) == 0) {
        bool ok = emit_generate_text(m, gemm, header, source);
        guard_pop(&gd);
        return ok;
    }
    model_fail(m, gd.msg);
    return false;
}

int bpc_ok(const bpc_model *m) { return m && m->diags.nerrors == 0 && m->g != NULL; }
int bpc_num_diags(const bpc_model *m) { return m ? m->diags.n : -1; }
const char *bpc_name(const bpc_model *m) { return m ? m->name : NULL; }

/* The public form of diagnostic k. */
static bpc_diag public_diag(const Diag *d)
{
    return (bpc_diag){ (int)d->level, d->span.line, d->span.caret ? d->span.caret : d->span.col,
                       d->span.end_line, d->span.end_col, d->msg };
}

const bpc_diag *bpc_get_diag(const bpc_model *m, int i)
{
    if (!m || i < 0 || i >= m->diags.n)
        return NULL;
    bpc_model *mm = (bpc_model *)m;
    if (mm->npub != m->diags.n) {
        Guard gd;
        guard_push(&gd);
        if (setjmp(gd.jb) != 0) {   /* no memory for the table: one at a time */
            mm->pub_one = public_diag(&m->diags.items[i]);
            return &mm->pub_one;
        }
        bpc_diag *pub = arena_alloc(&mm->arena, sizeof *pub * (size_t)m->diags.n);
        guard_pop(&gd);
        for (int k = 0; k < m->diags.n; k++)
            pub[k] = public_diag(&m->diags.items[k]);
        mm->pub = pub;
        mm->npub = m->diags.n;
    }
    return &m->pub[i];
}

void bpc_print_diags(const bpc_model *m, FILE *out)
{
    if (m && out)
        diag_print(&m->diags, out);
}

void bpc_free(bpc_model *m)
{
    if (!m || m == &oom_model)
        return;
    arena_free(&m->arena);
    free(m);
}
