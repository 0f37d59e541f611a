/* Quantize/dequantize loops. The common case (float32 with one float32 scale per row of `inner`
 * elements, byte-aligned integers) has its own loops; every other combination goes through the
 * per-element codecs of qtypes.h. */
#include "kernels/quantize.h"

#include <math.h>
#include <string.h>

#include "kernels/parallel.h"
#include "kernels/qtypes.h"

/* Below this many elements the loops stay on one thread. */
#define PARALLEL_MIN_ELEMENTS 65536

ol_quant_axis ol_quant_axis_per_tensor(int64_t numel)
{
    return (ol_quant_axis){.outer = 1, .axis_len = 1, .inner = numel, .block = 1};
}

static void split_at(const int64_t *dims, int rank, int axis, ol_quant_axis *q)
{
    q->outer = 1, q->inner = 1;
    for (int d = 0; d < axis; d++)
        q->outer *= dims[d];
    for (int d = axis + 1; d < rank; d++)
        q->inner *= dims[d];
    q->axis_len = dims[axis];
}

ol_quant_axis ol_quant_axis_per_channel(const int64_t *dims, int rank, int axis)
{
    ol_quant_axis q = {.block = 1, .stride_block = 1};
    split_at(dims, rank, axis, &q);
    return q;
}

ol_quant_axis ol_quant_axis_blocked(const int64_t *dims, int rank, int axis, int64_t block)
{
    ol_quant_axis q = {.block = block};
    split_at(dims, rank, axis, &q);
    int64_t blocks = (q.axis_len + block - 1) / block;
    q.stride_inner = 1;
    q.stride_block = q.inner;
    q.stride_outer = blocks * q.inner;
    return q;
}

bool ol_quantize_input_supported(ol_dtype t)
{
    return t == OL_FLOAT || t == OL_FLOAT16 || t == OL_BFLOAT16 || t == OL_DOUBLE || t == OL_INT32;
}

bool ol_quant_scale_supported(ol_dtype t)
{
    return ol_quantize_input_supported(t) || t == OL_FLOAT8E8M0;
}

bool ol_quantize_output_supported(ol_dtype t)
{
    return (ol_qtype_is_int(t) && t != OL_INT32) || ol_qtype_is_minifloat(t);
}

bool ol_dequantize_input_supported(ol_dtype t)
{
    return ol_qtype_is_int(t) || ol_qtype_is_minifloat(t);
}

static double load_real(const void *d, ol_dtype t, int64_t i)
{
    switch (t) {
    case OL_FLOAT: return ((const float *)d)[i];
    case OL_DOUBLE: return ((const double *)d)[i];
    case OL_FLOAT16: return ol_half_to_float(((const uint16_t *)d)[i]);
    case OL_BFLOAT16: return ol_bf16_to_float(((const uint16_t *)d)[i]);
    case OL_INT32: return ((const int32_t *)d)[i];
    case OL_FLOAT8E8M0: return ol_float8e8m0_decode(((const uint8_t *)d)[i]);
    default: return NAN;
    }
}

/* Rounds v to the precision of t (innocuous double rounding: every target has at most half of
 * double's mantissa, so rounding a correctly rounded double quotient again is still correct). */
static double round_to(double v, ol_dtype t)
{
    switch (t) {
    case OL_FLOAT: return (float)v;
    case OL_FLOAT16: return ol_half_to_float(ol_float_to_half((float)v));
    case OL_BFLOAT16: return ol_bf16_to_float(ol_float_to_bf16((float)v));
    default: return v;
    }
}

/* Round half to even for |v| <= 2^22 in the default rounding mode, without a libm call so the loops
 * vectorize. */
static inline float round_even_small(float v)
{
    return (v + 0x1.8p23f) - 0x1.8p23f;
}

static bool is_byte_int(ol_dtype t)
{
    return t == OL_INT8 || t == OL_UINT8 || t == OL_INT16 || t == OL_UINT16;
}

/* ---- quantize ---- */

/* One row of `n` float32 values with one scale and zero point into a byte-aligned integer type. */
static void quantize_row_f32(const float *x, int64_t n, float scale, int32_t zp, int32_t lo, int32_t hi,
                             ol_dtype t, void *y)
{
    /* Clamping before rounding equals rounding before clamping because the bounds are integers;
     * NaN fails both comparisons and lands on the lower bound. */
    float lo_f = (float)(lo - zp), hi_f = (float)(hi - zp);
    switch (t) {
    case OL_UINT8: {
        uint8_t *o = y;
        for (int64_t i = 0; i < n; i++) {
            float v = x[i] / scale;
            v = v >= lo_f ? v : lo_f;
            v = v <= hi_f ? v : hi_f;
            o[i] = (uint8_t)((int32_t)round_even_small(v) + zp);
        }
        return;
    }
    case OL_INT8: {
        int8_t *o = y;
        for (int64_t i = 0; i < n; i++) {
            float v = x[i] / scale;
            v = v >= lo_f ? v : lo_f;
            v = v <= hi_f ? v : hi_f;
            o[i] = (int8_t)((int32_t)round_even_small(v) + zp);
        }
        return;
    }
    default:
        for (int64_t i = 0; i < n; i++) {
            float v = x[i] / scale;
            v = v >= lo_f ? v : lo_f;
            v = v <= hi_f ? v : hi_f;
            ol_qtype_set_int(y, t, i, (int32_t)round_even_small(v) + zp);
        }
        return;
    }
}

