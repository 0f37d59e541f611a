/* Random inputs for a model: the shape to give a graph input and reproducible random data. Used by
 * `onnx-lite run/bench --random` and by the numerical verification of optimized models. */
#ifndef OL_DATA_RANDOM_INPUT_H
#define OL_DATA_RANDOM_INPUT_H

#include <stdint.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

/* Shape of graph input `v` with symbolic or unknown dims replaced: the first by `batch`, the others
 * by 1. Fails naming the input when `batch` contradicts a fixed first dim (batch 0: keep it, and
 * take a symbolic first dim as 1). */
ol_status ol_random_input_shape(const ol_value *v, int64_t batch, ol_ktensor *t, ol_error *err);

/* Fills t (shape set, data NULL) with reproducible random values: floats uniform in [-1, 1), integers
 * in [0, 4) so that index-like inputs stay in range, bools 0/1. Allocates t->data; advances *seed. */
ol_status ol_random_input_fill(ol_ktensor *t, uint64_t *seed, ol_error *err);

#endif
