/* Integer convolution (ConvInteger, QLinearConv) over [N, C, spatial...] uint8/int8 tensors, lowered
 * to ol_qgemm: per image and group, W_g [M/g, C/g * k] x col [C/g * k, out]. col is a byte im2col
 * whose padding holds the input zero point (so padded taps contribute nothing once the zero point is
 * subtracted); 1x1 stride-1 unpadded kernels use the input itself. */
#ifndef OL_KERNELS_QCONV_H
#define OL_KERNELS_QCONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ktensor.h"
#include "kernels/requant.h"
#include "kernels/window.h"

typedef struct ol_qconv_params {
    ol_window win;                 /* resolved geometry: pads, strides, dilations, kernel */
    int64_t group;
    int32_t x_zero_point;
    const int32_t *w_zero_points;  /* NULL (zero), or one per tensor or one per output channel */
    int64_t n_w_zero_points;
    int threads;                   /* <= 0: the OpenMP default */
} ol_qconv_params;

/* Scratch bytes for x [N, C, in...], w [M, C/group, k...], y [N, M, out...]; `requantize` for
 * QLinearConv (which needs an int32 buffer for the accumulators). */
size_t ol_qconv_scratch_bytes(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                              const ol_ktensor *y, bool requantize);

/* ConvInteger: y (int32) = conv(x - x_zero_point, w - w_zero_point). Shapes are consistent with p
 * (checked by the caller); x and w are uint8 or int8. */
void ol_conv_integer(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w, ol_ktensor *y,
                     void *scratch);

/* QLinearConv: the ConvInteger accumulators plus bias, requantized per output channel (rq's rows are
 * the M output channels: row_scale = w_scale, col_scale = x_scale, row_bias = B). y is uint8/int8. */
void ol_qlinear_conv(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                     const ol_requant_params *rq, ol_ktensor *y, void *scratch);

/* True when every channel has its own single filter (group == C == M) over 1 or 2 spatial axes: such
 * convolutions run directly, one plane at a time, instead of as a one-row GEMM per channel. */
bool ol_qconv_is_depthwise(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w);

/* The depthwise path of ol_conv_integer / ol_qlinear_conv (rq NULL: int32 output). `scratch` holds
 * ol_qconv_scratch_bytes. Exposed for tests; the two entry points route here by themselves. */
void ol_qconv_depthwise(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                        const ol_requant_params *rq, ol_ktensor *y, void *scratch);
/* int32 slots the depthwise path keeps for `taps` weights (rounded up to keep the planes aligned). */
static inline int64_t ol_qconv_depthwise_weight_slots(int64_t taps)
{
    return (taps + 15) & ~(int64_t)15;
}

/* Byte im2col of one image's channels [C, in...] into col [C * prod(kernel), prod(out)], with `pad`
 * where the window leaves the input. Exposed for tests. */
void ol_im2col_u8(const uint8_t *x, int64_t channels, const int64_t *in, const ol_window *win,
                  const int64_t *out, uint8_t pad, uint8_t *col, int threads);

#endif
