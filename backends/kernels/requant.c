#include "kernels/requant.h"

#include "kernels/ktensor.h"
#include "kernels/parallel.h"

#define PARALLEL_MIN_ELEMENTS 65536

static float round_to(float v, ol_dtype precision)
{
    switch (precision) {
    case OL_FLOAT16: return ol_half_to_float(ol_float_to_half(v));
    case OL_BFLOAT16: return ol_bf16_to_float(ol_float_to_bf16(v));
    default: return v;
    }
}

double ol_requant_multiplier(float row_scale, float col_scale, float out_scale, ol_dtype precision)
{
    /* float32 holds the exact product of two 11- or 8-bit mantissas and rounds the quotient finely
     * enough that rounding it again to half or bfloat16 is correct. */
    float product = round_to(row_scale * col_scale, precision);
    return round_to(product / out_scale, precision);
}

/* round_half_even(acc * multiplier) + zp, saturated. The product is taken in float32, as
 * onnxruntime's kernels (MLAS) take it: in float64 a product a hair below .5 rounds down where
 * onnxruntime's rounds up, and in a deep network one such flip grows into many steps downstream
 * (quant/qdq_lower.c; tests/integration/quantized_vs_onnxruntime.py). It is clamped to the range
 * left by the zero point before rounding (the bounds are integers, so the result is the same) and
 * rounded with the 1.5 * 2^52 trick, which vectorizes where nearbyint would be a call. NaN lands on
 * lo. */
static inline int32_t requant_one(int32_t acc, double multiplier, int32_t zp, double lo, double hi)
{
    double v = (float)acc * (float)multiplier;
    v = v >= lo ? v : lo;
    v = v <= hi ? v : hi;
    return (int32_t)((v + 0x1.8p52) - 0x1.8p52) + zp;
}

#define DEFINE_REQUANT_ROW(T, NAME)                                                                 \
    static void NAME(const int32_t *acc, int64_t cols, int32_t bias, double row_multiplier,         \
                     const ol_requant_params *p, float row_scale, T *out)                           \
    {                                                                                               \
        int32_t zp = p->out_zero_point;                                                             \
        double lo = (p->out_signed ? -128 : 0) - zp, hi = (p->out_signed ? 127 : 255) - zp;          \
        if (p->n_col_scale == 1) {                                                                  \
            for (int64_t j = 0; j < cols; j++)                                                      \
                out[j] = (T)requant_one((int32_t)((uint32_t)acc[j] + (uint32_t)bias), row_multiplier, zp, lo, hi); \
            return;                                                                                 \
        }                                                                                           \
        for (int64_t j = 0; j < cols; j++) {                                                        \
            double m = ol_requant_multiplier(row_scale, p->col_scale[j], p->out_scale, p->scale_precision); \
            out[j] = (T)requant_one((int32_t)((uint32_t)acc[j] + (uint32_t)bias), m, zp, lo, hi);   \
        }                                                                                           \
    }

DEFINE_REQUANT_ROW(uint8_t, requant_row_u8)
DEFINE_REQUANT_ROW(int8_t, requant_row_s8)

void ol_requantize(const int32_t *acc, int64_t rows, int64_t cols, int64_t ld_acc, void *out, int64_t ld_out,
                   const ol_requant_params *p)
{
    int nt = ol_kernel_threads(p->threads);
#pragma omp parallel for num_threads(nt) if (nt > 1 && rows * cols >= PARALLEL_MIN_ELEMENTS) schedule(static)
    for (int64_t i = 0; i < rows; i++) {
        float row_scale = p->row_scale[p->n_row_scale == 1 ? 0 : i];
        double m = ol_requant_multiplier(row_scale, p->col_scale[0], p->out_scale, p->scale_precision);
        int32_t bias = p->row_bias ? p->row_bias[i] : 0;
        if (p->out_signed)
            requant_row_s8(acc + i * ld_acc, cols, bias, m, p, row_scale, (int8_t *)out + i * ld_out);
        else
            requant_row_u8(acc + i * ld_acc, cols, bias, m, p, row_scale, (uint8_t *)out + i * ld_out);
    }
}
