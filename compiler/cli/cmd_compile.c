/* cmd_compile: the commands that only compile — check, explain, --emit, -o, graph. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "strbuf.h"

int cmd_check(Cli *cli)
{
    bpc_model *m = cli_compile(cli);
    bpc_free(m);
    return m ? EXIT_OK : EXIT_MODEL;
}

/* Errors the library added after the compile was reported (running out of
 * memory while emitting): "bpc: error: ..." each. */
static void report_late_errors(const bpc_model *m, int from)
{
    for (int i = from; i < bpc_num_diags(m); i++) {
        const bpc_diag *d = bpc_get_diag(m, i);
        if (d && d->level == BPC_ERROR)
            fprintf(stderr, "bpc: error: %s\n", d->message);
    }
}

static int dump(Cli *cli, int stage)
{
    bpc_model *m = cli_compile(cli);
    if (!m)
        return EXIT_MODEL;
    int nd = bpc_num_diags(m);
    int rc = bpc_dump(m, stage, stdout) == 0 ? EXIT_OK : EXIT_MODEL;
    report_late_errors(m, nd);
    bpc_free(m);
    return rc;
}

int cmd_explain(Cli *cli) { return dump(cli, cli->cost ? BPC_STAGE_COST : BPC_STAGE_EXPLAIN); }

static const struct { const char *name; int stage; } stages[] = {
    { "ast", BPC_STAGE_AST }, { "ir", BPC_STAGE_IR }, { "grad", BPC_STAGE_GRAD },
    { "c", BPC_STAGE_C }, { "plan", BPC_STAGE_PLAN }, { "explain", BPC_STAGE_EXPLAIN }, { "dot", BPC_STAGE_DOT },
    { "cost", BPC_STAGE_COST },
};

static int emit_stage(Cli *cli)
{
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
        if (strcmp(stages[i].name, cli->emit) != 0)
            continue;
        if (stages[i].stage != BPC_STAGE_AST)
            return dump(cli, stages[i].stage);
        /* the AST is printed even when later stages fail */
        size_t len;
        char *src = cli_read_file(cli->model, &len);
        if (!src)
            return EXIT_MODEL;
        bpc_model *m = bpc_compile(src, len, cli->model, &cli->opt);
        free(src);
        bpc_dump(m, BPC_STAGE_AST, stdout);
        bpc_print_diags(m, stderr);
        int rc = bpc_ok(m) ? EXIT_OK : EXIT_MODEL;
        bpc_free(m);
        return rc;
    }
    fprintf(stderr, "bpc: --emit takes ast, ir, grad, c, plan, explain, cost or dot, not '%s'\n", cli->emit);
    return EXIT_USAGE;
}

/* OUT.c -> OUT.h */
static char *header_path(const char *out)
{
    size_t n = strlen(out);
    char *h = malloc(n + 3);
    if (!h)
        return NULL;
    memcpy(h, out, n + 1);
    if (n > 2 && strcmp(out + n - 2, ".c") == 0)
        h[n - 1] = 'h';
    else
        strcat(h, ".h");
    return h;
}

/* The header file name as the source #includes it. */
static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* name can be written between the quotes of #include: C has no escapes
 * there, and a quote, newline, backslash, apostrophe, slash-star, slash-slash
 * or ?? (trigraph) is an error or undefined; so is any non-printable byte. */
static bool includable(const char *name)
{
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c < 0x20 || *c >= 0x7f || strchr("\"\\'", *c) || (c[0] == '/' && (c[1] == '*' || c[1] == '/')) ||
            (c[0] == '?' && c[1] == '?'))
            return false;
    return *name != '\0';
}

/* s between the quotes of a C string: as the emitter's em_c_string. */
static void c_string(StrBuf *o, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c == '"' || *c == '\\' || *c == '?')
            sb_printf(o, "\\%c", *c);
        else if (*c >= 0x20 && *c < 0x7f)
            sb_printf(o, "%c", *c);
        else
            sb_printf(o, "\\%03o", *c);
}

