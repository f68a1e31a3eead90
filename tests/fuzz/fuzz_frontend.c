/* fuzz_frontend: libFuzzer target — any bytes through the whole compiler
 * (parse, lower, differentiate, plan, emit C); nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include "bpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bpc_model *m = bpc_compile((const char *)data, size, "fuzz.bp", NULL);
    if (bpc_ok(m))
        (void)bpc_c_source(m);
    bpc_free(m);
    return 0;
}
