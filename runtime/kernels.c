/* kernels: optimised row kernels that JIT-compiled models call (softmax,
 * cross-entropy), compiled by the system compiler at -O3. */
#include "bp_runtime.h"
