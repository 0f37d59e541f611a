/* Cast kernels (kernels/cast.h) and the narrow float formats (kernels/minifloat.h): rounding and
 * wrapping rules, float8 encodings checked code by code, saturation, packed int4/int2/float4
 * layouts, E8M0 rounding modes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/cast.h"
#include "kernels/minifloat.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static void cast1(ol_dtype from, const void *x, ol_dtype to, void *out, int64_t n, bool saturate)
{
    ol_ktensor xt = view((void *)x, from, 1, DIMS(n)), ot = view(out, to, 1, DIMS(n));
    ol_cast_params p = {.saturate = saturate, .e8m0_round = OL_E8M0_ROUND_UP};
    cr_assert(ol_cast(&xt, &ot, &p, 1), "%s -> %s", ol_dtype_name(from), ol_dtype_name(to));
}

Test(kernels_cast, float_to_integer_truncates_wraps_and_zeroes_nan)
{
    const float x[6] = {-2.7f, 2.7f, NAN, INFINITY, 3e9f, -1.0f};
    int32_t i32[6];
    cast1(OL_FLOAT, x, OL_INT32, i32, 6, true);
    cr_assert_arr_eq(i32, ((int32_t[]){-2, 2, 0, 0, -1294967296, -1}), sizeof i32);
    uint8_t u8[3];
    cast1(OL_FLOAT, (const float[]){-1.0f, 300.5f, 255.9f}, OL_UINT8, u8, 3, true);
    cr_assert_arr_eq(u8, ((uint8_t[]){255, 44, 255}), sizeof u8);
    uint64_t u64[3];
    cast1(OL_DOUBLE, (const double[]){13835058055282163712.0, -1.0, 1e30}, OL_UINT64, u64, 3, true);
    cr_assert_arr_eq(u64, ((uint64_t[]){13835058055282163712ull, UINT64_MAX, UINT64_MAX}), sizeof u64);
    int64_t i64[2];
    cast1(OL_DOUBLE, (const double[]){-1e300, 9.2e18}, OL_INT64, i64, 2, true);
    cr_assert_arr_eq(i64, ((int64_t[]){INT64_MIN, 9200000000000000000LL}), sizeof i64);
}

Test(kernels_cast, to_and_from_bool)
{
    uint8_t b[4];
    cast1(OL_FLOAT, (const float[]){0, -0.0f, NAN, 0.1f}, OL_BOOL, b, 4, true);
    cr_assert_arr_eq(b, ((uint8_t[]){0, 0, 1, 1}), sizeof b);
    cast1(OL_INT64, (const int64_t[]){0, 1LL << 40, -1, 0}, OL_BOOL, b, 4, true);
    cr_assert_arr_eq(b, ((uint8_t[]){0, 1, 1, 0}), sizeof b);
    float f[2];
    cast1(OL_BOOL, (const uint8_t[]){1, 0}, OL_FLOAT, f, 2, true);
    cr_assert_arr_eq(f, ((float[]){1, 0}), sizeof f);
}

Test(kernels_cast, integers_wrap_and_round_to_float)
{
    uint16_t u16[2];
    cast1(OL_INT32, (const int32_t[]){-1, 70000}, OL_UINT16, u16, 2, true);
    cr_assert_arr_eq(u16, ((uint16_t[]){65535, 4464}), sizeof u16);
    int32_t i32[1];
    cast1(OL_INT64, (const int64_t[]){0x100000005LL}, OL_INT32, i32, 1, true);
    cr_assert_eq(i32[0], 5);
    float f[2];
    cast1(OL_INT64, (const int64_t[]){16777217, -16777219}, OL_FLOAT, f, 2, true);
    cr_assert_arr_eq(f, ((float[]){16777216.0f, -16777220.0f}), sizeof f);   /* ties to even */
    double d[1];
    cast1(OL_UINT64, (const uint64_t[]){UINT64_MAX}, OL_DOUBLE, d, 1, true);
    cr_assert(d[0] == 18446744073709551616.0);
}

