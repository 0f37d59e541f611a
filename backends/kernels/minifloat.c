#include "kernels/minifloat.h"

#include <math.h>
#include <stddef.h>

typedef enum nan_kind {
    NAN_SIGNED,         /* sign | nan_magnitude */
    NAN_UNSIGNED_ZERO,  /* FNUZ: the code of "-0" (0x80) is the one NaN */
    NAN_FLIPPED_ZERO,   /* float4 has no NaN: the reference (ml_dtypes) gives a zero of the other sign */
} nan_kind;

typedef struct format {
    int exp_bits, man_bits, bias;
    double max;              /* largest finite value */
    uint32_t max_code;       /* its magnitude bits */
    unsigned sign_shift;     /* position of the sign bit */
    nan_kind nan;
    uint32_t nan_magnitude;  /* for NAN_SIGNED */
    bool has_inf;            /* exponent all ones with a zero mantissa is infinity */
    bool always_saturate;
} format;

static const format E4M3FN = {4, 3, 7, 448.0, 0x7e, 7, NAN_SIGNED, 0x7f, false, false};
static const format E4M3FNUZ = {4, 3, 8, 240.0, 0x7f, 7, NAN_UNSIGNED_ZERO, 0, false, false};
static const format E5M2 = {5, 2, 15, 57344.0, 0x7b, 7, NAN_SIGNED, 0x7e, true, false};
static const format E5M2FNUZ = {5, 2, 16, 57344.0, 0x7f, 7, NAN_UNSIGNED_ZERO, 0, false, false};
static const format E2M1 = {2, 1, 1, 6.0, 0x7, 3, NAN_FLIPPED_ZERO, 0, false, true};
static const format HALF = {5, 10, 15, 65504.0, 0x7bff, 15, NAN_SIGNED, 0x7e00, true, false};

static const format *format_of(ol_dtype t)
{
    switch (t) {
    case OL_FLOAT8E4M3FN: return &E4M3FN;
    case OL_FLOAT8E4M3FNUZ: return &E4M3FNUZ;
    case OL_FLOAT8E5M2: return &E5M2;
    case OL_FLOAT8E5M2FNUZ: return &E5M2FNUZ;
    case OL_FLOAT4E2M1: return &E2M1;
    default: return NULL;
    }
}

bool ol_minifloat_dtype(ol_dtype t)
{
    return format_of(t) != NULL || t == OL_FLOAT8E8M0;
}

static uint32_t nan_code(const format *f, uint32_t sign)
{
    switch (f->nan) {
    case NAN_UNSIGNED_ZERO: return 1u << f->sign_shift;
    case NAN_FLIPPED_ZERO: return (sign ^ 1u) << f->sign_shift;
    default: return sign << f->sign_shift | f->nan_magnitude;
    }
}

static uint32_t overflow_code(const format *f, uint32_t sign, bool saturate)
{
    if (saturate || f->always_saturate)
        return sign << f->sign_shift | f->max_code;
    if (f->has_inf)
        return sign << f->sign_shift | (((1u << f->exp_bits) - 1) << f->man_bits);
    return nan_code(f, sign);
}

static uint32_t encode(double v, const format *f, bool saturate)
{
    uint32_t sign = signbit(v) ? 1u : 0u;
    if (isnan(v))
        return nan_code(f, sign);
    double a = fabs(v);
    if (isinf(a))
        return overflow_code(f, sign, saturate);
    /* NAN_UNSIGNED_ZERO formats have no -0: negative values that round to zero give +0. */
    uint32_t signed_zero = f->nan == NAN_UNSIGNED_ZERO ? 0 : sign << f->sign_shift;
    if (a == 0)
        return signed_zero;
    int e;
    frexp(a, &e);
    int emin = 1 - f->bias, exponent = e - 1 < emin ? emin : e - 1;
    /* Scale so one unit is the format's spacing at this exponent (subnormal spacing below emin);
     * nearbyint rounds half to even in the default rounding mode. */
    int quantum = exponent - f->man_bits;
    double units = nearbyint(ldexp(a, -quantum));
    if (ldexp(units, quantum) > f->max)
        return overflow_code(f, sign, saturate);
    if (units == 0)
        return signed_zero;
    /* units is in [2^man, 2^(man+1)] for normals (the top value carries into the exponent) and
     * below 2^man for subnormals, whose exponent field is 0: one formula covers both. */
    uint32_t magnitude = ((uint32_t)(exponent + f->bias - 1) << f->man_bits) + (uint32_t)units;
    return sign << f->sign_shift | magnitude;
}

uint8_t ol_minifloat_from_double(double v, ol_dtype t, bool saturate)
{
    const format *f = format_of(t);
    return f ? (uint8_t)encode(v, f, saturate) : 0;
}

uint16_t ol_double_to_half(double v)
{
    return (uint16_t)encode(v, &HALF, false);
}

float ol_minifloat_to_float(uint8_t code, ol_dtype t)
{
    if (t == OL_FLOAT8E8M0)
        return code == 0xff ? NAN : ldexpf(1.0f, (int)code - 127);
    const format *f = format_of(t);
    if (!f)
        return NAN;
    uint32_t sign = (code >> f->sign_shift) & 1u, magnitude = code & ((1u << f->sign_shift) - 1);
    uint32_t exp_field = magnitude >> f->man_bits, mantissa = magnitude & ((1u << f->man_bits) - 1);
    if (f->nan == NAN_UNSIGNED_ZERO && sign && magnitude == 0)
        return NAN;
    if (f->nan == NAN_SIGNED && magnitude == f->nan_magnitude && !f->has_inf)
        return NAN;
    if (f->has_inf && exp_field == (1u << f->exp_bits) - 1)
        return mantissa ? NAN : sign ? -INFINITY : INFINITY;
    double v = exp_field ? ldexp((double)(mantissa | (1u << f->man_bits)),
                                 (int)exp_field - f->bias - f->man_bits)
                         : ldexp((double)mantissa, 1 - f->bias - f->man_bits);
    return (float)(sign ? -v : v);
}

uint8_t ol_float_to_e8m0(float v, bool saturate, ol_e8m0_round mode)
{
    /* The exponent bits of the float32, rounded by its mantissa (the ONNX reference's
     * to_float8e8m0). */
    union { float f; uint32_t u; } bits = {.f = v};
    uint32_t b = bits.u, exponent = (b >> 23) & 0xff;
    if (exponent == 0xff)
        return 0xff;
    bool up = false;
    if (mode == OL_E8M0_ROUND_UP) {
        up = (b & 0x7fffff) != 0;
    } else if (mode == OL_E8M0_ROUND_NEAREST) {
        bool guard = b & 0x400000, round = b & 0x200000, sticky = b & 0x1fffff;
        up = guard && (round || sticky || exponent > 0);
    }
    if (up && saturate && exponent == 0xfe)
        up = false;
    return (uint8_t)(exponent + up);
}
