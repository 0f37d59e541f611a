/* Small helpers shared by the op glue files. */
#ifndef OL_EXEC_OP_UTIL_H
#define OL_EXEC_OP_UTIL_H

#include <stdbool.h>

#include "exec/op.h"

/* Normalizes a possibly negative axis against `rank`; false when out of range. */
bool ol_op_axis(int64_t axis, int rank, int *out);

/* Product of dims [from, to). */
int64_t ol_op_dims_product(const ol_ktensor *t, int from, int to);

/* Reads a 0-D or 1-D integer tensor (int32/int64) into values; false when it is not one. */
bool ol_op_read_ints(const ol_ktensor *t, int64_t *values, size_t max, size_t *n);

#endif