Test(kernels_cast, half_conversions)
{
    uint16_t h[5];
    cast1(OL_FLOAT, (const float[]){65504, 65520, 1e-8f, 6e-8f, -2}, OL_FLOAT16, h, 5, true);
    cr_assert_arr_eq(h, ((uint16_t[]){0x7bff, 0x7c00, 0x0000, 0x0001, 0xc000}), sizeof h);
    /* 1 + 2^-11 + 2^-40: through float it would be the tie 1 + 2^-11 and round down to 1. */
    cast1(OL_DOUBLE, (const double[]){1 + ldexp(1, -11) + ldexp(1, -40)}, OL_FLOAT16, h, 1, true);
    cr_assert_eq(h[0], 0x3c01);
    float f[2];
    cast1(OL_FLOAT16, (const uint16_t[]){0x3555, 0xfc00}, OL_FLOAT, f, 2, true);
    cr_assert_float_eq(f[0], 0.333251953125f, 0);
    cr_assert(f[1] == -INFINITY);
    uint16_t bf[1];
    cast1(OL_FLOAT, (const float[]){1.00390625f}, OL_BFLOAT16, bf, 1, true);   /* tie: to even */
    cr_assert_eq(bf[0], 0x3f80);
    double d[1];
    cast1(OL_BFLOAT16, (const uint16_t[]){0xc0a0}, OL_DOUBLE, d, 1, true);
    cr_assert(d[0] == -5.0);
}

/* Every finite code decodes to a value that encodes back to the same code. */
static void assert_round_trips(ol_dtype t)
{
    for (unsigned code = 0; code < 256; code++) {
        float v = ol_minifloat_to_float((uint8_t)code, t);
        if (isnan(v) || isinf(v))
            continue;
        cr_assert_eq(ol_minifloat_from_double(v, t, false), code, "%s code 0x%02x (%g)",
                     ol_dtype_name(t), code, v);
    }
}

Test(kernels_minifloat, every_float8_code_round_trips)
{
    assert_round_trips(OL_FLOAT8E4M3FN);
    assert_round_trips(OL_FLOAT8E4M3FNUZ);
    assert_round_trips(OL_FLOAT8E5M2);
    assert_round_trips(OL_FLOAT8E5M2FNUZ);
}

Test(kernels_minifloat, decoding_known_codes)
{
    cr_assert_float_eq(ol_minifloat_to_float(0x7e, OL_FLOAT8E4M3FN), 448, 0);
    cr_assert(isnan(ol_minifloat_to_float(0x7f, OL_FLOAT8E4M3FN)));
    cr_assert_float_eq(ol_minifloat_to_float(0x01, OL_FLOAT8E4M3FN), 0.001953125f, 0);
    cr_assert(isnan(ol_minifloat_to_float(0x80, OL_FLOAT8E4M3FNUZ)));
    cr_assert_float_eq(ol_minifloat_to_float(0xff, OL_FLOAT8E4M3FNUZ), -240, 0);
    cr_assert(ol_minifloat_to_float(0xfc, OL_FLOAT8E5M2) == -INFINITY);
    cr_assert(isnan(ol_minifloat_to_float(0x7d, OL_FLOAT8E5M2)));
    cr_assert_float_eq(ol_minifloat_to_float(0x7f, OL_FLOAT8E5M2FNUZ), 57344, 0);
    cr_assert_float_eq(ol_minifloat_to_float(0x0f, OL_FLOAT4E2M1), -6, 0);
    cr_assert_float_eq(ol_minifloat_to_float(0x00, OL_FLOAT8E8M0), ldexpf(1, -127), 0);
    cr_assert(isnan(ol_minifloat_to_float(0xff, OL_FLOAT8E8M0)));
}

Test(kernels_minifloat, e4m3fn_rounding_overflow_and_nan)
{
    cr_assert_eq(ol_minifloat_from_double(464, OL_FLOAT8E4M3FN, false), 0x7e);   /* tie to even */
    cr_assert_eq(ol_minifloat_from_double(465, OL_FLOAT8E4M3FN, false), 0x7f);   /* overflow: NaN */
    cr_assert_eq(ol_minifloat_from_double(465, OL_FLOAT8E4M3FN, true), 0x7e);
    cr_assert_eq(ol_minifloat_from_double(-1e6, OL_FLOAT8E4M3FN, true), 0xfe);
    cr_assert_eq(ol_minifloat_from_double(INFINITY, OL_FLOAT8E4M3FN, true), 0x7e);
    cr_assert_eq(ol_minifloat_from_double(-INFINITY, OL_FLOAT8E4M3FN, false), 0xff);
    cr_assert_eq(ol_minifloat_from_double(NAN, OL_FLOAT8E4M3FN, true), 0x7f);
    cr_assert_eq(ol_minifloat_from_double(-NAN, OL_FLOAT8E4M3FN, true), 0xff);
    cr_assert_eq(ol_minifloat_from_double(ldexp(1, -10), OL_FLOAT8E4M3FN, true), 0x00);
    cr_assert_eq(ol_minifloat_from_double(0.75 * ldexp(1, -9), OL_FLOAT8E4M3FN, true), 0x01);
    cr_assert_eq(ol_minifloat_from_double(-0.0, OL_FLOAT8E4M3FN, true), 0x80);
    /* 0.453125 and 0.484375 fall halfway between codes: to the even mantissa. */
    cr_assert_eq(ol_minifloat_from_double(0.453125, OL_FLOAT8E4M3FN, true), 0x2e);
    cr_assert_eq(ol_minifloat_from_double(0.484375, OL_FLOAT8E4M3FN, true), 0x30);
}

