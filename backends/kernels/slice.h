/* Slice, Pad, Tile and Expand as index maps over ol_axis_gather: any byte-sized element type. */
#ifndef OL_KERNELS_SLICE_H
#define OL_KERNELS_SLICE_H

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

/* ONNX Slice bounds of one axis of extent `dim`: negative start/end count from the end, then both
 * are clamped ([0, dim] for positive steps, [-1, dim-1] for negative ones). Gives the first index
 * read and how many are read. step must not be 0. */
void ol_slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first,
                   int64_t *count);

/* y[i] = x[first + i * step] per axis; y's dims are the counts. */
ol_status ol_slice(const ol_ktensor *x, ol_ktensor *y, const int64_t *first, const int64_t *steps);

typedef enum ol_pad_mode {
    OL_PAD_CONSTANT,
    OL_PAD_REFLECT,   /* mirror without repeating the edge: 2 1 | 0 1 2 | 1 0 */
    OL_PAD_EDGE,      /* repeat the edge element */
    OL_PAD_WRAP,      /* continue periodically from the other side */
} ol_pad_mode;

/* y->dims[d] = x->dims[d] + begin[d] + end[d]; begin[d] may be negative (cropping). `fill` is the
 * constant (elem-size bytes) for OL_PAD_CONSTANT. Other modes need every padded axis non-empty. */
ol_status ol_pad(const ol_ktensor *x, ol_ktensor *y, const int64_t *begin, ol_pad_mode mode,
                 const void *fill);

/* y->dims[d] = x->dims[d] * repeats; y repeats x along every axis. */
ol_status ol_tile(const ol_ktensor *x, ol_ktensor *y);

/* Numpy broadcast of x to y's shape: x has y's rank (leading 1s added by the caller) and each of
 * its dims is 1 or y's. */
ol_status ol_expand(const ol_ktensor *x, ol_ktensor *y);

#endif
