/* Float32 exp, tanh, sigmoid and erf written as straight-line arithmetic, so that loops calling them
 * under `#pragma omp simd` vectorize (libm's expf/tanhf/erff are opaque calls). Accuracy is within
 * a few ulp over the whole float range (tests/unit/test_kernels_elementwise_math.c checks them
 * against double-precision libm); special values behave like libm's (exp overflows to inf and
 * underflows through subnormals to 0, NaN propagates). */
#ifndef OL_KERNELS_FASTMATH_H
#define OL_KERNELS_FASTMATH_H

#include <stdint.h>

/* Always inlined: a loop cloned for AVX2 (cpu_clones.h) that called an out-of-line baseline copy
 * paid an SSE/AVX transition per element (40x slower). */
#if defined(__GNUC__)
#define OL_FASTMATH_INLINE static inline __attribute__((always_inline))
#else
#define OL_FASTMATH_INLINE static inline
#endif

OL_FASTMATH_INLINE float ol_bits_to_float(int32_t i)
{
    union { int32_t i; float f; } u = {.i = i};
    return u.f;
}

OL_FASTMATH_INLINE int32_t ol_float_to_bits(float f)
{
    union { float f; int32_t i; } u = {.f = f};
    return u.i;
}

OL_FASTMATH_INLINE float ol_fast_expf(float x)
{
    /* e^x = 2^n * e^r with n = round(x / ln2) and |r| <= ln2 / 2; e^r by Cephes' polynomial. Outside
     * [-104, 89] the result is 0 or inf anyway. Clamps are sequential selects, not nested
     * conditionals, so the compiler can if-convert (and vectorize) them. */
    float xc = x < -104.0f ? -104.0f : x;
    xc = xc > 89.0f ? 89.0f : xc;
    /* Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits: n without a
     * float-to-int conversion (which NaN would make undefined). */
    float t = xc * 1.44269504088896341f + 12582912.0f;
    int32_t ni = ol_float_to_bits(t) - 0x4b400000;
    float n = t - 12582912.0f;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    /* 2^n as two factors, each a normal float, so subnormal and overflowing results round once. */
    int32_t n1 = ni / 2, n2 = ni - n1;
    float y = p * ol_bits_to_float((int32_t)((uint32_t)(n1 + 127) << 23)) *
              ol_bits_to_float((int32_t)((uint32_t)(n2 + 127) << 23));
    return x != x ? x : y;
}

OL_FASTMATH_INLINE float ol_fast_sigmoidf(float x)
{
    /* With e = e^-|x|: 1 / (1 + e) for x >= 0 and e / (1 + e) below, which stays accurate (rather
     * than overflowing to 0) down to the subnormal range. */
    float e = ol_fast_expf(x < 0 ? x : -x);
    float s = 1.0f / (1.0f + e);
    float neg = e * s;
    return x < 0 ? neg : s;
}

OL_FASTMATH_INLINE float ol_fast_tanhf(float x)
{
    /* Small |x|: Cephes' odd polynomial (no cancellation); else 1 - 2 / (e^2|x| + 1). */
    float z = x * x;
    float small = -5.70498872745e-3f;
    small = small * z + 2.06390887954e-2f;
    small = small * z - 5.37397155531e-2f;
    small = small * z + 1.33314422036e-1f;
    small = small * z - 3.33332819422e-1f;
    small = small * z * x + x;
    float a = x < 0 ? -x : x;
    float big = 1.0f - 2.0f / (ol_fast_expf(2.0f * a) + 1.0f);
    big = x < 0 ? -big : big;
    return a < 0.625f ? small : big;
}

OL_FASTMATH_INLINE float ol_fast_erff(float x)
{
    /* Rational approximation x * P(x^2) / Q(x^2) on [-4, 4] (erf is +-1 in float beyond), the one
     * Eigen and XLA use; relative error stays small near 0 because of the factor x. */
    float c = x < -4.0f ? -4.0f : x;
    c = c > 4.0f ? 4.0f : c;
    float x2 = c * c;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    float ratio = p / q;   /* before the factor c, so tiny x do not underflow */
    return x != x ? x : c * ratio;
}

#endif
