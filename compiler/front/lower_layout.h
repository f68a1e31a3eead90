/* lower_layout: the layout functions (transpose(x, a, b), reshape, concat)
 * and indexing (lower_index.c: slices, integer indices, gathers) lowered to
 * the ops of ir/layout.h, every misuse reported with the operand's shape. */
#ifndef BPC_LOWER_LAYOUT_H
#define BPC_LOWER_LAYOUT_H
#include "lower.h"

/* transpose(x, a, b): swap axes a and b (negative from the end) of x, rank 2..4. */
Node *lower_transpose(Lower *l, const Ast *call, Node *x, const Ast *xa, const double *ab, const Ast *const *aab);
/* reshape(x, [e1, ...]): list the AST_LIST of extents. */
Node *lower_reshape(Lower *l, Node *x, const Ast *xa, const Ast *list);
/* concat(a, b, ..., axis=k): reads the call's arguments itself. */
Node *lower_concat(Lower *l, const Ast *call);
/* x[...]: constant slices and indices, or E[ids] with int ids (AST_INDEX). */
Node *lower_index(Lower *l, const Ast *a);
/* The axis k (negative counts from the end) of a rank-r operand x, or false
 * after reporting at `at`. */
bool lower_axis(Lower *l, const Ast *at, double k, const Ast *xa, const Node *x, int *out);
#endif
