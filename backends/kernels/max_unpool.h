/* MaxUnpool: scatters pooled values back to the positions their indices name, zeros elsewhere. */
#ifndef OL_KERNELS_MAX_UNPOOL_H
#define OL_KERNELS_MAX_UNPOOL_H

#include <stddef.h>
#include <stdint.h>

/* Each of the `count` values of x (elements of `esize` bytes) goes to flat position indices[i] of a
 * tensor of shape `full` (rank `rank`), which sits at the origin of y (shape y_dims, each dim at least
 * full's); the rest of y is zero bytes. Returns -1, or the position of the first index outside
 * [0, prod(full)) (y is then incomplete). */
int64_t ol_max_unpool(const void *x, const int64_t *indices, int64_t count, size_t esize, const int64_t *full,
                      const int64_t *y_dims, int rank, void *y);

#endif
