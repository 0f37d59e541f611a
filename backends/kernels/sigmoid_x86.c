/* AVX-512 sigmoid and SiLU rows (see sigmoid_x86.h). Compiled with a per-function target attribute
 * and chosen at run time, so the library itself stays buildable for the baseline ISA. */
#include "kernels/sigmoid_x86.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

bool ol_sigmoid_avx512_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

/* f(v) for 16 lanes: e = e^-|v| (|v| clamped to 104, where e is 0 in float anyway), s = 1 / (1 + e)
 * by rcp14 and one Newton step, sigmoid = v >= 0 ? s : e * s; NaN passes through. */
__attribute__((target("avx512f"))) static inline __m512 sigmoid16(__m512 v, bool swish)
{
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __m512 x = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), sign));   /* -|v| */
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));                    /* NaN becomes -104 */
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512 e = _mm512_scalef_ps(p, n);                                /* p * 2^n, rounded once */
    __m512 d = _mm512_add_ps(e, _mm512_set1_ps(1.0f));
    __m512 s = _mm512_rcp14_ps(d);
    s = _mm512_fmadd_ps(s, _mm512_fnmadd_ps(d, s, _mm512_set1_ps(1.0f)), s);
    __mmask16 negative = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 f = _mm512_mask_mul_ps(s, negative, e, s);
    if (swish)
        f = _mm512_mul_ps(v, f);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(f, nan, v);
}

__attribute__((target("avx512f"))) void ol_sigmoid_row_avx512(float *y, int64_t n, float bias, const float *sum,
                                                              bool swish)
{
    __m512 b = _mm512_set1_ps(bias);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + i), b);
        if (sum)
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, sum + i));
        _mm512_mask_storeu_ps(y + i, m, sigmoid16(v, swish));
    }
}

#else

bool ol_sigmoid_avx512_available(void)
{
    return false;
}

void ol_sigmoid_row_avx512(float *y, int64_t n, float bias, const float *sum, bool swish)
{
    (void)y, (void)n, (void)bias, (void)sum, (void)swish;   /* never called: not available */
}

#endif
