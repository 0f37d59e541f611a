/* Quantized element codecs and the QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear
 * kernels on small hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "kernels/qtypes.h"
#include "kernels/quantize.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

static ol_ktensor vec(void *data, ol_dtype dtype, int64_t n)
{
    return view(data, dtype, 1, &n);
}

static ol_quantize_params per_tensor(int64_t n)
{
    return (ol_quantize_params){.layout = ol_quant_axis_per_tensor(n), .precision = OL_FLOAT, .saturate = true,
                                .threads = 1};
}

/* ---- codecs ---- */

Test(kernels_quant, int4_packs_low_nibble_first)
{
    uint8_t packed[2] = {0xff, 0xff};
    ol_qtype_set_int(packed, OL_INT4, 0, -8);
    ol_qtype_set_int(packed, OL_INT4, 1, 7);
    ol_qtype_set_int(packed, OL_INT4, 2, -1);
    cr_assert_eq(packed[0], 0x78);
    cr_assert_eq(packed[1], 0xff);   /* the neighbour nibble is untouched */
    cr_assert_eq(ol_qtype_get_int(packed, OL_INT4, 0), -8);
    cr_assert_eq(ol_qtype_get_int(packed, OL_INT4, 1), 7);
    cr_assert_eq(ol_qtype_get_int(packed, OL_INT4, 2), -1);
    cr_assert_eq(ol_qtype_get_int(packed, OL_UINT4, 2), 15);
}

Test(kernels_quant, int2_packs_four_per_byte)
{
    uint8_t packed = 0;
    ol_qtype_set_int(&packed, OL_INT2, 0, 1);
    ol_qtype_set_int(&packed, OL_INT2, 1, -2);
    ol_qtype_set_int(&packed, OL_INT2, 2, -1);
    ol_qtype_set_int(&packed, OL_INT2, 3, 0);
    cr_assert_eq(packed, 0x01 | 0x2 << 2 | 0x3 << 4);
    cr_assert_eq(ol_qtype_get_int(&packed, OL_INT2, 1), -2);
    cr_assert_eq(ol_qtype_get_int(&packed, OL_UINT2, 1), 2);
    int32_t lo, hi;
    cr_assert(ol_qtype_int_range(OL_INT2, &lo, &hi));
    cr_assert_eq(lo, -2);
    cr_assert_eq(hi, 1);
    cr_assert_not(ol_qtype_int_range(OL_FLOAT, &lo, &hi));
}

Test(kernels_quant, float8_e4m3fn_rounding_and_saturation)
{
    cr_assert_eq(ol_minifloat_encode(1.0f, OL_FLOAT8E4M3FN, true), 0x38);
    cr_assert_eq(ol_minifloat_encode(-2.0f, OL_FLOAT8E4M3FN, true), 0xc0);
    cr_assert_eq(ol_minifloat_encode(448.0f, OL_FLOAT8E4M3FN, true), 0x7e);
    /* 464 is halfway between 448 (even code 0x7e) and the missing 480: it stays finite */
    cr_assert_eq(ol_minifloat_encode(464.0f, OL_FLOAT8E4M3FN, false), 0x7e);
    cr_assert_eq(ol_minifloat_encode(465.0f, OL_FLOAT8E4M3FN, false), 0x7f);
    cr_assert_eq(ol_minifloat_encode(465.0f, OL_FLOAT8E4M3FN, true), 0x7e);
    cr_assert_eq(ol_minifloat_encode(-INFINITY, OL_FLOAT8E4M3FN, true), 0xfe);
    cr_assert_eq(ol_minifloat_encode(-INFINITY, OL_FLOAT8E4M3FN, false), 0xff);
    /* subnormals: the smallest is 2^-9; half of it ties to even (zero), 1.5 of it to 2^-8 */
    cr_assert_eq(ol_minifloat_encode(ldexpf(1, -9), OL_FLOAT8E4M3FN, true), 0x01);
    cr_assert_eq(ol_minifloat_encode(ldexpf(1, -10), OL_FLOAT8E4M3FN, true), 0x00);
    cr_assert_eq(ol_minifloat_encode(3 * ldexpf(1, -10), OL_FLOAT8E4M3FN, true), 0x02);
    cr_assert_eq(ol_minifloat_encode(-0.0f, OL_FLOAT8E4M3FN, true), 0x80);
    cr_assert(isnan(ol_minifloat_decode(0x7f, OL_FLOAT8E4M3FN)));
    cr_assert_float_eq(ol_minifloat_decode(0x01, OL_FLOAT8E4M3FN), ldexpf(1, -9), 0);
}

