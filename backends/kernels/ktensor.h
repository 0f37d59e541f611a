/* The kernel library's only data type: a dense, row-major tensor view. Kernels take views and plain
 * parameter structs, never IR objects, so the executor, the trainer and the flat-binary runtimes can
 * all call them. */
#ifndef OL_KTENSOR_H
#define OL_KTENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "onnxlite/dtype.h"

/* Ranks above this are refused when a model is loaded for execution. */
#define OL_KMAX_RANK 16

typedef struct ol_ktensor {
    void *data;
    ol_dtype dtype;
    int rank;
    int64_t dims[OL_KMAX_RANK];
} ol_ktensor;

int64_t ol_ktensor_numel(const ol_ktensor *t);
size_t ol_ktensor_nbytes(const ol_ktensor *t);
/* Row-major element strides. */
void ol_ktensor_strides(const ol_ktensor *t, int64_t *strides);
/* Sets dtype/rank/dims (data untouched); rank must be <= OL_KMAX_RANK. */
void ol_ktensor_set_shape(ol_ktensor *t, ol_dtype dtype, int rank, const int64_t *dims);

/* IEEE half and bfloat16 conversions (round to nearest even), used wherever float16 is computed
 * through float32. */
float ol_half_to_float(uint16_t h);
uint16_t ol_float_to_half(float f);
float ol_bf16_to_float(uint16_t h);
uint16_t ol_float_to_bf16(float f);
void ol_half_to_float_n(const uint16_t *src, float *dst, size_t n);
void ol_float_to_half_n(const float *src, uint16_t *dst, size_t n);

#endif
