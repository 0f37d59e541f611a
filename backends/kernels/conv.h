/* Convolution and transposed convolution over [N, C, spatial...] tensors, float32 and float64.
 * Convolution lowers to GEMM (OpenBLAS): 1x1 stride-1 unpadded kernels use the input as the matrix
 * directly, others go through im2col; depthwise convolution has a direct kernel. */
#ifndef OL_KERNELS_CONV_H
#define OL_KERNELS_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ktensor.h"
#include "kernels/window.h"

typedef struct ol_conv_params {
    ol_window win;       /* resolved geometry (ol_window_resolve) */
    int64_t group;
    int threads;         /* OpenMP threads for the loops BLAS does not cover; 0: the OpenMP default */
} ol_conv_params;

/* True when every spatial axis is a 1-wide kernel at stride 1 without padding: the input [C, HW]
 * is already the GEMM operand. */
bool ol_conv_is_pointwise(const ol_window *win);
/* True when each channel is convolved with its own filter (group == C_in == C_out). */
bool ol_conv_is_depthwise(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);

/* Scratch bytes ol_conv needs for x [N, C, in...], w [M, C/group, k...], y [N, M, out...]. */
size_t ol_conv_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                             const ol_ktensor *y);
/* y = conv(x, w) + b. b is [M] or NULL. All of x, w, b, y share one dtype (float32 or float64);
 * shapes are consistent with p (checked by the caller). */
void ol_conv(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
             ol_ktensor *y, void *scratch);

/* The depthwise kernel for float32, 1-D or 2-D (a 1-D input is a 2-D one with height 1):
 * x [N, C, H, W], w [C, 1, KH, KW], bias [C] or NULL, y [N, C, OH, OW]; p->win is 2-D. A
 * register-blocked path serves 3x3 filters at stride 1 and 2 on rows of 16 outputs or more; every
 * other shape goes through stride-phase planes with one vectorized pass per tap. Exposed for tests
 * and benchmarks; ol_conv routes here. scratch holds ol_conv_depthwise_scratch_bytes(p, {H, W},
 * {OH, OW}) bytes. */
size_t ol_conv_depthwise_scratch_bytes(const ol_conv_params *p, const int64_t *in, const int64_t *out);
void ol_conv_depthwise_f32(const ol_conv_params *p, const float *x, const int64_t *x_dims, const float *w,
                           const float *bias, float *y, const int64_t *y_dims, void *scratch);

/* Winograd F(2x2, 3x3) for float32 3x3 stride-1 undilated ungrouped convolutions with at least 16
 * input and output channels and 400 output positions; ol_conv routes there. */
bool ol_conv_winograd_applies(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
size_t ol_conv_winograd_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                                      const ol_ktensor *y);
void ol_conv_winograd(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
                      ol_ktensor *y, void *scratch);

/* Transposed convolution: x [N, C, in...], w [C, M/group, k...], y [N, M, out...] with
 * out[d] = (in[d]-1)*stride - pad_begin - pad_end + extent + output_padding (or the shape the
 * caller chose); b is [M] or NULL. Taps that fall outside y are dropped. */
size_t ol_conv_transpose_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
void ol_conv_transpose(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                       const ol_ktensor *b, ol_ktensor *y, void *scratch);

#endif