Test(kernels_quant, float8_specials_of_other_formats)
{
    cr_assert_eq(ol_minifloat_encode(INFINITY, OL_FLOAT8E5M2, false), 0x7c);
    cr_assert_eq(ol_minifloat_encode(1e9f, OL_FLOAT8E5M2, false), 0x7c);
    cr_assert_eq(ol_minifloat_encode(1e9f, OL_FLOAT8E5M2, true), 0x7b);
    cr_assert_eq(ol_minifloat_encode(50000.0f, OL_FLOAT8E5M2, true), 0x7a);   /* 49152 is nearer than 57344 */
    cr_assert(isinf(ol_minifloat_decode(0xfc, OL_FLOAT8E5M2)));
    /* FNUZ: no negative zero, 0x80 is the NaN, the largest E4M3FNUZ is 240 */
    cr_assert_eq(ol_minifloat_encode(-0.0f, OL_FLOAT8E4M3FNUZ, true), 0x00);
    cr_assert_eq(ol_minifloat_encode(NAN, OL_FLOAT8E4M3FNUZ, true), 0x80);
    cr_assert_eq(ol_minifloat_encode(248.0f, OL_FLOAT8E4M3FNUZ, false), 0x80);
    cr_assert_eq(ol_minifloat_encode(247.0f, OL_FLOAT8E4M3FNUZ, false), 0x7f);
    cr_assert_float_eq(ol_minifloat_decode(0x7f, OL_FLOAT8E4M3FNUZ), 240.0f, 0);
    cr_assert(isnan(ol_minifloat_decode(0x80, OL_FLOAT8E5M2FNUZ)));
    cr_assert_float_eq(ol_float8e8m0_decode(127), 1.0f, 0);
    cr_assert_float_eq(ol_float8e8m0_decode(130), 8.0f, 0);
    cr_assert(isnan(ol_float8e8m0_decode(0xff)));
}

Test(kernels_quant, minifloat_codes_round_trip)
{
    const ol_dtype types[] = {OL_FLOAT8E4M3FN, OL_FLOAT8E4M3FNUZ, OL_FLOAT8E5M2, OL_FLOAT8E5M2FNUZ};
    for (size_t t = 0; t < 4; t++)
        for (unsigned code = 0; code < 256; code++) {
            float v = ol_minifloat_decode((uint8_t)code, types[t]);
            if (isnan(v))
                continue;
            cr_assert_eq(ol_minifloat_encode(v, types[t], false), code, "%s code %u", ol_dtype_name(types[t]),
                         code);
        }
    for (unsigned code = 0; code < 16; code++)
        cr_assert_eq(ol_minifloat_encode(ol_minifloat_decode((uint8_t)code, OL_FLOAT4E2M1), OL_FLOAT4E2M1, true),
                     code);
}

Test(kernels_quant, float4_ties_and_saturation)
{
    cr_assert_eq(ol_minifloat_encode(0.25f, OL_FLOAT4E2M1, true), 0x0);   /* 0 and 0.5: even is 0 */
    cr_assert_eq(ol_minifloat_encode(0.75f, OL_FLOAT4E2M1, true), 0x2);   /* 0.5 and 1: even is 1 */
    cr_assert_eq(ol_minifloat_encode(5.0f, OL_FLOAT4E2M1, true), 0x6);    /* 4 and 6: even is 4 */
    cr_assert_eq(ol_minifloat_encode(100.0f, OL_FLOAT4E2M1, false), 0x7); /* no Inf: always saturates */
    cr_assert_eq(ol_minifloat_encode(-0.25f, OL_FLOAT4E2M1, true), 0x8);
    cr_assert_float_eq(ol_minifloat_decode(0xf, OL_FLOAT4E2M1), -6.0f, 0);
}

