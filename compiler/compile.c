/* compile: the pipeline — parse, lower, differentiate — and the public
 * model object of bpc.h. */
#include <stdlib.h>
#include <string.h>
#include "ad.h"
#include "fields.h"
#include "lower.h"
#include "model.h"

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

static void front_end(bpc_model *m)
{
    if (m->len > BPC_MAX_SOURCE) {
        diag_error(&m->diags, (Span){ 0 }, "source is larger than %d MB", BPC_MAX_SOURCE >> 20);
        return;
    }
    m->ast = parse_module(&m->arena, &m->diags, m->src, m->len);
    Graph *g = ir_new(&m->arena);
    Lower l = { .arena = &m->arena, .diags = &m->diags, .g = g };
    lower_module(&l, m->ast);
    if (m->diags.nerrors)
        return;
    ad_run(g);
    if (fields_check(fields_build(g), m->name, &m->diags))
        m->g = g;
}

bpc_model *bpc_compile(const char *src, size_t len, const char *filename, const bpc_options *opt)
{
    bpc_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->file = arena_strdup(&m->arena, filename ? filename : "<input>");
    m->src = arena_strndup(&m->arena, src, len);
    m->len = len;
    if (opt)
        m->opt = *opt;
    else
        m->opt.opt_level = 1;
    diag_init(&m->diags, &m->arena, m->file, m->src, m->len);
    m->name = m->opt.name ? arena_strdup(&m->arena, m->opt.name) : default_name(&m->arena, m->file);
    if (!valid_name(m->name))
        diag_error(&m->diags, (Span){ 0 }, "'%s' is not a valid C prefix (--name takes letters, digits and _)", m->name);
    else
        front_end(m);
    return m;
}

int bpc_ok(const bpc_model *m) { return m && m->diags.nerrors == 0 && m->g != NULL; }
int bpc_num_diags(const bpc_model *m) { return m->diags.n; }
const char *bpc_name(const bpc_model *m) { return m->name; }

const bpc_diag *bpc_get_diag(const bpc_model *m, int i)
{
    if (i < 0 || i >= m->diags.n)
        return NULL;
    bpc_model *mm = (bpc_model *)m;
    if (!mm->pub) {
        mm->pub = arena_alloc(&mm->arena, sizeof *mm->pub * (size_t)m->diags.n);
        for (int k = 0; k < m->diags.n; k++) {
            const Diag *d = &m->diags.items[k];
            mm->pub[k] = (bpc_diag){ (int)d->level, d->span.line, d->span.caret ? d->span.caret : d->span.col,
                                     d->span.end_line, d->span.end_col, d->msg };
        }
    }
    return &m->pub[i];
}

void bpc_print_diags(const bpc_model *m, FILE *out) { diag_print(&m->diags, out); }

void bpc_free(bpc_model *m)
{
    if (!m)
        return;
    arena_free(&m->arena);
    free(m);
}
