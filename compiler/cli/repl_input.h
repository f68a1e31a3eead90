/* repl_input: the REPL's lines — libedit (line editing, history across
 * sessions, tab completion) on a terminal when bpc was built with it, plain
 * lines otherwise. */
#ifndef BPC_REPL_INPUT_H
#define BPC_REPL_INPUT_H
#include <stdbool.h>

/* Start: load the history ($BPC_HISTORY, else ~/.bpc_history). Returns a
 * short description of the mode for the banner. */
const char *repl_input_open(void);
/* One line without its newline (malloc'd), or NULL at end of input. */
char *repl_input_read(const char *prompt);
/* Remember a logical (possibly multi-line) entry in the history file. */
void repl_input_remember(const char *entry);
/* The words tab completion offers besides the built-in ones: the names of the
 * program so far (called again before each completion). */
void repl_input_names(const char *program);
void repl_input_close(void);
#endif