Test(kernels_minifloat, fnuz_formats_have_one_nan_and_no_negative_zero)
{
    cr_assert_eq(ol_minifloat_from_double(-0.0, OL_FLOAT8E4M3FNUZ, true), 0x00);
    cr_assert_eq(ol_minifloat_from_double(-1e-9, OL_FLOAT8E5M2FNUZ, true), 0x00);
    cr_assert_eq(ol_minifloat_from_double(-NAN, OL_FLOAT8E4M3FNUZ, true), 0x80);
    cr_assert_eq(ol_minifloat_from_double(1000, OL_FLOAT8E4M3FNUZ, false), 0x80);
    cr_assert_eq(ol_minifloat_from_double(1000, OL_FLOAT8E4M3FNUZ, true), 0x7f);
    cr_assert_eq(ol_minifloat_from_double(-1000, OL_FLOAT8E4M3FNUZ, true), 0xff);
    cr_assert_eq(ol_minifloat_from_double(INFINITY, OL_FLOAT8E5M2FNUZ, false), 0x80);
}

Test(kernels_minifloat, e5m2_overflows_to_infinity)
{
    cr_assert_eq(ol_minifloat_from_double(57344, OL_FLOAT8E5M2, false), 0x7b);
    cr_assert_eq(ol_minifloat_from_double(61440, OL_FLOAT8E5M2, false), 0x7c);   /* tie to even: 2^16 */
    cr_assert_eq(ol_minifloat_from_double(61440, OL_FLOAT8E5M2, true), 0x7b);
    cr_assert_eq(ol_minifloat_from_double(-INFINITY, OL_FLOAT8E5M2, false), 0xfc);
    cr_assert_eq(ol_minifloat_from_double(INFINITY, OL_FLOAT8E5M2, true), 0x7b);
    cr_assert_eq(ol_minifloat_from_double(NAN, OL_FLOAT8E5M2, false), 0x7e);
}

Test(kernels_minifloat, float4_rounds_to_even_and_saturates)
{
    cr_assert_eq(ol_minifloat_from_double(0.25, OL_FLOAT4E2M1, false), 0x0);
    cr_assert_eq(ol_minifloat_from_double(1.25, OL_FLOAT4E2M1, false), 0x2);
    cr_assert_eq(ol_minifloat_from_double(5, OL_FLOAT4E2M1, false), 0x6);
    cr_assert_eq(ol_minifloat_from_double(-3.5, OL_FLOAT4E2M1, false), 0xe);
    cr_assert_eq(ol_minifloat_from_double(1e9, OL_FLOAT4E2M1, false), 0x7);
    cr_assert_eq(ol_minifloat_from_double(-INFINITY, OL_FLOAT4E2M1, false), 0xf);
    /* No NaN: the reference (ml_dtypes) turns it into a zero of the opposite sign. */
    cr_assert_eq(ol_minifloat_from_double(NAN, OL_FLOAT4E2M1, false), 0x8);
}

Test(kernels_minifloat, e8m0_rounding_modes)
{
    cr_assert_eq(ol_float_to_e8m0(1.1f, true, OL_E8M0_ROUND_UP), 128);
    cr_assert_eq(ol_float_to_e8m0(1.1f, true, OL_E8M0_ROUND_DOWN), 127);
    cr_assert_eq(ol_float_to_e8m0(1.1f, true, OL_E8M0_ROUND_NEAREST), 127);
    cr_assert_eq(ol_float_to_e8m0(1.5f, true, OL_E8M0_ROUND_NEAREST), 128);
    cr_assert_eq(ol_float_to_e8m0(-4.0f, true, OL_E8M0_ROUND_UP), 129);
    cr_assert_eq(ol_float_to_e8m0(0.0f, true, OL_E8M0_ROUND_UP), 0);
    cr_assert_eq(ol_float_to_e8m0(NAN, true, OL_E8M0_ROUND_UP), 0xff);
    cr_assert_eq(ol_float_to_e8m0(3e38f, true, OL_E8M0_ROUND_UP), 0xfe);
    cr_assert_eq(ol_float_to_e8m0(3e38f, false, OL_E8M0_ROUND_UP), 0xff);
}

