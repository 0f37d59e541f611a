/* Element access for passes that compute new constants (internal to passes/). Values are read into
 * double and written back with one rounding to the tensor's type, so a fold that combines several
 * constants (BatchNormalization into Conv weights) rounds once, not at every step. */
#ifndef OL_PASSES_PASS_TENSOR_H
#define OL_PASSES_PASS_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"

/* float32, float64, float16 or bfloat16: the types the weight folds handle. */
bool pass_dtype_is_float(ol_dtype dtype);
/* int32 or int64: the types of shape arithmetic. */
bool pass_dtype_is_index(ol_dtype dtype);

/* Element i of a float or integer (8 to 64 bits, bool) tensor, as double. */
double pass_tensor_get(const ol_tensor *tensor, int64_t i);
/* Writes `value` rounded once (to nearest, ties to even) to `dtype` at element i of raw data. */
void pass_store(void *data, ol_dtype dtype, int64_t i, double value);

/* Integer contents of an int32/int64 tensor of at most `max` elements; false otherwise. */
bool pass_tensor_ints(const ol_tensor *tensor, int64_t *out, size_t max, size_t *n);

/* New tensors. */
ol_tensor *pass_tensor_from_doubles(ol_dtype dtype, int rank, const int64_t *dims, const double *values,
                                    ol_error *err);
ol_tensor *pass_tensor_from_ints(ol_dtype dtype, int rank, const int64_t *dims, const int64_t *values,
                                 ol_error *err);
/* The tensor's elements as a malloc'ed double array; NULL with err set when out of memory. */
double *pass_tensor_to_doubles(const ol_tensor *tensor, ol_error *err);

#endif
