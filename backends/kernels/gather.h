/* Gather, GatherElements and GatherND for any byte-sized element type. Indices are first checked
 * and normalized to non-negative int64 by ol_indices_normalize. */
#ifndef OL_KERNELS_GATHER_H
#define OL_KERNELS_GATHER_H

#include "kernels/ktensor.h"

/* Copies the int32/int64 `indices` to out, adding limits[i % period] to negative ones. Returns the
 * flat position of the first index outside [-limit, limit), or -1 when all are in range. period is
 * 1 for Gather-style indices and the tuple length for GatherND/ScatterND. */
int64_t ol_indices_normalize(const ol_ktensor *indices, const int64_t *limits, int period, int64_t *out);

/* y = x indexed along `axis` by n_indices indices: y dims are x's with dims[axis] replaced by the
 * indices' shape (the caller sets them). */
void ol_gather(const ol_ktensor *x, int axis, const int64_t *indices, int64_t n_indices, ol_ktensor *y);

/* y[i0..] = x[i0.., indices[i0..], ..] with the index replacing coordinate `axis`; y has the
 * indices' shape, which is no larger than x's outside `axis`. */
void ol_gather_elements(const ol_ktensor *x, int axis, const int64_t *indices, ol_ktensor *y);

/* GatherND: `indices` holds n_tuples tuples of `depth` coordinates (after the batch_dims leading
 * batch axes); each selects a slice x[b, t0, .., t(depth-1), ...] of `slice` elements. y holds
 * batch * n_tuples slices, batch = prod(x.dims[:batch_dims]). */
void ol_gather_nd(const ol_ktensor *x, int batch_dims, const int64_t *indices, int64_t n_tuples,
                  int depth, ol_ktensor *y);

#endif
