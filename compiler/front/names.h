/* names: what a source name may not be in the generated C (SPEC §1: any
 * identifier the grammar accepts is a valid name). A field of the io struct
 * keeps its name, so names that cannot be a struct member (C keywords,
 * object-like macros of the four headers or the compiler, reserved
 * identifiers, macros of the generated code, the runtime's bp_ and bpc_
 * names, which the cc JIT defines as macros) are rejected; a local variable
 * is renamed when its name could collide with anything the generated code
 * uses (libm/libc functions, types, its own helpers, locals and constants). */
#ifndef BPC_NAMES_H
#define BPC_NAMES_H
#include <stdbool.h>

/* Why NAME cannot be a member of model PREFIX's io struct ("a C keyword",
 * "a macro of <math.h>", ...), or NULL when it can. */
const char *names_field_problem(const char *name, const char *prefix);

/* Whether NAME may be a local variable of model PREFIX's functions as is:
 * false for keywords, every macro, reserved identifiers, the functions,
 * types and constants the generated code refers to, its internal locals
 * (i, acc, t12, v3, ...), and any name that begins with "bp_", "BP",
 * or PREFIX followed by '_'. Internal names never end in '_', so NAME
 * followed by underscores is a safe rename. */
bool names_local_ok(const char *name, const char *prefix);
#endif
