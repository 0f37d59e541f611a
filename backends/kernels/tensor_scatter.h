/* TensorScatter: writes an update into a cache along the sequence axis at per-batch positions, for
 * any byte-sized dtype (`esize` bytes per element). */
#ifndef OL_KERNELS_TENSOR_SCATTER_H
#define OL_KERNELS_TENSOR_SCATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cache and y viewed as [batch][middle][max_seq][inner], update as [batch][middle][seq][inner]:
 * y = cache with y[b][m][write[b] + s] = update[b][m][s] (index modulo max_seq when circular).
 * write NULL: zeros. Returns -1, or the batch entry whose positions fall outside the cache (linear
 * mode; y is then incomplete). */
int64_t ol_tensor_scatter(const void *cache, const void *update, const int64_t *write, int64_t batch, int64_t middle,
                          int64_t max_seq, int64_t seq, int64_t inner, size_t esize, bool circular, void *y);

#endif
