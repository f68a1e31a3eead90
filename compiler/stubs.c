#include "model.h"
void explain_print(const bpc_model *m, FILE *out) { (void)m; (void)out; }
void plan_print(bpc_model *m, FILE *out) { (void)m; (void)out; }
void dot_print(const bpc_model *m, FILE *out) { (void)m; (void)out; }