/* ---- quantize ---- */

Test(kernels_quant, quantize_rounds_half_to_even_and_saturates)
{
    float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.0f, -300.0f, NAN};
    int8_t y[8];
    float scale = 1.0f;
    ol_ktensor xt = vec(x, OL_FLOAT, 8), st = view(&scale, OL_FLOAT, 0, NULL), yt = vec(y, OL_INT8, 8);
    ol_quantize_params p = per_tensor(8);
    cr_assert(ol_quantize_linear(&xt, &st, NULL, &yt, &p));
    const int8_t expected[8] = {0, 2, 2, 0, -2, 127, -128, -128};
    cr_assert_arr_eq(y, expected, sizeof expected);
}

Test(kernels_quant, quantize_uint8_with_zero_point)
{
    float x[4] = {-1.0f, 0.0f, 2.0f, 1000.0f}, scale = 0.5f;
    uint8_t zp = 10, y[4];
    ol_ktensor xt = vec(x, OL_FLOAT, 4), st = view(&scale, OL_FLOAT, 0, NULL), zt = view(&zp, OL_UINT8, 0, NULL);
    ol_ktensor yt = vec(y, OL_UINT8, 4);
    ol_quantize_params p = per_tensor(4);
    cr_assert(ol_quantize_linear(&xt, &st, &zt, &yt, &p));
    const uint8_t expected[4] = {8, 10, 14, 255};
    cr_assert_arr_eq(y, expected, sizeof expected);
}

Test(kernels_quant, quantize_per_axis_uses_the_middle_axis)
{
    /* x [2, 2, 2], axis 1: scales 1 and 10 alternate per pair */
    float x[8] = {10, 20, 30, 40, 50, 60, 70, 80}, scales[2] = {1, 10};
    uint8_t zps[2] = {0, 100}, y[8];
    const int64_t dims[3] = {2, 2, 2};
    ol_ktensor xt = view(x, OL_FLOAT, 3, dims), st = vec(scales, OL_FLOAT, 2), zt = vec(zps, OL_UINT8, 2);
    ol_ktensor yt = view(y, OL_UINT8, 3, dims);
    ol_quantize_params p = per_tensor(8);
    p.layout = ol_quant_axis_per_channel(dims, 3, 1);
    cr_assert(ol_quantize_linear(&xt, &st, &zt, &yt, &p));
    const uint8_t expected[8] = {10, 20, 103, 104, 50, 60, 107, 108};
    cr_assert_arr_eq(y, expected, sizeof expected);
}

Test(kernels_quant, quantize_blocked_with_a_short_last_block)
{
    /* x [1, 5] blocked along axis 1 by 2: scales [1, 3] for blocks {0,1}, {2,3}, {4} */
    float x[5] = {4, 4, 4, 4, 4}, scales[3] = {1, 2, 4};
    int16_t y[5];
    const int64_t dims[2] = {1, 5}, sdims[2] = {1, 3};
    ol_ktensor xt = view(x, OL_FLOAT, 2, dims), st = view(scales, OL_FLOAT, 2, sdims), yt = view(y, OL_INT16, 2, dims);
    ol_quantize_params p = per_tensor(5);
    p.layout = ol_quant_axis_blocked(dims, 2, 1, 2);
    cr_assert(ol_quantize_linear(&xt, &st, NULL, &yt, &p));
    const int16_t expected[5] = {4, 4, 2, 2, 1};
    cr_assert_arr_eq(y, expected, sizeof expected);
}

