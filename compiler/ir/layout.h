/* layout: builders of the layout and indexing ops (ir/layout.c), for the
 * lowering and the derivative rules. Operands must already fit: a misfit is
 * an internal error (ir.c's make). */
#ifndef BPC_LAYOUT_H
#define BPC_LAYOUT_H
#include "ir.h"

/* A node for operands known to fit (the shape rule's failure is internal). */
Node *ir_build(Graph *g, Node proto);
/* Output axis i reads axis perm[i] of x; composes with a permute below, and
 * the identity is x itself. */
Node *ir_permute(Graph *g, Node *x, const int *perm);
/* Swap axes a and b (in range, non-negative); rank 2 is the plain transpose. */
Node *ir_swap_axes(Graph *g, Node *x, int a, int b);
/* x[:, ..., lo:hi, ...] on axis ax, constant bounds within a constant extent. */
/* x's elements off..off+len along axis ax (off a constant >= 0, or a
 * symbolic or derived dim; len an extent): a constant slice on a constant
 * axis, else a SLICE_EXT one. */
Node *ir_slice_axis(Graph *g, Node *x, int ax, Extent off, Extent len);
#endif
