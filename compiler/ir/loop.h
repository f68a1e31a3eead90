/* loop: for-loops in the IR (SPEC §1 "Loops").
 *
 * A loop's nodes live in the main graph, tagged with its region (Node.loop):
 * 2k+1 the forward body of loop k, 2k+2 its backward body. Regions are
 * contiguous runs of ids and never merge with nodes outside (the tag is part
 * of hash-consing). In creation order the forward region holds
 *   LOOP_CARRY c_j   (init_j)        each carried name's value at iteration start
 *   ... the body ...                 LOOP_INDEX W[l] reads slice l of W
 *   LOOP_COPY        (next_j)        when next_j is not a fresh body value
 *   LOOP             (next_j...)     emits the whole forward loop
 *   LOOP_OUT_j       (LOOP, c_j)     the value after the loop
 *   LOOP_SAVE_j      (LOOP, c_j)     c_j of every iteration [hi, ...]
 * and the backward region (ad_loop.c)
 *   LOOP_DCARRY d_j  (g_out_j, S_j)  d c_j at the end of the iteration running
 *   ... the body's derivative ...
 *   LOOP_BACK        (d_j...)        emits the whole reverse loop
 *   LOOP_ACC         (LOOP_BACK, contribution)   Σ over iterations, a captured tensor's gradient
 *   LOOP_ACC_INDEX   (LOOP_BACK, contribution)   the same into slice l of W
 *   LOOP_DINIT_j     (LOOP_BACK, d next)         d init_j
 * Only LOOP and LOOP_BACK are emitted where they stand; they emit the rest of
 * their region. The planner keeps every region's buffers, and everything a
 * region reads, alive until the loop's last region ends (plan_loop.c). */
#ifndef BPC_LOOP_H
#define BPC_LOOP_H
#include "ir.h"

enum { LOOP_MAX_CARRY = MAX_IN };

/* A bound: >= 0 a constant, < 0 the symbolic dim -(b+1) (an Extent's code). */
typedef int64_t LoopBound;

typedef struct Loop {
    const char *var;          /* the loop variable's source name          */
    Span span;
    LoopBound lo, hi;
    int ncarry;
    const char *names[LOOP_MAX_CARRY];
    Node *init[LOOP_MAX_CARRY], *carry[LOOP_MAX_CARRY], *next[LOOP_MAX_CARRY], *out[LOOP_MAX_CARRY], *save[LOOP_MAX_CARRY];
    Node *fwd;                /* the LOOP node                            */
    /* backward (ad_loop.c) */
    bool differentiated;
    Node *back;               /* the LOOP_BACK node, or NULL              */
    Node *dcarry[LOOP_MAX_CARRY], *dnext[LOOP_MAX_CARRY];
    Node **acc;               /* LOOP_ACC and LOOP_ACC_INDEX nodes        */
    int nacc, cacc;
} Loop;

static inline int loop_fwd_tag(int k) { return 2 * k + 1; }
static inline int loop_back_tag(int k) { return 2 * k + 2; }
static inline int loop_index_of(const Node *n) { return (n->loop - 1) / 2; }
static inline bool loop_is_back(const Node *n) { return n->loop > 0 && n->loop % 2 == 0; }
/* The extent hi of a loop's save stacks: the bound, at least 1. */
Extent loop_stack_extent(const Loop *L);
#endif
