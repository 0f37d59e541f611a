/* QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear over tensor views.
 *
 * A tensor is viewed as [outer, axis_len, inner]; a scale (and its zero point) is chosen per element
 * by ol_quant_axis: one for the whole tensor, one per position along the axis, or one per block of
 * `block` consecutive positions along the axis (blocked quantization, whose parameter tensor has x's
 * shape with the axis shortened to ceil(axis_len / block)). */
#ifndef OL_KERNELS_QUANTIZE_H
#define OL_KERNELS_QUANTIZE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

typedef struct ol_quant_axis {
    int64_t outer, axis_len, inner;
    int64_t block;                                   /* axis positions sharing one parameter (>= 1) */
    int64_t stride_outer, stride_block, stride_inner; /* parameter index = o*so + (a/block)*sb + i*si */
} ol_quant_axis;

/* One parameter for all `numel` elements. */
ol_quant_axis ol_quant_axis_per_tensor(int64_t numel);
/* One parameter per position along `axis` (0 <= axis < rank). */
ol_quant_axis ol_quant_axis_per_channel(const int64_t *dims, int rank, int axis);
/* One parameter per block of `block` positions along `axis`. */
ol_quant_axis ol_quant_axis_blocked(const int64_t *dims, int rank, int axis, int64_t block);

typedef struct ol_quantize_params {
    ol_quant_axis layout;
    /* Type the quotient x / scale is rounded to before rounding to an integer: float32, float16,
     * bfloat16 or float64. */
    ol_dtype precision;
    bool saturate;     /* float8 outputs: out-of-range values clamp to the largest finite value */
    int threads;       /* <= 0: the OpenMP default */
} ol_quantize_params;

/* Types QuantizeLinear reads for x (float32/float16/bfloat16/float64/int32), for scales (the same
 * and float8 E8M0), and writes (the integer quantized types other than int32, and the small floats). */
bool ol_quantize_input_supported(ol_dtype t);
bool ol_quant_scale_supported(ol_dtype t);
bool ol_quantize_output_supported(ol_dtype t);

/* y = saturate(round_half_even(x / scale) + zero_point) for integer outputs; for small-float outputs
 * y = convert(x / scale) (float4: convert(x / scale + zero_point)). zero_point is NULL (zero) or has
 * y's dtype and scale's element count. Types must pass the checks above; false otherwise. NaN
 * quotients become the type's smallest value. */
bool ol_quantize_linear(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                        ol_ktensor *y, const ol_quantize_params *p);

/* x types DequantizeLinear reads: the integer quantized types (int32 included) and the small floats. */
bool ol_dequantize_input_supported(ol_dtype t);

/* y = (x - zero_point) * scale, computed in float32 (float64 for int32 x) and rounded to y's dtype
 * (float32, float16 or bfloat16). zero_point is NULL or has x's dtype; it is not applied to small
 * floats, whose zero point is zero by definition. */
bool ol_dequantize_linear(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                          ol_ktensor *y, const ol_quant_axis *layout, int threads);

/* DynamicQuantizeLinear to uint8: scale = (max(0, max x) - min(0, min x)) / 255 (1/255 when the range
 * is empty), zero_point = round(saturate(-min / scale)), y = saturate(round(x / scale) + zero_point),
 * all in float32 with rounding half to even. NaNs are left out of the min/max. */
void ol_dynamic_quantize_u8(const float *x, int64_t n, uint8_t *y, float *scale, uint8_t *zero_point,
                            int threads);

#endif
