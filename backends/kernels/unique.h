/* Unique: the distinct elements (or slices along an axis) of a tensor, sorted or in order of first
 * occurrence, with where each came from and how often it occurs. */
#ifndef OL_KERNELS_UNIQUE_H
#define OL_KERNELS_UNIQUE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

/* x viewed as [outer][len][inner]; the items are the len slices x[:, a, :], compared
 * lexicographically (floats by value, NaNs equal and last). Fills, for the returned number of unique
 * items k: first[0..k) the index of each one's first occurrence, counts[0..k) its occurrences, and
 * inverse[0..len) which unique item each slice is. Order: ascending when `sorted`, else by first
 * occurrence. work holds 3 * len int64. Numeric dtypes of kernels/element.h. */
int64_t ol_unique(const ol_ktensor *x, int64_t outer, int64_t len, int64_t inner, bool sorted, int64_t *first,
                  int64_t *counts, int64_t *inverse, int64_t *work);

#endif
