/* Pooling over [N, C, spatial...] tensors: windowed max/average/Lp and their global forms. */
#ifndef OL_KERNELS_POOL_H
#define OL_KERNELS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ktensor.h"
#include "kernels/window.h"

typedef enum ol_pool_kind {
    OL_POOL_MAX,
    OL_POOL_AVERAGE,
    OL_POOL_LP,        /* (sum |x|^p)^(1/p) */
} ol_pool_kind;

typedef struct ol_pool_params {
    ol_window win;             /* resolved geometry (ol_window_resolve) */
    ol_pool_kind kind;
    bool count_include_pad;    /* average: divide by the taps inside the padded input, not only the real ones */
    double p;                  /* Lp exponent, > 0 */
    bool column_major_indices; /* max indices: spatial offsets in column-major order (storage_order 1) */
    int threads;               /* OpenMP threads; 0: the OpenMP default */
} ol_pool_params;

/* Max pools float32/float64/int8/uint8; average and Lp pool float32/float64. */
bool ol_pool_dtype_supported(ol_pool_kind kind, ol_dtype dtype);

/* Scratch bytes ol_pool needs (y's shape set). */
size_t ol_pool_scratch_bytes(const ol_pool_params *p, const ol_ktensor *x, const ol_ktensor *y);
/* y [N, C, out...] = pool(x [N, C, in...]). indices (max only, may be NULL) receives, per output,
 * the flat index into x of the chosen element (first maximum in row-major window order); a window
 * entirely in the padding gives -inf (0 for integers) and index -1. */
void ol_pool(const ol_pool_params *p, const ol_ktensor *x, ol_ktensor *y, int64_t *indices, void *scratch);

/* y [N, C, 1...] = max / mean / Lp norm of each [N, C] plane of x. float32/float64. */
void ol_global_pool(ol_pool_kind kind, double p, const ol_ktensor *x, ol_ktensor *y, int threads);

#endif
