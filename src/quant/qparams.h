/* Scale and zero point of a quantized tensor, from a float range, the way the ONNX
 * QuantizeLinear/DequantizeLinear pair reads them: q = saturate(round(x / scale) + zero_point),
 * x' = (q - zero_point) * scale, rounding half to even. */
#ifndef OL_QUANT_QPARAMS_H
#define OL_QUANT_QPARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/dtype.h"

typedef struct ol_qparams {
    float scale;
    int32_t zero_point;
} ol_qparams;

/* The integer range of an 8-bit type: uint8 [0, 255], int8 [-128, 127]; `restricted` drops -128
 * (symmetric int8 uses [-127, 127] so that negating a value stays in range). */
void ol_qrange(ol_dtype dtype, bool restricted, int32_t *qmin, int32_t *qmax);

/* Parameters for values in [lo, hi] quantized to `dtype` (OL_UINT8 or OL_INT8). The range is
 * first widened to hold 0 (zero padding and ReLU outputs must be exact). Asymmetric: the range
 * maps onto the whole integer range. Symmetric: [-m, m] with m = max(|lo|, |hi|) onto
 * [-127, 127] around a zero point of 0 (int8) or 128 (uint8). An empty range gets scale 1. */
ol_qparams ol_qparams_from_range(double lo, double hi, ol_dtype dtype, bool symmetric);

/* round(x / scale) + zero_point saturated to [qmin, qmax]. */
int32_t ol_quantize_value(double x, ol_qparams p, int32_t qmin, int32_t qmax);

#endif
