/* repl: bpc repl — type statements to build a model, expressions to see
 * their value on seeded random data, :grad to see gradients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "session.h"
#include "strbuf.h"

static const char help[] =
    "  a statement (dim, input, param, def, name = expr, output, grad) extends the model\n"
    "  an expression prints its value on seeded random inputs and initialised params\n"
    "  :grad      gradients of the model's grad target      :explain  the derivation\n"
    "  :show      the model so far                          :reset    start over\n"
    "  :set N=4   bind a symbolic dim                       :quit     leave\n";

typedef struct Repl {
    StrBuf prog;         /* accepted statements */
    Cli cli;
} Repl;

/* Compile text; errors are printed, warnings (unused inputs...) are not:
 * a model typed line by line is unfinished by nature. */
static bpc_model *compile_text(Repl *r, const char *text, bool quiet_ok)
{
    bpc_options o = r->cli.opt;
    o.dtype = BP_F64;
    o.name = "repl";
    bpc_model *m = bpc_compile(text, strlen(text), "<repl>", &o);
    for (int i = 0; i < bpc_num_diags(m); i++) {
        const bpc_diag *d = bpc_get_diag(m, i);
        if (d->level == BPC_ERROR || !quiet_ok)
            bpc_print_diags(m, stderr), i = bpc_num_diags(m);
    }
    return m;
}

static void print_tensor(Session *s, const HostTensor *t)
{
    printf("%s [", t->info->name);
    for (int k = 0; k < t->info->rank; k++)
        printf("%s%lld", k ? ", " : "", (long long)host_extent(&s->h, t->info, k));
    printf("] =");
    int64_t cols = t->info->rank ? host_extent(&s->h, t->info, t->info->rank - 1) : 1;
    for (int64_t i = 0; i < t->numel && i < 64; i++)
        printf("%s%9.4f", i % cols == 0 && t->info->rank > 1 ? "\n  " : " ", host_get(t, i));
    printf("%s\n", t->numel > 64 ? " ..." : "");
}

/* Run text through a session and print the tensors of the given role. */
static void run(Repl *r, const char *text, int role, const char *only)
{
    bpc_model *m = compile_text(r, text, true);
    if (!bpc_ok(m)) {
        bpc_free(m);
        return;
    }
    Session s;
    if (session_bind(&s, &r->cli, m, 2) == EXIT_OK) {
        int rc = role == BP_GRAD ? s.e->grad(s.h.io, s.h.ws) : s.e->forward(s.h.io, s.h.ws);
        for (int i = 0; rc == BP_OK && i < s.h.n; i++)
            if (s.h.t[i].info->role == role && (!only || strcmp(s.h.t[i].info->name, only) == 0))
                print_tensor(&s, &s.h.t[i]);
        if (rc != BP_OK)
            printf("error: %s\n", s.e->strerror(rc));
    }
    session_close(&s);
}

static bool is_statement(const char *line)
{
    static const char *const kw[] = { "dim ", "input ", "param ", "def ", "output ", "grad ", "optimize " };
    for (size_t i = 0; i < sizeof kw / sizeof *kw; i++)
        if (strncmp(line, kw[i], strlen(kw[i])) == 0)
            return true;
    const char *eq = strchr(line, '=');
    return eq && eq[1] != '=' && strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ") == (size_t)(eq - line);
}

static void command(Repl *r, char *line)
{
    if (strncmp(line, ":set ", 5) == 0) {
        char *kv = line + 5, *eq = strchr(kv, '=');
        if (eq) {
            *eq = 0;
            int i = 0;   /* a name set again takes its new value */
            while (i < r->cli.nsets && strcmp(r->cli.sets[i].key, kv) != 0)
                i++;
            if (i < r->cli.nsets) {
                free((char *)r->cli.sets[i].value);
                r->cli.sets[i].value = strdup(eq + 1);
            } else if (i < CLI_MAX_PAIRS) {
                r->cli.sets[r->cli.nsets++] = (Pair){ strdup(kv), strdup(eq + 1) };
            }
        }
    } else if (strcmp(line, ":show") == 0) {
        fputs(r->prog.s ? r->prog.s : "", stdout);
    } else if (strcmp(line, ":reset") == 0) {
        sb_free(&r->prog);
    } else if (strcmp(line, ":grad") == 0) {
        run(r, r->prog.s ? r->prog.s : "", BP_GRAD, NULL);
    } else if (strcmp(line, ":explain") == 0) {
        bpc_model *m = compile_text(r, r->prog.s ? r->prog.s : "", true);
        bpc_dump(m, BPC_STAGE_EXPLAIN, stdout);
        bpc_free(m);
    } else {
        fputs(help, stdout);
    }
}

static void line_in(Repl *r, char *line)
{
    if (line[0] == ':') {
        command(r, line);
        return;
    }
    StrBuf t = { 0 };
    sb_puts(&t, r->prog.s ? r->prog.s : "");
    if (is_statement(line)) {
        sb_printf(&t, "%s\n", line);
        bpc_model *m = compile_text(r, t.s, true);
        if (bpc_ok(m))
            sb_printf(&r->prog, "%s\n", line);
        bpc_free(m);
    } else {
        sb_printf(&t, "value = (%s)\noutput value\n", line);
        run(r, t.s, BP_OUTPUT, "value");
    }
    sb_free(&t);
}

int cmd_repl(Cli *cli)
{
    Repl r = { .cli = *cli };
    for (int i = 0; i < r.cli.nsets; i++)   /* owned from here on: :set replaces and frees them */
        r.cli.sets[i] = (Pair){ strdup(cli->sets[i].key), strdup(cli->sets[i].value) };
    if (cli->model) {
        size_t len;
        char *src = cli_read_file(cli->model, &len);
        if (!src)
            return EXIT_MODEL;
        sb_printf(&r.prog, "%.*s\n", (int)len, src);
        free(src);
    }
    printf("bpc %s repl — :help for help\n", bpc_version());
    char buf[4096];
    for (;;) {
        printf("bpc> ");
        fflush(stdout);
        if (!fgets(buf, sizeof buf, stdin))
            break;
        buf[strcspn(buf, "\n")] = 0;
        if (strcmp(buf, ":quit") == 0 || strcmp(buf, ":q") == 0)
            break;
        if (buf[strspn(buf, " \t")])
            line_in(&r, buf);
    }
    sb_free(&r.prog);
    for (int i = 0; i < r.cli.nsets; i++)
        free((char *)r.cli.sets[i].key), free((char *)r.cli.sets[i].value);
    return EXIT_OK;
}
