/* Normalization and softmax kernels (float32). Shapes are passed as [outer, axis, inner] splits or
 * explicit channel counts, so the kernels stay free of IR and attribute handling. */
#ifndef OL_KERNELS_NORM_H
#define OL_KERNELS_NORM_H

#include <stdint.h>

/* y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c] over x[n][c][spatial]. */
void ol_batchnorm_f32(const float *x, float *y, int64_t n, int64_t c, int64_t spatial, const float *scale,
                      const float *bias, const float *mean, const float *var, float eps);
/* The same, then clamped to [lo, hi] in the same pass (a fused Relu: 0, inf; Clip: its bounds). */
void ol_batchnorm_clamp_f32(const float *x, float *y, int64_t n, int64_t c, int64_t spatial, const float *scale,
                            const float *bias, const float *mean, const float *var, float eps, float lo, float hi);

/* Normalizes each of `groups` rows of `size` elements, then applies per-element scale/bias of
 * `param_size` (a divisor of size, repeating) — LayerNormalization uses groups = outer, size =
 * normalized elements, param_size = size; scale/bias may be NULL. Optional mean/inv_std outputs. */
void ol_layernorm_f32(const float *x, float *y, int64_t groups, int64_t size, const float *scale,
                      const float *bias, float eps, float *mean_out, float *inv_std_out);

/* InstanceNormalization / GroupNormalization: x[n][c][spatial], statistics per (n, group) over
 * channels_per_group * spatial elements, then y = norm * scale[ch] + bias[ch] (per channel). */
void ol_groupnorm_f32(const float *x, float *y, int64_t n, int64_t c, int64_t spatial, int64_t groups,
                      const float *scale, const float *bias, float eps);

/* RMSNormalization: y = x / sqrt(mean(x^2) + eps) * scale, rows of `size`, scale of size. */
void ol_rmsnorm_f32(const float *x, float *y, int64_t groups, int64_t size, const float *scale, float eps);

typedef enum ol_softmax_kind { OL_SOFTMAX, OL_LOG_SOFTMAX, OL_HARDMAX } ol_softmax_kind;

/* Softmax along the middle axis of x viewed as [outer][axis][inner]. */
void ol_softmax_f32(const float *x, float *y, int64_t outer, int64_t axis, int64_t inner,
                    ol_softmax_kind kind);

#endif
