#include "model.h"
void explain_print(const bpc_model *m, FILE *out) { (void)m; (void)out; }
void plan_print(bpc_model *m, FILE *out) { (void)m; (void)out; }
void dot_print(const bpc_model *m, FILE *out) { (void)m; (void)out; }
const char *bpc_c_source(bpc_model *m) { (void)m; return NULL; }
const char *bpc_c_header(bpc_model *m) { (void)m; return NULL; }
bpc_jit *bpc_jit_new(bpc_model *m, char *err, size_t errlen) { (void)m; (void)err; (void)errlen; return NULL; }
const bpc_entry *bpc_jit_entry(const bpc_jit *j) { (void)j; return NULL; }
void bpc_jit_free(bpc_jit *j) { (void)j; }
