/* dist_env: whether a launcher started this process as one of a group. */
#include <stdlib.h>
#include "dist.h"

bool dist_launched(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK" };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return true;
    return false;
}
