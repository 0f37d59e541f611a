/* Stateful causal depthwise 1-D convolution (float32), ONNX CausalConvWithState: each channel is
 * convolved with its own kernel over the carried state followed by the input. */
#ifndef OL_KERNELS_CAUSAL_CONV_H
#define OL_KERNELS_CAUSAL_CONV_H

#include <stdbool.h>
#include <stdint.h>

/* x [batch][channels][length], weight [channels][kernel], bias [channels] (NULL: none), past
 * [batch][channels][kernel - 1] (NULL: zeros). y [batch][channels][length] = the convolution of
 * concat(past, x) (then x * sigmoid(x) when silu); present [batch][channels][kernel - 1] = the last
 * kernel - 1 positions of concat(past, x). */
void ol_causal_conv_f32(const float *x, const float *weight, const float *bias, const float *past, int64_t batch,
                        int64_t channels, int64_t length, int64_t kernel, bool silu, float *y, float *present);

#endif
