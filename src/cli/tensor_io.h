/* Tensors for the run and bench commands: loading .npy/.pb inputs, summaries. Random inputs are in
 * data/random_input.h, shared with verification. */
#ifndef OL_CLI_TENSOR_IO_H
#define OL_CLI_TENSOR_IO_H

#include <stdint.h>
#include <stdio.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

/* Loads FILE by extension (.npy, or .pb for a serialized TensorProto) into malloc'ed data. */
ol_status ol_cli_load_tensor(const char *path, ol_ktensor *t, ol_error *err);

/* "float32[1,1000] min -3.1 max 4.2 mean 0.01" */
void ol_cli_print_summary(FILE *out, const char *name, const ol_ktensor *t);

#endif