Test(kernels_cast, float8_through_the_kernel_saturates_as_asked)
{
    const float x[3] = {0.5f, 1e6f, -1e6f};
    uint8_t o[3];
    cast1(OL_FLOAT, x, OL_FLOAT8E4M3FN, o, 3, true);
    cr_assert_arr_eq(o, ((uint8_t[]){0x30, 0x7e, 0xfe}), sizeof o);
    cast1(OL_FLOAT, x, OL_FLOAT8E4M3FN, o, 3, false);
    cr_assert_arr_eq(o, ((uint8_t[]){0x30, 0x7f, 0xff}), sizeof o);
    uint16_t h[3];
    cast1(OL_FLOAT8E5M2, (const uint8_t[]){0x3c, 0x7c, 0x01}, OL_FLOAT16, h, 3, true);
    cr_assert_arr_eq(h, ((uint16_t[]){0x3c00, 0x7c00, 0x0100}), sizeof h);   /* E5M2 is half's top byte */
}

Test(kernels_cast, packed_int4_is_low_nibble_first_and_wraps)
{
    uint8_t packed[2] = {0xaa, 0xaa};
    cast1(OL_FLOAT, (const float[]){-8, 7, 8}, OL_INT4, packed, 3, true);
    cr_assert_arr_eq(packed, ((uint8_t[]){0x78, 0x08}), sizeof packed);   /* padding cleared */
    int32_t back[3];
    cast1(OL_INT4, (const uint8_t[]){0x78, 0x0f}, OL_INT32, back, 3, true);
    cr_assert_arr_eq(back, ((int32_t[]){-8, 7, -1}), sizeof back);
    uint8_t u4[1];
    cast1(OL_INT8, (const int8_t[]){-1, 17}, OL_UINT4, u4, 2, true);
    cr_assert_eq(u4[0], 0x1f);
}

Test(kernels_cast, packed_int2_and_float4)
{
    uint8_t u2[2];
    cast1(OL_INT32, (const int32_t[]){0, 1, 2, 3, 4, -1}, OL_UINT2, u2, 6, true);
    cr_assert_arr_eq(u2, ((uint8_t[]){0xe4, 0x0c}), sizeof u2);
    float f[4];
    cast1(OL_INT2, (const uint8_t[]){0xe4}, OL_FLOAT, f, 4, true);
    cr_assert_arr_eq(f, ((float[]){0, 1, -2, -1}), sizeof f);
    uint8_t f4[2];
    cast1(OL_FLOAT, (const float[]){0.5f, -6, 1e9f}, OL_FLOAT4E2M1, f4, 3, true);
    cr_assert_arr_eq(f4, ((uint8_t[]){0xf1, 0x07}), sizeof f4);
    int8_t i8[3];
    cast1(OL_FLOAT4E2M1, f4, OL_INT8, i8, 3, true);
    cr_assert_arr_eq(i8, ((int8_t[]){0, -6, 6}), sizeof i8);
}

Test(kernels_cast, same_type_copies_and_unsupported_types_refuse)
{
    int16_t x[3] = {1, -2, 3}, o[3];
    cast1(OL_INT16, x, OL_INT16, o, 3, true);
    cr_assert_arr_eq(o, x, sizeof o);
    cr_assert(!ol_cast_supported(OL_STRING, OL_FLOAT));
    cr_assert(!ol_cast_supported(OL_FLOAT, OL_COMPLEX64));
    cr_assert(ol_cast_supported(OL_FLOAT8E8M0, OL_UINT2));
    ol_ktensor xt = view(x, OL_INT16, 1, DIMS(3)), ot = view(o, OL_INT16, 1, DIMS(2));
    cr_assert(!ol_cast(&xt, &ot, NULL, 1), "shapes differ");
}

Test(kernels_cast, threaded_casts_match_single_thread)
{
    enum { N = 100003 };
    static float x[N];
    static uint8_t one[N / 2 + 1], many[N / 2 + 1];
    static int32_t i_one[N], i_many[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(i % 23) - 11.5f;
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(N));
    ol_ktensor a = view(one, OL_INT4, 1, DIMS(N)), b = view(many, OL_INT4, 1, DIMS(N));
    memset(many, 0x5a, sizeof many);
    cr_assert(ol_cast(&xt, &a, NULL, 1));
    cr_assert(ol_cast(&xt, &b, NULL, 5));
    cr_assert_arr_eq(one, many, sizeof one);
    ol_ktensor c = view(i_one, OL_INT32, 1, DIMS(N)), d = view(i_many, OL_INT32, 1, DIMS(N));
    cr_assert(ol_cast(&xt, &c, NULL, 1));
    cr_assert(ol_cast(&xt, &d, NULL, 3));
    cr_assert_arr_eq(i_one, i_many, sizeof i_one);
    cr_assert_eq(i_one[0], -11);
}
