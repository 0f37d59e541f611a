/* The convolutions' last pass over a stretch of output: bias, residual sum and activation while the
 * stretch is still in cache. Float32 activations use fastmath.h's functions, the ones the standalone
 * Sigmoid/Tanh kernels use, so a convolution fused with its activation gives the numbers the two
 * ops give separately, and the loops vectorize. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")   /* lets GCC if-convert the clamps (see unary.c) */
#endif

#include <math.h>

#include "kernels/conv.h"
#include "kernels/cpu_clones.h"
#include "kernels/fastmath.h"
#include "kernels/sigmoid_x86.h"

bool ol_conv_has_epilogue(const ol_conv_params *p, const float *sum)
{
    return sum || p->activation != OL_CONV_ACT_NONE;
}

OL_FASTMATH_INLINE double sigmoid_f64(double v)
{
    return 1 / (1 + exp(-v));
}

/* HardSwish as the unary kernel writes it, x * clamp(x * alpha + beta, 0, 1), with alpha 1/6 and
 * beta 1/2 for HardSwish itself, HardSigmoid's for x * HardSigmoid(x). */
#define HARD_SWISH(T, v) ((v) * unit_clamp_##T((v) * alpha + beta))
OL_FASTMATH_INLINE float unit_clamp_float(float v)
{
    v = v < 0 ? 0.0f : v;
    return v > 1 ? 1.0f : v;
}
OL_FASTMATH_INLINE double unit_clamp_double(double v)
{
    v = v < 0 ? 0.0 : v;
    return v > 1 ? 1.0 : v;
}

/* The loops are cloned for AVX2 (a static function: GCC clones only definitions without an
 * earlier plain declaration): on EfficientNet's SiLU layers the baseline SSE loop was 3x slower
 * and took half of the model's time. */
#define DEFINE_EPILOGUE(T, NAME, SIGMOID, TANH)                                                     \
    OL_CPU_CLONES static void NAME(const ol_conv_params *p, T bias, const T *sum, T *y, int64_t n)  \
    {                                                                                               \
        T alpha = (T)p->alpha, beta = (T)p->beta;                                                   \
        if (sum) {                                                                                  \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] += bias + sum[i];              \
        } else if (bias != 0) {                                                                     \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] += bias;                       \
        }                                                                                           \
        switch (p->activation) {                                                                    \
        case OL_CONV_ACT_NONE:                                                                      \
            break;                                                                                  \
        case OL_CONV_ACT_RELU:                                                                      \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0 ? y[i] : 0;         \
            break;                                                                                  \
        case OL_CONV_ACT_CLIP:                                                                      \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                   \
                T v = y[i] < alpha ? alpha : y[i];                                                  \
                y[i] = v > beta ? beta : v;                                                         \
            }                                                                                       \
            break;                                                                                  \
        case OL_CONV_ACT_LEAKY_RELU:                                                                \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = y[i] >= 0 ? y[i] : alpha * y[i]; \
            break;                                                                                  \
        case OL_CONV_ACT_SIGMOID:                                                                   \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = SIGMOID(y[i]);               \
            break;                                                                                  \
        case OL_CONV_ACT_TANH:                                                                      \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = TANH(y[i]);                  \
            break;                                                                                  \
        case OL_CONV_ACT_HARD_SIGMOID:                                                              \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                   \
                T v = alpha * y[i] + beta;                                                          \
                v = v < 0 ? 0 : v;                                                                  \
                y[i] = v > 1 ? 1 : v;                                                               \
            }                                                                                       \
            break;                                                                                  \
        case OL_CONV_ACT_HARD_SWISH:                                                                \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = HARD_SWISH(T, y[i]);         \
            break;                                                                                  \
        case OL_CONV_ACT_SWISH:                                                                     \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = y[i] * SIGMOID(y[i]);        \
            break;                                                                                  \
        }                                                                                           \
    }

DEFINE_EPILOGUE(float, epilogue_f32, ol_fast_sigmoidf, ol_fast_tanhf)
DEFINE_EPILOGUE(double, epilogue_f64, sigmoid_f64, tanh)

void ol_conv_epilogue_f32(const ol_conv_params *p, float bias, const float *sum, float *y, int64_t n)
{
    /* Sigmoid and SiLU, the costly ones, in one AVX-512 pass where the CPU has it. */
    if ((p->activation == OL_CONV_ACT_SIGMOID || p->activation == OL_CONV_ACT_SWISH) &&
        ol_sigmoid_avx512_available()) {
        ol_sigmoid_row_avx512(y, n, bias, sum, p->activation == OL_CONV_ACT_SWISH);
        return;
    }
    epilogue_f32(p, bias, sum, y, n);
}

void ol_conv_epilogue_f64(const ol_conv_params *p, double bias, const double *sum, double *y, int64_t n)
{
    epilogue_f64(p, bias, sum, y, n);
}