Test(kernels_quant, quantize_precision_rounds_the_quotient_first)
{
    /* 2.5009 is 2.5 in float16, which then ties to 2; in float32 it rounds to 3 */
    float x = 2.5009f, scale = 1.0f;
    int8_t y;
    ol_ktensor xt = view(&x, OL_FLOAT, 0, NULL), st = view(&scale, OL_FLOAT, 0, NULL), yt = view(&y, OL_INT8, 0, NULL);
    ol_quantize_params p = per_tensor(1);
    cr_assert(ol_quantize_linear(&xt, &st, NULL, &yt, &p));
    cr_assert_eq(y, 3);
    p.precision = OL_FLOAT16;
    cr_assert(ol_quantize_linear(&xt, &st, NULL, &yt, &p));
    cr_assert_eq(y, 2);
}

Test(kernels_quant, quantize_to_int4_and_float8)
{
    float x[3] = {-20, 3, 13}, scale = 2.0f;
    uint8_t zp4 = 0x01, y4[2] = {0};   /* int4 zero point 1 */
    ol_ktensor xt = vec(x, OL_FLOAT, 3), st = view(&scale, OL_FLOAT, 0, NULL);
    ol_ktensor zt = view(&zp4, OL_INT4, 0, NULL), yt = vec(y4, OL_INT4, 3);
    ol_quantize_params p = per_tensor(3);
    cr_assert(ol_quantize_linear(&xt, &st, &zt, &yt, &p));
    /* -10+1 -> -8 (saturated), 1.5 -> 2, +1 = 3, 6.5 -> 6, +1 = 7 */
    cr_assert_eq(ol_qtype_get_int(y4, OL_INT4, 0), -8);
    cr_assert_eq(ol_qtype_get_int(y4, OL_INT4, 1), 3);
    cr_assert_eq(ol_qtype_get_int(y4, OL_INT4, 2), 7);
    uint8_t y8[3];
    ol_ktensor y8t = vec(y8, OL_FLOAT8E4M3FN, 3);
    cr_assert(ol_quantize_linear(&xt, &st, NULL, &y8t, &p));
    cr_assert_eq(y8[0], 0xd2);   /* -10 = -1.25 * 2^3 */
    cr_assert_eq(y8[1], 0x3c);   /* 1.5 */
    cr_assert_eq(y8[2], 0x4d);   /* 6.5 = 1.625 * 2^2 */
}

Test(kernels_quant, quantize_refuses_unsupported_types)
{
    float x = 1, scale = 1;
    double y;
    ol_ktensor xt = view(&x, OL_FLOAT, 0, NULL), st = view(&scale, OL_FLOAT, 0, NULL), yt = view(&y, OL_DOUBLE, 0, NULL);
    ol_quantize_params p = per_tensor(1);
    cr_assert_not(ol_quantize_linear(&xt, &st, NULL, &yt, &p));
    cr_assert_not(ol_quantize_output_supported(OL_INT32));
    cr_assert_not(ol_quantize_output_supported(OL_FLOAT6E2M3));
}

Test(kernels_quant, quantize_empty_tensor)
{
    const int64_t dims[2] = {0, 3};
    float scales[3] = {1, 1, 1};
    ol_ktensor xt = view(NULL, OL_FLOAT, 2, dims), st = vec(scales, OL_FLOAT, 3), yt = view(NULL, OL_UINT8, 2, dims);
    ol_quantize_params p = per_tensor(0);
    p.layout = ol_quant_axis_per_channel(dims, 2, 1);
    cr_assert(ol_quantize_linear(&xt, &st, NULL, &yt, &p));
}

/* ---- dequantize ---- */

