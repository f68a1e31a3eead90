/* plan: what the generated code computes and where it keeps it — liveness,
 * which nodes get a buffer (the rest fuse into their consumer's loop), the
 * home of every buffer (an io field or a workspace region) and the regions
 * themselves, shared by tensors whose lifetimes do not overlap. */
#ifndef BPC_PLAN_H
#define BPC_PLAN_H
#include "ir.h"

typedef enum HomeKind {
    HOME_NONE,   /* computed inline where used (views, constants, fused ops) */
    HOME_IO,     /* an io field: input, param, output, target, gradient      */
    HOME_WS      /* a workspace region                                       */
} HomeKind;

/* What an io field a tensor is written to holds. */
typedef enum CopyKind { COPY_OUTPUT, COPY_TARGET, COPY_GRAD } CopyKind;

/* A tensor written to an io field it is not computed in (a copy). */
typedef struct Copy {
    Node *node;
    const char *field;
    Phase phase;
    CopyKind kind;
} Copy;

typedef struct Region {
    int *members;        /* node ids sharing this region */
    int n, cap;
} Region;

enum { FUSE_MAX_DEPTH = 24 };   /* longest chain of ops fused into one loop */

/* A kernel whose result is finished in the same pass and written straight
 * into the buffer of the node `root` (see plan_fuse.c):
 *   GEMM:       root = mask(relu(A@B + bias))   or  root = E + A@B (E first, then beta = 1)
 *   XENT_GRAD:  root = (softmax(s) - onehot(y)) * scale
 * and, either way, colsum = sum(root, axis=0) in the same pass; a GEMM at one
 * row (a batch-1 forward) also sums its weight's squares (an L2 term). */
typedef struct Fusion {
    Node *root;
    Node *kernel;        /* the MATMUL or XENT_GRAD                     */
    Node *bias;          /* [n] added to every row (GEMM)               */
    bool relu;
    Node *mask;          /* root = 0 where mask <= 0 (GEMM)             */
    Node *addend;        /* E of root = E + A@B (GEMM, beta = 1)        */
    Node *scale;         /* rank-0 factor (XENT_GRAD)                   */
    Node *colsum;        /* SUM over axis 0 of root, or NULL            */
    Node *sumsq;         /* sum(B * B) of the GEMM's param B, taken in the same pass over B
                            when A is one row (then the SUM's own statement skips), or NULL */
} Fusion;

typedef struct Plan {
    Graph *g;
    bool *live;          /* by id: needed by an output, the target or a gradient */
    bool *mat;           /* by id: has a buffer                                   */
    int *uses;           /* by id: live consumers                                 */
    HomeKind *home;      /* by id                                                 */
    const char **field;  /* by id: HOME_IO field name                             */
    int *region;         /* by id: HOME_WS region                                 */
    const char **cname;  /* by id: its buffer's name (the C's in emission's copy)  */
    Copy *copies;
    int ncopies, ccopies;
    Region *regions;
    int nregions, cregions;
    Fusion *fusions;
    int nfusions, cfusions;
    int *fusion_of;      /* by id: the fusion it is the root of, or -1     */
    bool *in_fusion;     /* by id: computed inside a fusion's pass         */
    bool fuse;
} Plan;

/* Find the fusions (plan_fuse.c); marks buffers, run between the fusion
 * decisions and the homes. */
void plan_fuse(Plan *p, const int *consumer);

/* A for-loop runs its regions repeatedly (ir/loop.h): their nodes, and all
 * they read, stay alive (last[id]) until the loop's last region ends (plan_loop.c). */
void plan_loop_lifetimes(const Plan *p, int *last);
/* A live LOOP or LOOP_BACK makes live what it writes and reads besides its inputs. */
void plan_loop_live(Plan *p, const Node *n);
/* The plan of g (run once, by the pipeline in compile.c; the model holds it):
 *  1. liveness: the nodes an output, the target or a gradient needs;
 *  2. buffers: which live nodes are materialised (kernel results, values read
 *     by a kernel or by more than one loop, reductions) and which are computed
 *     inside their consumer's loop; with fuse, GEMM epilogues and single-pass
 *     kernels (plan_fuse) absorb their neighbours;
 *  3. homes: a value that is an io field is computed there; the rest get a
 *     workspace region, shared by tensors whose lifetimes do not overlap
 *     (greedy over the schedule, largest first);
 *  4. names: each buffer's name (cname), its source name or t<id>, as explain
 *     shows it; the C renames collisions in a copy (em_name_locals).
 * Reads g, never changes it (ir_check verifies after); allocates in g's arena. */
Plan *plan_build(Graph *g, bool fuse);
/* The field name of gradient i: "W1_grad". */
const char *plan_grad_field(const Graph *g, int i);
#endif
