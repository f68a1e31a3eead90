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

/* A tensor written to an io field it is not computed in (a copy). */
typedef struct Copy {
    Node *node;
    const char *field;
    Phase phase;
} Copy;

typedef struct Region {
    int *members;        /* node ids sharing this region */
    int n, cap;
} Region;

enum { FUSE_MAX_DEPTH = 24 };   /* longest chain of ops fused into one loop */

typedef struct Plan {
    Graph *g;
    bool *live;          /* by id: needed by an output, the target or a gradient */
    bool *mat;           /* by id: has a buffer                                   */
    int *uses;           /* by id: live consumers                                 */
    HomeKind *home;      /* by id                                                 */
    const char **field;  /* by id: HOME_IO field name                             */
    int *region;         /* by id: HOME_WS region                                 */
    const char **cname;  /* by id: the C name of its buffer                       */
    Copy *copies;
    int ncopies, ccopies;
    Region *regions;
    int nregions, cregions;
    bool fuse;
} Plan;

Plan *plan_build(Graph *g, bool fuse);
/* Names the generated code uses itself (and C keywords): a source name
 * that is one gets a trailing '_' in local variables. */
bool plan_reserved(const char *s);
/* The field name of gradient i: "W1_grad". */
const char *plan_grad_field(const Graph *g, int i);
#endif