/* --line-directives: the library numbers the lines after each statement's
 * code as those of "P.c" from its own first line; in the file -o writes
 * (a line or the header before it, another name) each such `#line N "P.c"`
 * becomes `#line <the next line's number> "<the file's name>"`. Returns a
 * malloc'd text, or NULL out of memory. */
static char *renumber(const char *src, const char *P, const char *file)
{
    StrBuf o = { 0 }, from = { 0 };
    sb_printf(&from, "\"%s.c\"", P);
    int line = 1;
    for (const char *s = src; *s && from.s; line++) {
        const char *end = strchr(s, '\n');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        const char *q = strchr(s, '"');
        if (strncmp(s, "#line ", 6) == 0 && q && q < s + n && (size_t)(s + n - q) == strlen(from.s) &&
            strncmp(q, from.s, strlen(from.s)) == 0) {
            sb_printf(&o, "#line %d \"", line + 1);
            c_string(&o, file);
            sb_printf(&o, "\"");
        } else {
            sb_printf(&o, "%.*s", (int)n, s);
        }
        if (end)
            sb_printf(&o, "\n");
        s += n + (end != NULL);
    }
    bool oom = from.oom || !from.s;
    sb_free(&from);
    if (oom) {
        sb_free(&o);
        return NULL;
    }
    return sb_take(&o);
}

static int write_c(Cli *cli)
{
    char *hpath = cli->header ? strdup(cli->header) : header_path(cli->out);
    const char *outs[2] = { cli->out, hpath }, *opts[2] = { "-o", cli->header ? "--header" : "the header" };
    if (hpath && cli_check_outputs(cli->model, 2, outs, opts) != EXIT_OK) {
        free(hpath);
        return EXIT_USAGE;
    }
    bpc_model *m = hpath ? cli_compile(cli) : NULL;
    int rc = EXIT_MODEL;
    if (m) {
        int nd = bpc_num_diags(m);
        const char *h = bpc_c_header(m), *c = bpc_c_source(m);
        report_late_errors(m, nd);
        if (h && c) {
            const char *hname = base_name(hpath);
            size_t n = strlen(c) + strlen(hname) + strlen(h) + 128;
            char *src = malloc(n);
            if (src) {
                if (includable(hname))
                    snprintf(src, n, "#include \"%s\"\n%s", hname, c);
                else   /* the header's own text: same guard, so including both is fine */
                    snprintf(src, n, "/* the header, whose file name #include cannot spell: */\n%s%s", h, c);
                if (cli->opt.line_directives) {
                    char *fixed = renumber(src, bpc_name(m), base_name(cli->out));
                    free(src);
                    src = fixed;
                }
                const char *paths[2] = { hpath, cli->out }, *texts[2] = { h, src };
                if (src && cli_write_files(2, paths, texts) == 0)
                    rc = EXIT_OK;
                free(src);
            } else {
                fprintf(stderr, "bpc: error: out of memory\n");
            }
        }
    }
    bpc_free(m);
    free(hpath);
    return rc;
}

int cmd_compile(Cli *cli)
{
    if (cli->emit)
        return emit_stage(cli);
    if (!cli->out) {
        fprintf(stderr, "bpc: nothing to do: give -o OUT.c, --emit=STAGE or a command (see --help)\n");
        return EXIT_USAGE;
    }
    return write_c(cli);
}

int cmd_graph(Cli *cli)
{
    const char *opt = "-o";
    if (cli->out && cli_check_outputs(cli->model, 1, &cli->out, &opt) != EXIT_OK)
        return EXIT_USAGE;
    bpc_model *m = cli_compile(cli);
    if (!m)
        return EXIT_MODEL;
    int rc = EXIT_OK;
    if (cli->out) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        bpc_dump(m, BPC_STAGE_DOT, f);
        fclose(f);
        rc = cli_write_atomic(cli->out, buf, len) == 0 ? EXIT_OK : EXIT_MODEL;
        free(buf);
    } else {
        bpc_dump(m, BPC_STAGE_DOT, stdout);
    }
    bpc_free(m);
    return rc;
}