static bool quantize_fast(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                          ol_ktensor *y, const ol_quantize_params *p)
{
    const ol_quant_axis *q = &p->layout;
    if (x->dtype != OL_FLOAT || scale->dtype != OL_FLOAT || p->precision != OL_FLOAT ||
        !is_byte_int(y->dtype) || q->stride_inner != 0)
        return false;
    int32_t lo, hi;
    ol_qtype_int_range(y->dtype, &lo, &hi);
    int64_t rows = q->outer * q->axis_len, inner = q->inner;
    size_t elem = y->dtype == OL_INT8 || y->dtype == OL_UINT8 ? 1 : 2;
    const float *xs = x->data, *ss = scale->data;
    int nt = ol_kernel_threads(p->threads);
#pragma omp parallel for num_threads(nt) if (nt > 1 && rows * inner >= PARALLEL_MIN_ELEMENTS) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        int64_t o = r / q->axis_len, a = r % q->axis_len;
        int64_t pi = o * q->stride_outer + (a / q->block) * q->stride_block;
        int32_t zp = zero_point ? ol_qtype_get_int(zero_point->data, zero_point->dtype, pi) : 0;
        quantize_row_f32(xs + r * inner, inner, ss[pi], zp, lo, hi, y->dtype,
                         (char *)y->data + (size_t)(r * inner) * elem);
    }
    return true;
}

static void quantize_element(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                             ol_ktensor *y, const ol_quantize_params *p, int64_t idx, int64_t pi,
                             int32_t lo, int32_t hi)
{
    double quotient = round_to(load_real(x->data, x->dtype, idx) / load_real(scale->data, scale->dtype, pi),
                               p->precision);
    if (ol_qtype_is_int(y->dtype)) {
        int32_t zp = zero_point ? ol_qtype_get_int(zero_point->data, zero_point->dtype, pi) : 0;
        double v = isnan(quotient) ? lo : nearbyint(quotient) + zp;
        v = v < lo ? lo : v > hi ? hi : v;
        ol_qtype_set_int(y->data, y->dtype, idx, (int32_t)v);
        return;
    }
    /* The zero point of a small float is normally zero; it is added only where it can matter (float4
     * always adds it, which also turns -0 into +0, as the reference does). */
    if (zero_point) {
        float zp = ol_qtype_get_minifloat(zero_point->data, zero_point->dtype, pi);
        if (zp != 0 || y->dtype == OL_FLOAT4E2M1)
            quotient = round_to(quotient + zp, p->precision);
    }
    ol_qtype_set_minifloat(y->data, y->dtype, idx, (float)quotient, p->saturate);
}

bool ol_quantize_linear(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                        ol_ktensor *y, const ol_quantize_params *p)
{
    if (!ol_quantize_input_supported(x->dtype) || !ol_quant_scale_supported(scale->dtype) ||
        !ol_quantize_output_supported(y->dtype) || (zero_point && zero_point->dtype != y->dtype))
        return false;
    if (quantize_fast(x, scale, zero_point, y, p))
        return true;
    const ol_quant_axis *q = &p->layout;
    int32_t lo = 0, hi = 0;
    ol_qtype_int_range(y->dtype, &lo, &hi);
    /* Packed outputs share bytes between neighbours, so this loop stays on one thread; the unused
     * bits of the last byte are zeros, like every other writer's. */
    if (ol_dtype_bits(y->dtype) < 8 && ol_ktensor_numel(y) > 0)
        memset(y->data, 0, ol_ktensor_nbytes(y));
    for (int64_t o = 0; o < q->outer; o++)
        for (int64_t a = 0; a < q->axis_len; a++) {
            int64_t base = (o * q->axis_len + a) * q->inner;
            int64_t pbase = o * q->stride_outer + (a / q->block) * q->stride_block;
            for (int64_t i = 0; i < q->inner; i++)
                quantize_element(x, scale, zero_point, y, p, base + i, pbase + i * q->stride_inner, lo, hi);
        }
    return true;
}

/* ---- dequantize ---- */

