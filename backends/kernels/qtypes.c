#include "kernels/qtypes.h"

#include <math.h>

bool ol_qtype_is_int(ol_dtype t)
{
    switch (t) {
    case OL_INT8: case OL_UINT8: case OL_INT16: case OL_UINT16: case OL_INT32:
    case OL_INT4: case OL_UINT4: case OL_INT2: case OL_UINT2:
        return true;
    default:
        return false;
    }
}

bool ol_qtype_is_minifloat(ol_dtype t)
{
    return t == OL_FLOAT8E4M3FN || t == OL_FLOAT8E4M3FNUZ || t == OL_FLOAT8E5M2 ||
           t == OL_FLOAT8E5M2FNUZ || t == OL_FLOAT4E2M1;
}

bool ol_qtype_int_range(ol_dtype t, int32_t *lo, int32_t *hi)
{
    switch (t) {
    case OL_INT8: *lo = INT8_MIN, *hi = INT8_MAX; return true;
    case OL_UINT8: *lo = 0, *hi = UINT8_MAX; return true;
    case OL_INT16: *lo = INT16_MIN, *hi = INT16_MAX; return true;
    case OL_UINT16: *lo = 0, *hi = UINT16_MAX; return true;
    case OL_INT32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    case OL_INT4: *lo = -8, *hi = 7; return true;
    case OL_UINT4: *lo = 0, *hi = 15; return true;
    case OL_INT2: *lo = -2, *hi = 1; return true;
    case OL_UINT2: *lo = 0, *hi = 3; return true;
    default: return false;
    }
}

/* Bits `bits` wide at element i of a packed array, lowest bits first. */
static unsigned get_bits(const void *data, int64_t i, unsigned bits)
{
    unsigned per_byte = 8 / bits, shift = (unsigned)(i % per_byte) * bits;
    return (((const uint8_t *)data)[i / per_byte] >> shift) & ((1u << bits) - 1);
}

static void set_bits(void *data, int64_t i, unsigned bits, unsigned v)
{
    unsigned per_byte = 8 / bits, shift = (unsigned)(i % per_byte) * bits, mask = (1u << bits) - 1;
    uint8_t *byte = (uint8_t *)data + i / per_byte;
    *byte = (uint8_t)((*byte & ~(mask << shift)) | ((v & mask) << shift));
}

/* Sign-extends the low `bits` of v. */
static int32_t sign_extend(unsigned v, unsigned bits)
{
    unsigned sign = 1u << (bits - 1);
    return (int32_t)((v ^ sign)) - (int32_t)sign;
}

int32_t ol_qtype_get_int(const void *data, ol_dtype t, int64_t i)
{
    switch (t) {
    case OL_INT8: return ((const int8_t *)data)[i];
    case OL_UINT8: return ((const uint8_t *)data)[i];
    case OL_INT16: return ((const int16_t *)data)[i];
    case OL_UINT16: return ((const uint16_t *)data)[i];
    case OL_INT32: return ((const int32_t *)data)[i];
    case OL_INT4: return sign_extend(get_bits(data, i, 4), 4);
    case OL_UINT4: return (int32_t)get_bits(data, i, 4);
    case OL_INT2: return sign_extend(get_bits(data, i, 2), 2);
    case OL_UINT2: return (int32_t)get_bits(data, i, 2);
    default: return 0;
    }
}

void ol_qtype_set_int(void *data, ol_dtype t, int64_t i, int32_t v)
{
    switch (t) {
    case OL_INT8: ((int8_t *)data)[i] = (int8_t)v; return;
    case OL_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; return;
    case OL_INT16: ((int16_t *)data)[i] = (int16_t)v; return;
    case OL_UINT16: ((uint16_t *)data)[i] = (uint16_t)v; return;
    case OL_INT32: ((int32_t *)data)[i] = v; return;
    case OL_INT4: case OL_UINT4: set_bits(data, i, 4, (unsigned)v); return;
    case OL_INT2: case OL_UINT2: set_bits(data, i, 2, (unsigned)v); return;
    default: return;
    }
}

/* ---- small floats ---- */

typedef struct minifloat_format {
    unsigned exp_bits, man_bits;
    int bias;
    uint8_t max_code;       /* largest finite magnitude */
    bool ieee_specials;     /* all-ones exponent is Inf/NaN (E5M2) */
    bool nan_all_ones;      /* S.1111.111 is NaN, no Inf (E4M3FN) */
    bool fnuz;              /* 0x80 is the only NaN, no negative zero, no Inf */
} minifloat_format;

