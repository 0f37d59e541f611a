/* Requantization of int32 accumulators to uint8/int8, the last step of QLinearConv and
 * QLinearMatMul: y = saturate(round_half_even(acc * multiplier) + out_zero_point) with
 * multiplier = row_scale * col_scale / out_scale, as the operators' definitions put it (the rounding
 * applies to the scaled value, before the zero point). The multiplier is rounded to the scales'
 * precision after each operation and the product acc * multiplier is taken in float32, as
 * onnxruntime computes it (so that quantized models give its results bit for bit). */
#ifndef OL_KERNELS_REQUANT_H
#define OL_KERNELS_REQUANT_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/dtype.h"

typedef struct ol_requant_params {
    const float *row_scale;      /* one per row, or one for all rows (n_row_scale == 1) */
    int64_t n_row_scale;
    const float *col_scale;      /* one per column, or one for all */
    int64_t n_col_scale;
    float out_scale;
    int32_t out_zero_point;
    ol_dtype scale_precision;    /* float32, float16 or bfloat16: the scales' type */
    const int32_t *row_bias;     /* NULL, or added to each row's accumulators first (wrapping) */
    bool out_signed;             /* int8 rather than uint8 */
    int threads;                 /* <= 0: the OpenMP default */
} ol_requant_params;

/* acc [rows x cols] (row stride ld_acc) to out (uint8 or int8, row stride ld_out). */
void ol_requantize(const int32_t *acc, int64_t rows, int64_t cols, int64_t ld_acc, void *out, int64_t ld_out,
                   const ol_requant_params *p);

/* The multiplier for one (row, column) pair, rounded as described above. */
double ol_requant_multiplier(float row_scale, float col_scale, float out_scale, ol_dtype precision);

#endif
