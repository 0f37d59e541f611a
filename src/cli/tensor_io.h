/* Tensor summaries for the run and bench commands. Loading .npy/.pb files is in data/tensor_load.h
 * and random inputs in data/random_input.h, both shared with data sets and verification. */
#ifndef OL_CLI_TENSOR_IO_H
#define OL_CLI_TENSOR_IO_H

#include <stdint.h>
#include <stdio.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

/* "float32[1,1000] min -3.1 max 4.2 mean 0.01" */
void ol_cli_print_summary(FILE *out, const char *name, const ol_ktensor *t);

#endif