static const minifloat_format *format_of(ol_dtype t)
{
    static const minifloat_format e4m3fn = {4, 3, 7, 0x7e, false, true, false};
    static const minifloat_format e4m3fnuz = {4, 3, 8, 0x7f, false, false, true};
    static const minifloat_format e5m2 = {5, 2, 15, 0x7b, true, false, false};
    static const minifloat_format e5m2fnuz = {5, 2, 16, 0x7f, false, false, true};
    static const minifloat_format e2m1 = {2, 1, 1, 0x7, false, false, false};
    switch (t) {
    case OL_FLOAT8E4M3FN: return &e4m3fn;
    case OL_FLOAT8E4M3FNUZ: return &e4m3fnuz;
    case OL_FLOAT8E5M2: return &e5m2;
    case OL_FLOAT8E5M2FNUZ: return &e5m2fnuz;
    case OL_FLOAT4E2M1: return &e2m1;
    default: return NULL;
    }
}

static float magnitude(const minifloat_format *f, unsigned code)
{
    unsigned exp = code >> f->man_bits, man = code & ((1u << f->man_bits) - 1);
    if (exp == 0)
        return ldexpf((float)man, 1 - f->bias - (int)f->man_bits);
    return ldexpf((float)(man | (1u << f->man_bits)), (int)exp - f->bias - (int)f->man_bits);
}

float ol_minifloat_decode(uint8_t code, ol_dtype t)
{
    const minifloat_format *f = format_of(t);
    if (!f)
        return NAN;
    unsigned sign_bit = 1u << (f->exp_bits + f->man_bits), mag = code & (sign_bit - 1);
    unsigned exp_all = (1u << f->exp_bits) - 1;
    /* NaN keeps the code's sign bit, as float conversions do. */
    float nan = code & sign_bit ? -NAN : NAN;
    if (f->fnuz && code == 0x80)
        return nan;
    if (f->nan_all_ones && mag == sign_bit - 1)
        return nan;
    if (f->ieee_specials && (mag >> f->man_bits) == exp_all) {
        if (mag & ((1u << f->man_bits) - 1))
            return nan;
        return code & sign_bit ? -INFINITY : INFINITY;
    }
    float v = magnitude(f, mag);
    return code & sign_bit ? -v : v;
}

uint8_t ol_minifloat_encode(float v, ol_dtype t, bool saturate)
{
    const minifloat_format *f = format_of(t);
    if (!f)
        return 0;
    bool is_float4 = t == OL_FLOAT4E2M1;
    unsigned sign_bit = 1u << (f->exp_bits + f->man_bits);
    unsigned sign = signbit(v) ? sign_bit : 0;
    uint8_t nan_code = f->fnuz ? 0x80 : f->ieee_specials ? (uint8_t)(sign | 0x7e) : (uint8_t)(sign | 0x7f);
    if (isnan(v))
        return is_float4 ? 0 : nan_code;
    if (is_float4)
        saturate = true;
    double a = fabs((double)v);
    double max = magnitude(f, f->max_code);
    if (a >= max) {
        /* Values that round to max stay finite: up to half a step above it, the tie going to the
         * even code. */
        int e;
        frexp(max, &e);
        double half_step = ldexp(1.0, e - 1 - (int)f->man_bits - 1);
        bool rounds_to_max = a < max + half_step || (a == max + half_step && (f->max_code & 1) == 0);
        if (saturate || (rounds_to_max && !isinf(a)))
            return (uint8_t)(sign | f->max_code);
        if (f->ieee_specials)
            return (uint8_t)(sign | ((((1u << f->exp_bits) - 1)) << f->man_bits));
        return nan_code;
    }
    /* a = quantum * n with n rounded to nearest even; a carry out of the mantissa moves to the next
     * exponent by itself because the code is (biased exponent << man_bits) + mantissa. */
    int e;
    frexp(a, &e);
    int exponent = e - 1, min_exponent = 1 - f->bias;
    unsigned code;
    if (a == 0 || exponent < min_exponent) {
        code = (unsigned)nearbyint(ldexp(a, -(min_exponent - (int)f->man_bits)));
    } else {
        unsigned n = (unsigned)nearbyint(ldexp(a, -(exponent - (int)f->man_bits)));
        code = ((unsigned)(exponent + f->bias) << f->man_bits) + n - (1u << f->man_bits);
    }
    if (f->fnuz && code == 0)
        return 0;   /* no negative zero */
    return (uint8_t)(sign | code);
}

float ol_qtype_get_minifloat(const void *data, ol_dtype t, int64_t i)
{
    uint8_t code = t == OL_FLOAT4E2M1 ? (uint8_t)get_bits(data, i, 4) : ((const uint8_t *)data)[i];
    return ol_minifloat_decode(code, t);
}

void ol_qtype_set_minifloat(void *data, ol_dtype t, int64_t i, float v, bool saturate)
{
    uint8_t code = ol_minifloat_encode(v, t, saturate);
    if (t == OL_FLOAT4E2M1)
        set_bits(data, i, 4, code);
    else
        ((uint8_t *)data)[i] = code;
}

float ol_float8e8m0_decode(uint8_t code)
{
    return code == 0xff ? NAN : ldexpf(1.0f, (int)code - 127);
}
