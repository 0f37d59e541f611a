/* Kernels that make tensors rather than move them: Range, Trilu, OneHot, NonZero. Fill lives in
 * axis_gather.h (ol_fill_elems). */
#ifndef OL_KERNELS_GENERATE_H
#define OL_KERNELS_GENERATE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

/* Element count of Range(start, limit, delta): max(ceil((limit - start) / delta), 0). delta != 0.
 * Negative when the count is not finite or does not fit. */
int64_t ol_range_count(double start, double limit, double delta);
/* The same, exact for integers of any magnitude. */
int64_t ol_range_count_int(int64_t start, int64_t limit, int64_t delta);

/* y[i] = start + i * delta in y's dtype (float, double, int16, int32, int64); start and delta are
 * 1-element tensors of y's dtype. Integer arithmetic is exact. */
bool ol_range(const ol_ktensor *start, const ol_ktensor *delta, ol_ktensor *y);

/* y = x with the elements outside the kept triangle of every matrix (last two axes) zeroed: upper
 * keeps j - i >= k, lower keeps j - i <= k. Any byte-sized dtype. */
void ol_trilu(const ol_ktensor *x, ol_ktensor *y, int64_t k, bool upper);

/* y viewed as [outer, depth, inner] = off, except y[o, indices[o * inner + i], i] = on. indices are
 * already normalized; entries outside [0, depth) leave their column all off. on/off point to one
 * element of y's dtype. */
void ol_onehot(const int64_t *indices, int64_t outer, int64_t depth, int64_t inner, const void *off,
               const void *on, ol_ktensor *y);

/* Non-zero elements of x (floats compare with 0, so -0.0 counts as zero). */
int64_t ol_nonzero_count(const ol_ktensor *x);
/* y: int64 [max(rank, 1), count], the coordinates of x's non-zero elements in row-major order
 * (a scalar is treated as a 1-element vector). */
void ol_nonzero(const ol_ktensor *x, int64_t count, int64_t *y);

#endif
