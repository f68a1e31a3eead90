/* repl_input: libedit's readline interface when available and stdin is a
 * terminal, fgets otherwise. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "repl_input.h"
#include "strbuf.h"
#ifdef BPC_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

/* Completion candidates: keywords, functions, commands, then the program's names. */
static const char *const fixed_words[] = {
    "dim", "input", "param", "def", "output", "grad", "optimize", "with", "wrt", "int", "sgd", "momentum", "adam",
    "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "leaky_relu", "sum", "mean", "max", "min", "softmax",
    "log_softmax", "cross_entropy", "svm", "mse", "axis", ":grad", ":shape", ":time", ":load", ":save", ":show",
    ":explain", ":reset", ":set", ":help", ":quit",
};
static StrBuf names;          /* the program's identifiers, each followed by '\n' */
static char history_path[4096];
static bool editing;

void repl_input_names(const char *program)
{
    sb_free(&names);
    for (const char *p = program ? program : ""; *p;) {
        if (*p == '#') {   /* a comment: to the end of the line */
            p += strcspn(p, "\n");
            continue;
        }
        if (!isalpha((unsigned char)*p) && *p != '_') {
            p++;
            continue;
        }
        size_t n = 1;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        char word[130];
        snprintf(word, sizeof word, "\n%.*s\n", (int)(n < 120 ? n : 120), p);
        if (!names.s || !strstr(names.s, word))   /* once each; names.s starts with '\n' */
            sb_puts(&names, names.s ? word + 1 : word);
        p += n;
    }
}

#ifdef BPC_HAVE_LIBEDIT
/* readline's generator: the state-th candidate starting with text. */
static char *complete_word(const char *text, int state)
{
    static size_t fixed, len;
    static const char *at;
    if (state == 0)
        fixed = 0, len = strlen(text), at = names.s ? names.s + (names.s[0] == '\n') : NULL;
    while (fixed < sizeof fixed_words / sizeof *fixed_words) {
        const char *w = fixed_words[fixed++];
        if (strncmp(w, text, len) == 0)
            return strdup(w);
    }
    while (at && *at) {
        size_t n = strcspn(at, "\n");
        const char *w = at;
        at += n + (at[n] == '\n');
        bool keyword = false;
        for (size_t k = 0; k < sizeof fixed_words / sizeof *fixed_words; k++)
            keyword |= strlen(fixed_words[k]) == n && strncmp(fixed_words[k], w, n) == 0;
        if (n >= len && strncmp(w, text, len) == 0 && !keyword)
            return strndup(w, n);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start, (void)end;
    rl_attempted_completion_over = 1;   /* no file names */
    return rl_completion_matches(text, complete_word);
}
#endif

const char *repl_input_open(void)
{
    const char *env = getenv("BPC_HISTORY"), *home = getenv("HOME");
    if (env && *env)
        snprintf(history_path, sizeof history_path, "%s", env);
    else if (home && *home)
        snprintf(history_path, sizeof history_path, "%s/.bpc_history", home);
#ifdef BPC_HAVE_LIBEDIT
    editing = isatty(STDIN_FILENO);
    if (editing) {
        rl_readline_name = "bpc";
        rl_attempted_completion_function = complete;
        rl_completer_word_break_characters = (char *)" \t\n()[],+-*/@=<>~";
        rl_completion_append_character = '\0';   /* "sigm<TAB>" gives "sigmoid", ready for "(" */
        using_history();
        stifle_history(1000);
        if (history_path[0])
            read_history(history_path);
        return "line editing, history, tab completion (libedit)";
    }
    return "plain lines (stdin is not a terminal)";
#else
    return "plain lines (built without libedit)";
#endif
}

char *repl_input_read(const char *prompt)
{
#ifdef BPC_HAVE_LIBEDIT
    if (editing)
        return readline(prompt);
#endif
    fputs(prompt, stdout);
    fflush(stdout);
    StrBuf b = { 0 };
    char buf[4096];
    while (fgets(buf, sizeof buf, stdin)) {
        sb_puts(&b, buf);
        if (strchr(buf, '\n'))
            break;
    }
    if (!b.s)
        return NULL;
    char *line = sb_take(&b);   /* malloc'd: the caller frees it */
    if (line)
        line[strcspn(line, "\n")] = 0;
    return line;
}

void repl_input_remember(const char *entry)
{
#ifdef BPC_HAVE_LIBEDIT
    if (editing) {
        add_history(entry);
        if (history_path[0])
            write_history(history_path);   /* after every entry: a crash loses nothing */
    }
#else
    (void)entry;
#endif
}

void repl_input_close(void) { sb_free(&names); }
