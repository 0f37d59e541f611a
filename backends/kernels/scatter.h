/* ScatterElements and ScatterND with the ONNX reductions. The copy (reduction none) works for any
 * byte-sized element type; the arithmetic reductions for the numeric types and bool. */
#ifndef OL_KERNELS_SCATTER_H
#define OL_KERNELS_SCATTER_H

#include <stdbool.h>

#include "kernels/ktensor.h"

typedef enum ol_scatter_reduction {
    OL_SCATTER_NONE,
    OL_SCATTER_ADD,
    OL_SCATTER_MUL,
    OL_SCATTER_MAX,
    OL_SCATTER_MIN,
} ol_scatter_reduction;

bool ol_scatter_reduction_supported(ol_dtype dtype, ol_scatter_reduction reduction);

/* y = data, then for every element u of `updates`: y[.., indices[u], ..] (index in place of
 * coordinate `axis`) = u, or combined with it by `reduction`, in updates order. indices are
 * normalized and shaped like updates, which is no larger than data outside `axis`. y may be data. */
void ol_scatter_elements(const ol_ktensor *data, int axis, const int64_t *indices,
                         const ol_ktensor *updates, ol_scatter_reduction reduction, ol_ktensor *y);

/* y = data, then slice t of `updates` (n_tuples slices, each the trailing dims of data after
 * `depth` axes) goes to y[tuple t], tuples being `depth` normalized coordinates. y may be data. */
void ol_scatter_nd(const ol_ktensor *data, const int64_t *indices, int64_t n_tuples, int depth,
                   const ol_ktensor *updates, ol_scatter_reduction reduction, ol_ktensor *y);

#endif
