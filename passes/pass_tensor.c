/* Element access in double with a single rounding on the way back. */
#include "pass_tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ktensor.h"

bool pass_dtype_is_float(ol_dtype dtype)
{
    return dtype == OL_FLOAT || dtype == OL_DOUBLE || dtype == OL_FLOAT16 || dtype == OL_BFLOAT16;
}

bool pass_dtype_is_index(ol_dtype dtype)
{
    return dtype == OL_INT32 || dtype == OL_INT64;
}

/* Rounds |a| (finite, not NaN) to a binary format with `mant` stored mantissa bits, minimum normal
 * exponent `emin` and maximum exponent `emax`, and returns the format's bits without the sign.
 * Going through float first would round twice (double -> float -> half), which can differ from a
 * direct rounding on ties. */
static uint32_t round_to_small_float(double a, int mant, int emin, int emax)
{
    uint32_t inf = (uint32_t)(emax - emin + 2) << mant;   /* all-ones exponent, zero mantissa */
    if (a == 0)
        return 0;
    int e;
    frexp(a, &e);   /* a = m * 2^e with m in [0.5, 1): the leading bit has weight 2^(e-1) */
    int exp = e - 1 < emin ? emin : e - 1;
    double steps = rint(ldexp(a, mant - exp));   /* exact scaling by a power of two, one rounding */
    if (exp == emin && steps < ldexp(1, mant))
        return (uint32_t)steps;   /* subnormal (or rounded up to the smallest normal: same bits) */
    if (steps >= ldexp(1, mant + 1)) {
        steps /= 2;
        exp++;
    }
    if (exp > emax)
        return inf;
    return ((uint32_t)(exp - emin + 1) << mant) | ((uint32_t)steps - (1u << mant));
}

static uint16_t double_to_small(double v, int mant, int emin, int emax, uint16_t nan_bits)
{
    if (isnan(v))
        return nan_bits;
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    if (isinf(v))
        return sign | (uint16_t)((uint32_t)(emax - emin + 2) << mant);
    return sign | (uint16_t)round_to_small_float(fabs(v), mant, emin, emax);
}

static double bf16_bits_to_double(uint16_t h)
{
    return ol_bf16_to_float(h);
}

double pass_tensor_get(const ol_tensor *t, int64_t i)
{
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case OL_FLOAT: { float v; memcpy(&v, p + 4 * i, 4); return v; }
    case OL_DOUBLE: { double v; memcpy(&v, p + 8 * i, 8); return v; }
    case OL_FLOAT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return ol_half_to_float(v); }
    case OL_BFLOAT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return bf16_bits_to_double(v); }
    case OL_INT8: return (int8_t)p[i];
    case OL_UINT8: case OL_BOOL: return p[i];
    case OL_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case OL_UINT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case OL_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case OL_UINT32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case OL_INT64: { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    case OL_UINT64: { uint64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    default: return NAN;
    }
}

void pass_store(void *data, ol_dtype dtype, int64_t i, double value)
{
    uint8_t *p = data;
    switch (dtype) {
    case OL_FLOAT: { float v = (float)value; memcpy(p + 4 * i, &v, 4); break; }
    case OL_DOUBLE: memcpy(p + 8 * i, &value, 8); break;
    case OL_FLOAT16: {
        uint16_t v = double_to_small(value, 10, -14, 15, 0x7e00);
        memcpy(p + 2 * i, &v, 2);
        break;
    }
    case OL_BFLOAT16: {
        uint16_t v = double_to_small(value, 7, -126, 127, 0x7fc0);
        memcpy(p + 2 * i, &v, 2);
        break;
    }
    case OL_INT32: { int32_t v = (int32_t)value; memcpy(p + 4 * i, &v, 4); break; }
    case OL_INT64: { int64_t v = (int64_t)value; memcpy(p + 8 * i, &v, 8); break; }
    default: break;
    }
}

bool pass_tensor_ints(const ol_tensor *t, int64_t *out, size_t max, size_t *n)
{
    if (!t || !pass_dtype_is_index(t->dtype))
        return false;
    int64_t count = ol_tensor_numel(t);
    if (count < 0 || (uint64_t)count > max)
        return false;
    for (int64_t i = 0; i < count; i++) {
        if (t->dtype == OL_INT64) {
            memcpy(&out[i], (const uint8_t *)t->data + 8 * i, 8);
        } else {
            int32_t v;
            memcpy(&v, (const uint8_t *)t->data + 4 * i, 4);
            out[i] = v;
        }
    }
    *n = (size_t)count;
    return true;
}

ol_tensor *pass_tensor_from_doubles(ol_dtype dtype, int rank, const int64_t *dims, const double *values,
                                    ol_error *err)
{
    ol_tensor *t = ol_tensor_create(dtype, rank, dims, err);
    if (!t)
        return NULL;
    void *data = ol_tensor_mutable_data(t, err);
    if (!data) {
        ol_tensor_destroy(t);
        return NULL;
    }
    int64_t n = ol_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        pass_store(data, dtype, i, values[i]);
    return t;
}

ol_tensor *pass_tensor_from_ints(ol_dtype dtype, int rank, const int64_t *dims, const int64_t *values,
                                 ol_error *err)
{
    ol_tensor *t = ol_tensor_create(dtype, rank, dims, err);
    if (!t)
        return NULL;
    uint8_t *data = ol_tensor_mutable_data(t, err);
    if (!data) {
        ol_tensor_destroy(t);
        return NULL;
    }
    int64_t n = ol_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        if (dtype == OL_INT64) {
            memcpy(data + 8 * i, &values[i], 8);
        } else {
            int32_t v = (int32_t)values[i];
            memcpy(data + 4 * i, &v, 4);
        }
    }
    return t;
}

double *pass_tensor_to_doubles(const ol_tensor *t, ol_error *err)
{
    int64_t n = ol_tensor_numel(t);
    double *out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    if (!out) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory reading tensor '%s'", t->name ? t->name : "");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        out[i] = pass_tensor_get(t, i);
    return out;
}
