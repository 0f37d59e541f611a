/* Sigmoid and SiLU (x * sigmoid(x)) over float32 rows with AVX-512, for the convolutions' last pass:
 * on EfficientNet the SiLU after every convolution took a third of the run in 8-lane code.
 * Same method as fastmath.h's ol_fast_sigmoidf (e^-|x| by Cephes' polynomial, clamped at -104)
 * with vscalefps for the power of two and a refined reciprocal instead of a division; results stay
 * within a few ulp of it (tests/unit/test_kernels_elementwise_sigmoid.c). */
#ifndef OL_KERNELS_SIGMOID_X86_H
#define OL_KERNELS_SIGMOID_X86_H

#include <stdbool.h>
#include <stdint.h>

/* False when the CPU (or the compiler) lacks AVX-512F: callers then run their portable loops. */
bool ol_sigmoid_avx512_available(void);
/* y[i] = f(y[i] + bias + sum[i]) (sum may be NULL), f = sigmoid, or x * sigmoid(x) with `swish`. */
void ol_sigmoid_row_avx512(float *y, int64_t n, float bias, const float *sum, bool swish);

#endif
