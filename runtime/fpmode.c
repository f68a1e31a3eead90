/* fpmode: flush denormals to zero on the calling thread. A training step whose
 * values fall into float's denormal range (below 1.2e-38) runs up to 10x slower
 * on x86: a softmax that has converged on its example (probabilities of
 * e^-90), Adam's moments of a unit whose gradient stays zero. bpc train and
 * bpc bench run with denormals flushed, as TensorFlow's and XLA's CPU threads
 * do; other commands and the generated C leave the mode to their host. */
#include "bp_runtime.h"
#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
#endif

int bp_flush_denormals(int on)
{
#if defined(__x86_64__) || defined(__SSE2__)
    const unsigned ftz_daz = 0x8040u;   /* MXCSR: flush-to-zero (bit 15), denormals-are-zero (bit 6) */
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(on ? csr | ftz_daz : csr & ~ftz_daz);
    return 0;
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = on ? fpcr | (UINT64_C(1) << 24) : fpcr & ~(UINT64_C(1) << 24);   /* FPCR.FZ */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
    return 0;
#else
    (void)on;
    return -1;
#endif
}
