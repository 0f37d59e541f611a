/* Symbolic evaluation of the shape computations of a graph (internal to passes/): what each small
 * integer tensor holds, element by element, as a number or as "dim `axis` of value `of`". PyTorch
 * exports compute Reshape targets this way (Shape -> Gather -> Unsqueeze -> Concat); knowing the
 * elements lets fold-shapes replace static ones by constants and symbolic ones by Reshape's 0/-1. */
#ifndef OL_PASSES_SHAPE_EVAL_H
#define OL_PASSES_SHAPE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"

typedef enum sym_kind {
    SYM_UNKNOWN = 0,
    SYM_INT,    /* `value` */
    SYM_DIM,    /* dim `axis` of `of`, unknown until run time; `param` is its symbolic name if any */
} sym_kind;

typedef struct sym_elem {
    sym_kind kind;
    int64_t value;
    const ol_value *of;
    int axis;
    const char *param;   /* borrowed from of's type */
} sym_elem;

typedef struct sym_vec {
    bool known;          /* rank and element count are known; elements may still be unknown */
    ol_dtype dtype;      /* int64 or int32 */
    int rank;            /* 0 or 1 */
    size_t n;
    sym_elem e[OL_MAX_RANK];
} sym_vec;

typedef struct shape_eval {
    const ol_graph *graph;
    sym_vec *vecs;       /* by value id */
    size_t n_vecs;
} shape_eval;

/* Evaluates every node of `graph` (in its current, topological order). */
ol_status shape_eval_run(shape_eval *eval, const ol_graph *graph, ol_error *err);
void shape_eval_clear(shape_eval *eval);

/* What `value` holds; an unknown vector for values the evaluation knows nothing about. */
const sym_vec *shape_eval_get(const shape_eval *eval, const ol_value *value);
/* Every element is a number. */
bool sym_vec_static(const sym_vec *vec);
/* Element `e` is, at run time, the same number as dim `axis` of `value`. */
bool sym_elem_is_dim(const sym_elem *e, const ol_value *value, int axis);

#endif
