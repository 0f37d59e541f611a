/* Concat and Split: joining and cutting dense tensors of any byte-sized element type along one
 * axis. */
#ifndef OL_KERNELS_CONCAT_H
#define OL_KERNELS_CONCAT_H

#include <stddef.h>

#include "kernels/ktensor.h"

/* y = the n inputs joined along `axis`; all have y's rank and dtype and match y outside `axis`. */
void ol_concat(const ol_ktensor *const *xs, size_t n, int axis, ol_ktensor *y);

/* The inverse: x is cut along `axis` into the n outputs, in order; their extents along `axis` sum
 * to x's. */
void ol_split(const ol_ktensor *x, int axis, ol_ktensor *const *ys, size_t n);

#endif
