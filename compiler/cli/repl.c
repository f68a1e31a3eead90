/* repl: bpc repl — type statements to build a model, expressions to see
 * their value on seeded random data, :grad to see gradients. Lines are read
 * by repl_input (libedit: editing, history, completion); an entry continues
 * over several lines while a bracket is open. Errors point into what the
 * user typed (repl_diag), once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "repl_input.h"
#include "session.h"
#include "strbuf.h"

static const char help[] =
    "  a statement (dim, input, param, def, name = expr, output, grad, optimize) extends the model\n"
    "  an expression prints its value on seeded random inputs and initialised params\n"
    "  an open bracket continues the entry on the next line\n"
    "  :grad [NAME]   gradients of the grad target (or d target / d NAME)\n"
    "  :shape EXPR    the shape of an expression       :time EXPR   how long it takes to evaluate\n"
    "  :load FILE     replace the model by a file      :save FILE   write the model so far\n"
    "  :show          the model so far                 :explain     the derivation\n"
    "  :set N=4       bind a symbolic dim or a scalar  :reset       start over\n"
    "  :quit          leave (or end of input)\n";

enum { WRAP_OFFSET = 9 };   /* strlen("value = (") */

typedef struct Repl {
    StrBuf prog;         /* accepted statements */
    Cli cli;
} Repl;

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* Line k (1-based) of text, its length in *len. */
static const char *line_of(const char *text, int k, int *len)
{
    for (int i = 1; i < k && text; i++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    *len = text ? (int)strcspn(text, "\n") : 0;
    return text ? text : "";
}

static void caret(const char *src, int len, int col, int end_col, int num)
{
    fprintf(stderr, "%5d | %.*s\n      | ", num, len, src);
    for (int i = 1; i < col && i <= len; i++)
        fputc(src[i - 1] == '\t' ? '\t' : ' ', stderr);
    fputc('^', stderr);
    for (int i = col + 1; i < end_col && i <= len + 1; i++)
        fputc('~', stderr);
    fputc('\n', stderr);
}

/* Print m's diagnostics as places in what the user typed (`typed`, which
 * follows `prog` lines of accepted program; `wrapped`: typed sits inside
 * "value = (...)" on its first line). A diagnostic in the synthetic rest is
 * moved to the end of the input; each is printed once; warnings only with
 * `warnings`. */
static void print_diags(const bpc_model *m, const char *program, const char *typed, bool wrapped, bool warnings)
{
    int prog = count_lines(program), ntyped = count_lines(typed) + 1, shown = 0;
    for (int i = 0; i < bpc_num_diags(m); i++) {
        const bpc_diag *d = bpc_get_diag(m, i);
        if ((d->level == BPC_WARNING && !warnings) || d->level > BPC_NOTE)
            continue;
        bool dup = false;
        for (int k = 0; k < i && !dup; k++) {
            const bpc_diag *e = bpc_get_diag(m, k);
            dup = e->level == d->level && e->line == d->line && e->col == d->col && strcmp(e->message, d->message) == 0;
        }
        if (dup || (d->level == BPC_NOTE && shown == 0))
            continue;
        static const char *const lv[] = { "error", "warning", "note" };
        int len, line = d->line - prog, col = d->col, end = d->end_line == d->line ? d->end_col : d->col + 1;
        if (d->line <= prog) {   /* a note about an earlier statement, in the model's lines */
            const char *src = line_of(program, d->line, &len);
            fprintf(stderr, "<model>:%d:%d: %s: %s\n", d->line, d->col, lv[d->level], d->message);
            caret(src, len, d->col, end, d->line);
            continue;
        }
        if (line > ntyped && shown)   /* a consequence of an error already shown */
            continue;
        bool moved = line > ntyped;
        if (moved) {   /* in the wrapper's own text: at the end of the input */
            line = ntyped;
            line_of(typed, line, &len);
            col = len + 1 + (wrapped && line == 1 ? WRAP_OFFSET : 0), end = col + 1;
        }
        if (wrapped && line == 1)
            col -= WRAP_OFFSET, end -= WRAP_OFFSET;
        const char *src = line_of(typed, line, &len);
        col = col < 1 ? 1 : col > len + 1 ? len + 1 : col;
        const char *msg = d->message, *wrap = moved ? strstr(msg, "found 'output'") : NULL;
        if (wrap)   /* the wrapper's next line is the end of what the user typed */
            fprintf(stderr, "<input>:%d:%d: %s: %.*sfound the end of the input\n", line, col, lv[d->level],
                    (int)(wrap - msg), msg);
        else
            fprintf(stderr, "<input>:%d:%d: %s: %s\n", line, col, lv[d->level], msg);
        caret(src, len, col, end, line);
        shown++;
    }
}

/* Compile prog + extra; errors are printed as places in `typed`. */
static bpc_model *compile_text(Repl *r, const char *extra, const char *typed, bool wrapped)
{
    StrBuf t = { 0 };
    sb_puts(&t, r->prog.s ? r->prog.s : "");
    sb_puts(&t, extra);
    bpc_options o = r->cli.opt;
    o.dtype = BP_F64;
    o.name = "repl";
    bpc_model *m = bpc_compile(t.s ? t.s : "", t.len, "<repl>", &o);
    if (!bpc_ok(m))
        print_diags(m, r->prog.s, typed, wrapped, false);
    sb_free(&t);
    return m;
}

static void shape_text(const Session *s, const bp_tensor_info *t, char *buf, size_t n)
{
    const char *names[HOST_MAX_DIMS];
    int nd = host_dim_names(s->e, names, HOST_MAX_DIMS);
    size_t at = (size_t)snprintf(buf, n, "[");
    for (int k = 0; k < t->rank && at < n; k++) {
        int64_t d = t->dims[k];
        if (d < 0 && -d - 1 < nd)
            at += (size_t)snprintf(buf + at, n - at, "%s%s=%lld", k ? ", " : "", names[-d - 1],
                                   (long long)host_extent(&s->h, t, k));
        else
            at += (size_t)snprintf(buf + at, n - at, "%s%lld", k ? ", " : "", (long long)host_extent(&s->h, t, k));
    }
    if (at < n)
        snprintf(buf + at, n - at, "]");
}

static void print_tensor(Session *s, const HostTensor *t, const char *label)
{
    char shape[256];
    shape_text(s, t->info, shape, sizeof shape);
    printf("%s%s%s =", label, *label ? " " : "", shape);
    int64_t cols = t->info->rank ? host_extent(&s->h, t->info, t->info->rank - 1) : 1;
    for (int64_t i = 0; i < t->numel && i < 64; i++)
        printf("%s%9.4f", i % cols == 0 && t->info->rank > 1 ? "\n  " : " ", host_get(t, i));
    printf("%s\n", t->numel > 64 ? " ..." : "");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum Mode { SHOW_VALUE, SHOW_SHAPE, SHOW_TIME };

/* Evaluate the expression the user typed and show its value, shape or time. */
static void eval_expr(Repl *r, const char *expr, enum Mode mode)
{
    StrBuf t = { 0 };
    sb_printf(&t, "value = (%s)\noutput value\n", expr);
    bpc_model *m = compile_text(r, t.s, expr, true);
    sb_free(&t);
    if (!bpc_ok(m)) {
        bpc_free(m);
        return;
    }
    Session s;
    if (session_bind(&s, &r->cli, m, 2) == EXIT_OK) {
        const HostTensor *v = host_find(&s.h, "value");
        double t0 = now();
        int rc = s.e->forward(s.h.io, s.h.ws), reps = 1;
        while (mode == SHOW_TIME && rc == BP_OK && now() - t0 < 0.2 && reps < 100000)
            rc = s.e->forward(s.h.io, s.h.ws), reps++;
        if (rc != BP_OK)
            fprintf(stderr, "error: %s\n", s.e->strerror(rc));
        else if (mode == SHOW_VALUE)
            print_tensor(&s, v, "");
        else if (mode == SHOW_SHAPE) {
            char shape[256];
            shape_text(&s, v->info, shape, sizeof shape);
            printf("%s\n", shape);
        } else
            printf("%.3f ms per evaluation (mean of %d, tcc JIT, f64)\n", 1e3 * (now() - t0) / reps, reps);
    }
    session_close(&s);
}

static void show_grads(Repl *r, const char *only)
{
    bpc_model *m = compile_text(r, "", "", false);
    if (!bpc_ok(m)) {
        bpc_free(m);
        return;
    }
    Session s;
    if (session_bind(&s, &r->cli, m, 2) == EXIT_OK) {
        int rc = s.e->grad(s.h.io, s.h.ws), shown = 0;
        for (int i = 0; rc == BP_OK && i < s.h.n; i++) {
            const HostTensor *t = &s.h.t[i];
            if (t->info->role == BP_GRAD && (!only || strcmp(t->info->of, only) == 0))
                print_tensor(&s, t, t->info->name), shown++;
        }
        if (rc != BP_OK)
            fprintf(stderr, "error: %s\n", s.e->strerror(rc));
        else if (!shown)
            fprintf(stderr, "error: %s\n", only ? "no gradient of that name (is it a param, or in `grad ... wrt`?)"
                                                : "no gradients: add `grad LOSS` to the model");
    }
    session_close(&s);
}

static bool is_statement(const char *line)
{
    static const char *const kw[] = { "dim ", "input ", "param ", "def ", "output ", "grad ", "optimize " };
    line += strspn(line, " \t");
    for (size_t i = 0; i < sizeof kw / sizeof *kw; i++)
        if (strncmp(line, kw[i], strlen(kw[i])) == 0)
            return true;
    const char *eq = strchr(line, '=');
    return eq && eq[1] != '=' && strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ") == (size_t)(eq - line);
}

static void set_pair(Repl *r, char *kv)
{
    char *eq = strchr(kv, '=');
    if (!eq) {
        fprintf(stderr, "error: :set expects NAME=VALUE\n");
        return;
    }
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

/* :load FILE: the file replaces the model when it compiles. */
static void load_file(Repl *r, const char *path)
{
    size_t len;
    char *src = cli_read_file(path, &len);
    if (!src)
        return;
    bpc_options o = r->cli.opt;
    o.dtype = BP_F64;
    bpc_model *m = bpc_compile(src, len, path, &o);
    if (bpc_ok(m)) {
        sb_free(&r->prog);
        sb_printf(&r->prog, "%.*s%s", (int)len, src, len && src[len - 1] != '\n' ? "\n" : "");
        printf("loaded %s\n", path);
    } else {
        bpc_print_diags(m, stderr);
    }
    bpc_free(m);
    free(src);
}

static const char *arg_of(const char *line, const char *cmd)
{
    size_t n = strlen(cmd);
    if (strncmp(line, cmd, n) != 0 || (line[n] && line[n] != ' '))
        return NULL;
    line += n;
    return line + strspn(line, " \t");
}

static void command(Repl *r, char *line)
{
    const char *a;
    if ((a = arg_of(line, ":set")) && *a)
        set_pair(r, (char *)a);
    else if ((a = arg_of(line, ":show")))
        fputs(r->prog.s ? r->prog.s : "", stdout);
    else if ((a = arg_of(line, ":reset")))
        sb_free(&r->prog);
    else if ((a = arg_of(line, ":grad")))
        show_grads(r, *a ? a : NULL);
    else if ((a = arg_of(line, ":shape")) && *a)
        eval_expr(r, a, SHOW_SHAPE);
    else if ((a = arg_of(line, ":time")) && *a)
        eval_expr(r, a, SHOW_TIME);
    else if ((a = arg_of(line, ":load")) && *a)
        load_file(r, a);
    else if ((a = arg_of(line, ":save")) && *a) {
        if (cli_write_atomic(a, r->prog.s ? r->prog.s : "", r->prog.len) == EXIT_OK)
            printf("saved %s\n", a);
    } else if ((a = arg_of(line, ":explain"))) {
        bpc_model *m = compile_text(r, "", "", false);
        bpc_dump(m, BPC_STAGE_EXPLAIN, stdout);
        bpc_free(m);
    } else
        fputs(help, stdout);
}

static void entry_in(Repl *r, char *text)
{
    if (text[0] == ':') {
        command(r, text);
        return;
    }
    if (!is_statement(text)) {
        eval_expr(r, text, SHOW_VALUE);
        return;
    }
    StrBuf t = { 0 };
    sb_printf(&t, "%s\n", text);
    bpc_model *m = compile_text(r, t.s, text, false);
    if (bpc_ok(m))
        sb_puts(&r->prog, t.s);
    bpc_free(m);
    sb_free(&t);
}

/* Open brackets minus closed ones, outside comments. */
static int depth(const char *s)
{
    int d = 0;
    for (; *s && *s != '#'; s++)
        d += (*s == '(' || *s == '[' || *s == '{') - (*s == ')' || *s == ']' || *s == '}');
    return d;
}

/* One entry: a line, continued while a bracket is open. NULL at end of input. */
static char *read_entry(void)
{
    char *line = repl_input_read("bpc> ");
    if (!line)
        return NULL;
    StrBuf e = { 0 };
    sb_puts(&e, line);
    int d = depth(line);
    free(line);
    while (d > 0 && (line = repl_input_read("...> "))) {
        sb_printf(&e, "\n%s", line);
        d += depth(line);
        free(line);
    }
    return e.s ? sb_take(&e) : calloc(1, 1);
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
    printf("bpc %s repl — %s; :help for help\n", bpc_version(), repl_input_open());
    for (char *entry; (entry = read_entry());) {
        char *text = entry + strspn(entry, " \t");
        if (*text)
            repl_input_remember(entry);
        bool quit = strcmp(text, ":quit") == 0 || strcmp(text, ":q") == 0;
        if (*text && !quit) {
            repl_input_names(r.prog.s);
            entry_in(&r, text);
            repl_input_names(r.prog.s);
        }
        free(entry);
        if (quit)
            break;
    }
    repl_input_close();
    sb_free(&r.prog);
    for (int i = 0; i < r.cli.nsets; i++)
        free((char *)r.cli.sets[i].key), free((char *)r.cli.sets[i].value);
    return EXIT_OK;
}
