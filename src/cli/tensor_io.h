/* Tensors for the run and bench commands: loading .npy/.pb inputs, random inputs, summaries. */
#ifndef OL_CLI_TENSOR_IO_H
#define OL_CLI_TENSOR_IO_H

#include <stdint.h>
#include <stdio.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

/* Loads FILE by extension (.npy, or .pb for a serialized TensorProto) into malloc'ed data. */
ol_status ol_cli_load_tensor(const char *path, ol_ktensor *t, ol_error *err);

/* Shape of graph input `v` with symbolic or unknown dims replaced: the first by `batch`, the others
 * by 1. Fails naming the input when `batch` contradicts a fixed first dim (batch 0: keep it). */
ol_status ol_cli_input_shape(const ol_value *v, int64_t batch, ol_ktensor *t, ol_error *err);

/* Fills t (shape set, data NULL) with reproducible random values: floats uniform in [-1, 1), integers
 * in [0, 4) so that index-like inputs stay in range, bools 0/1. Allocates t->data. */
ol_status ol_cli_random_fill(ol_ktensor *t, uint64_t *seed, ol_error *err);

/* "float32[1,1000] min -3.1 max 4.2 mean 0.01" */
void ol_cli_print_summary(FILE *out, const char *name, const ol_ktensor *t);

#endif