Test(kernels_quant, dequantize_per_axis_float32)
{
    int8_t x[4] = {-128, 0, 5, 127};
    float scales[2] = {0.5f, 2.0f}, y[4];
    int8_t zps[2] = {-128, 1};
    const int64_t dims[2] = {2, 2};
    ol_ktensor xt = view(x, OL_INT8, 2, dims), st = vec(scales, OL_FLOAT, 2), zt = vec(zps, OL_INT8, 2);
    ol_ktensor yt = view(y, OL_FLOAT, 2, dims);
    ol_quant_axis layout = ol_quant_axis_per_channel(dims, 2, 0);
    cr_assert(ol_dequantize_linear(&xt, &st, &zt, &yt, &layout, 1));
    cr_assert_float_eq(y[0], 0.0f, 0);
    cr_assert_float_eq(y[1], 64.0f, 0);
    cr_assert_float_eq(y[2], 8.0f, 0);
    cr_assert_float_eq(y[3], 252.0f, 0);
}

Test(kernels_quant, dequantize_uint4_to_float16)
{
    uint8_t x[2] = {0xf0, 0x03};   /* uint4 values 0, 15, 3 */
    uint8_t zp = 0x02;
    float scale = 0.25f;
    uint16_t y[3];
    ol_ktensor xt = vec(x, OL_UINT4, 3), st = view(&scale, OL_FLOAT, 0, NULL), zt = view(&zp, OL_UINT4, 0, NULL);
    ol_ktensor yt = vec(y, OL_FLOAT16, 3);
    ol_quant_axis layout = ol_quant_axis_per_tensor(3);
    cr_assert(ol_dequantize_linear(&xt, &st, &zt, &yt, &layout, 1));
    cr_assert_float_eq(ol_half_to_float(y[0]), -0.5f, 0);
    cr_assert_float_eq(ol_half_to_float(y[1]), 3.25f, 0);
    cr_assert_float_eq(ol_half_to_float(y[2]), 0.25f, 0);
}

Test(kernels_quant, dequantize_int32_and_e8m0_scale)
{
    int32_t x[2] = {2000000001, -7};
    uint8_t scale = 126;   /* 2^-1 */
    float y[2];
    int32_t zp = 1;
    ol_ktensor xt = vec(x, OL_INT32, 2), st = view(&scale, OL_FLOAT8E8M0, 0, NULL), zt = view(&zp, OL_INT32, 0, NULL);
    ol_ktensor yt = vec(y, OL_FLOAT, 2);
    ol_quant_axis layout = ol_quant_axis_per_tensor(2);
    cr_assert(ol_dequantize_linear(&xt, &st, &zt, &yt, &layout, 1));
    cr_assert_float_eq(y[0], 1e9f, 0);
    cr_assert_float_eq(y[1], -4.0f, 0);
}

/* ---- dynamic ---- */

Test(kernels_quant, dynamic_quantize_mixed_signs)
{
    /* min -3, max 2: scale 5/255, zero point round(3 / scale) = 153 */
    float x[6] = {0, 2, -3, -2.5f, 1.34f, 0.5f}, scale;
    uint8_t y[6], zp;
    ol_dynamic_quantize_u8(x, 6, y, &scale, &zp, 1);
    cr_assert_float_eq(scale, 5.0f / 255.0f, 1e-9);
    cr_assert_eq(zp, 153);
    const uint8_t expected[6] = {153, 255, 0, 26, 221, 179};
    cr_assert_arr_eq(y, expected, sizeof expected);
}

Test(kernels_quant, dynamic_quantize_range_includes_zero)
{
    float x[3] = {1, 2, 2.55f}, scale;
    uint8_t y[3], zp;
    ol_dynamic_quantize_u8(x, 3, y, &scale, &zp, 1);
    cr_assert_float_eq(scale, 0.01f, 1e-8);
    cr_assert_eq(zp, 0);
    cr_assert_eq(y[0], 100);
    cr_assert_eq(y[2], 255);
    /* nothing (or all zeros): scale 1/255 */
    ol_dynamic_quantize_u8(x, 0, y, &scale, &zp, 1);
    cr_assert_float_eq(scale, 1.0f / 255.0f, 1e-12);
    cr_assert_eq(zp, 0);
}
