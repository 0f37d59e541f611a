/* The copy primitive behind Slice, Pad, Tile, Expand and nearest Resize: every output coordinate
 * reads one source coordinate per axis, chosen by a per-axis index map. Works for any element type
 * whose size is a whole number of bytes (the bytes are copied, never interpreted). */
#ifndef OL_KERNELS_AXIS_GATHER_H
#define OL_KERNELS_AXIS_GATHER_H

#include <stddef.h>

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

/* Bytes per element, or 0 for element types that are not byte-sized (strings, 4-bit types). */
size_t ol_elem_size(ol_dtype dtype);

/* y[o0, ..., o(r-1)] = x[maps[0][o0], ..., maps[r-1][o(r-1)]]. x and y have the same rank and
 * dtype; maps[d] holds y->dims[d] entries, each in [0, x->dims[d]) or negative, where a negative
 * entry makes the element `fill` (elem-size bytes; may be NULL when no entry is negative).
 * OL_ERR_NOMEM when the run table for the last axis cannot be allocated. */
ol_status ol_axis_gather(const ol_ktensor *x, ol_ktensor *y, const int64_t *const *maps,
                         const void *fill);

/* Writes `count` copies of the elem_size-byte element `elem` to dst. */
void ol_fill_elems(void *dst, int64_t count, const void *elem, size_t elem_size);

#endif
