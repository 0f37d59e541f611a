#include "kernels/norm.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/cpu_clones.h"

/* One channel plane: dst = clamp(src * k + o, lo, hi). NaN stays NaN (the comparisons are false). */
OL_CPU_CLONES static void scale_clamp_plane(const float *src, float *dst, int64_t spatial, float k, float o,
                                            float lo, float hi)
{
#pragma omp simd
    for (int64_t i = 0; i < spatial; i++) {
        float v = src[i] * k + o;
        v = v < lo ? lo : v;
        dst[i] = v > hi ? hi : v;
    }
}

void ol_batchnorm_clamp_f32(const float *x, float *y, int64_t n, int64_t c, int64_t spatial, const float *scale,
                            const float *bias, const float *mean, const float *var, float eps, float lo, float hi)
{
#pragma omp parallel for collapse(2) if (n * c * spatial > 65536)
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++) {
            /* Fold into one multiply-add per element. */
            float k = scale[ch] / sqrtf(var[ch] + eps), o = bias[ch] - mean[ch] * k;
            scale_clamp_plane(x + (b * c + ch) * spatial, y + (b * c + ch) * spatial, spatial, k, o, lo, hi);
        }
}

void ol_batchnorm_f32(const float *x, float *y, int64_t n, int64_t c, int64_t spatial, const float *scale,
                      const float *bias, const float *mean, const float *var, float eps)
{
    ol_batchnorm_clamp_f32(x, y, n, c, spatial, scale, bias, mean, var, eps, -INFINITY, INFINITY);
}

/* Mean and variance of n values, accumulated in double: normalizations over thousands of elements
 * lose digits in float. */
static void moments(const float *x, int64_t n, double *mean, double *var)
{
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    double m = n ? s / (double)n : 0;
    for (int64_t i = 0; i < n; i++) {
        double d = x[i] - m;
        ss += d * d;
    }
    *mean = m;
    *var = n ? ss / (double)n : 0;
}

void ol_layernorm_f32(const float *x, float *y, int64_t groups, int64_t size, const float *scale,
                      const float *bias, float eps, float *mean_out, float *inv_std_out)
{
#pragma omp parallel for if (groups * size > 65536)
    for (int64_t g = 0; g < groups; g++) {
        const float *src = x + g * size;
        float *dst = y + g * size;
        double mean, var;
        moments(src, size, &mean, &var);
        float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
        for (int64_t i = 0; i < size; i++) {
            float v = (src[i] - m) * inv;
            if (scale)
                v *= scale[i];
            if (bias)
                v += bias[i];
            dst[i] = v;
        }
        if (mean_out)
            mean_out[g] = m;
        if (inv_std_out)
            inv_std_out[g] = inv;
    }
}

void ol_groupnorm_f32(const float *x, float *y, int64_t n, int64_t c, int64_t spatial, int64_t groups,
                      const float *scale, const float *bias, float eps)
{
    int64_t per_group = c / groups;
#pragma omp parallel for collapse(2) if (n * c * spatial > 65536)
    for (int64_t b = 0; b < n; b++)
        for (int64_t g = 0; g < groups; g++) {
            const float *src = x + (b * c + g * per_group) * spatial;
            float *dst = y + (b * c + g * per_group) * spatial;
            double mean, var;
            moments(src, per_group * spatial, &mean, &var);
            float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
            for (int64_t ch = 0; ch < per_group; ch++) {
                int64_t channel = g * per_group + ch;
                float k = inv * (scale ? scale[channel] : 1.0f), o = bias ? bias[channel] : 0.0f;
                for (int64_t i = 0; i < spatial; i++)
                    dst[ch * spatial + i] = (src[ch * spatial + i] - m) * k + o;
            }
        }
}

void ol_rmsnorm_f32(const float *x, float *y, int64_t groups, int64_t size, const float *scale, float eps)
{
#pragma omp parallel for if (groups * size > 65536)
    for (int64_t g = 0; g < groups; g++) {
        const float *src = x + g * size;
        float *dst = y + g * size;
        double ss = 0;
        for (int64_t i = 0; i < size; i++)
            ss += (double)src[i] * src[i];
        float inv = (float)(1.0 / sqrt(ss / (double)(size ? size : 1) + eps));
        for (int64_t i = 0; i < size; i++)
            dst[i] = src[i] * inv * (scale ? scale[i] : 1.0f);
    }
}

void ol_softmax_f32(const float *x, float *y, int64_t outer, int64_t axis, int64_t inner,
                    ol_softmax_kind kind)
{
#pragma omp parallel for collapse(2) if (outer * axis * inner > 65536)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            const float *src = x + o * axis * inner + in;
            float *dst = y + o * axis * inner + in;
            float max = -INFINITY;
            int64_t argmax = 0;
            for (int64_t a = 0; a < axis; a++)
                if (src[a * inner] > max) {
                    max = src[a * inner];
                    argmax = a;
                }
            if (kind == OL_HARDMAX) {
                for (int64_t a = 0; a < axis; a++)
                    dst[a * inner] = a == argmax ? 1.0f : 0.0f;
                continue;
            }
            if (kind == OL_LOG_SOFTMAX) {
                double sum = 0;
                for (int64_t a = 0; a < axis; a++)
                    sum += exp((double)src[a * inner] - max);
                float log_sum = (float)log(sum);
                for (int64_t a = 0; a < axis; a++)
                    dst[a * inner] = src[a * inner] - max - log_sum;
            } else {
                /* One exp per element, kept in the output, then one scale. */
                double sum = 0;
                for (int64_t a = 0; a < axis; a++) {
                    float e = expf(src[a * inner] - max);
                    dst[a * inner] = e;
                    sum += e;
                }
                float inv = (float)(1.0 / sum);
                for (int64_t a = 0; a < axis; a++)
                    dst[a * inner] *= inv;
            }
        }
}