static void store_real(void *d, ol_dtype t, int64_t i, float v)
{
    switch (t) {
    case OL_FLOAT: ((float *)d)[i] = v; return;
    case OL_FLOAT16: ((uint16_t *)d)[i] = ol_float_to_half(v); return;
    case OL_BFLOAT16: ((uint16_t *)d)[i] = ol_float_to_bf16(v); return;
    default: return;
    }
}

static bool dequantize_fast(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                            ol_ktensor *y, const ol_quant_axis *q, int threads)
{
    if ((x->dtype != OL_UINT8 && x->dtype != OL_INT8) || scale->dtype != OL_FLOAT || y->dtype != OL_FLOAT ||
        q->stride_inner != 0)
        return false;
    int64_t rows = q->outer * q->axis_len, inner = q->inner;
    const float *ss = scale->data;
    float *ys = y->data;
    bool is_signed = x->dtype == OL_INT8;
    int nt = ol_kernel_threads(threads);
#pragma omp parallel for num_threads(nt) if (nt > 1 && rows * inner >= PARALLEL_MIN_ELEMENTS) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        int64_t o = r / q->axis_len, a = r % q->axis_len;
        int64_t pi = o * q->stride_outer + (a / q->block) * q->stride_block;
        int32_t zp = zero_point ? ol_qtype_get_int(zero_point->data, zero_point->dtype, pi) : 0;
        float s = ss[pi];
        float *out = ys + r * inner;
        /* (x - zp) is a small integer, exact in float32: one rounding, as in the definition. */
        if (is_signed) {
            const int8_t *in = (const int8_t *)x->data + r * inner;
            for (int64_t i = 0; i < inner; i++)
                out[i] = (float)(in[i] - zp) * s;
        } else {
            const uint8_t *in = (const uint8_t *)x->data + r * inner;
            for (int64_t i = 0; i < inner; i++)
                out[i] = (float)(in[i] - zp) * s;
        }
    }
    return true;
}

bool ol_dequantize_linear(const ol_ktensor *x, const ol_ktensor *scale, const ol_ktensor *zero_point,
                          ol_ktensor *y, const ol_quant_axis *q, int threads)
{
    if (!ol_dequantize_input_supported(x->dtype) || !ol_quant_scale_supported(scale->dtype) ||
        (y->dtype != OL_FLOAT && y->dtype != OL_FLOAT16 && y->dtype != OL_BFLOAT16) ||
        (zero_point && zero_point->dtype != x->dtype))
        return false;
    if (dequantize_fast(x, scale, zero_point, y, q, threads))
        return true;
    bool integer = ol_qtype_is_int(x->dtype);
    for (int64_t o = 0; o < q->outer; o++)
        for (int64_t a = 0; a < q->axis_len; a++) {
            int64_t base = (o * q->axis_len + a) * q->inner;
            int64_t pbase = o * q->stride_outer + (a / q->block) * q->stride_block;
            for (int64_t i = 0; i < q->inner; i++) {
                int64_t idx = base + i, pi = pbase + i * q->stride_inner;
                double s = load_real(scale->data, scale->dtype, pi);
                float v;
                if (integer) {
                    int64_t zp = zero_point ? ol_qtype_get_int(zero_point->data, zero_point->dtype, pi) : 0;
                    v = (float)((double)(ol_qtype_get_int(x->data, x->dtype, idx) - zp) * s);
                } else {
                    v = ol_qtype_get_minifloat(x->data, x->dtype, idx) * (float)s;
                }
                store_real(y->data, y->dtype, idx, v);
            }
        }
    return true;
}

/* ---- dynamic quantization ---- */

void ol_dynamic_quantize_u8(const float *x, int64_t n, uint8_t *y, float *scale_out, uint8_t *zp_out,
                            int threads)
{
    float lo = 0, hi = 0;   /* the range always includes zero */
    for (int64_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    float scale = (hi == lo ? 1.0f : hi - lo) / 255.0f;
    float initial_zp = 0.0f - lo / scale;
    initial_zp = initial_zp < 0 ? 0 : initial_zp > 255 ? 255 : initial_zp;
    float zp = nearbyintf(initial_zp);
    /* y = clamp(round(x / scale) + zp, 0, 255), clamped before rounding (the bounds are integers). */
    float lo_f = -zp, hi_f = 255.0f - zp;
    int32_t zpi = (int32_t)zp;
    int nt = ol_kernel_threads(threads);
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= PARALLEL_MIN_ELEMENTS) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] / scale;
        v = v >= lo_f ? v : lo_f;
        v = v <= hi_f ? v : hi_f;
        y[i] = (uint8_t)((int32_t)round_even_small(v) + zpi);
    }
    *scale_out = scale;
    *zp_out = (uint8_t)zpi;
}
