/* Binary elementwise kernels (kernels/binary.h) and Where (kernels/where.h) on small hand-computed
 * cases: broadcasting, integer edge cases (wrapping, division by zero, INT_MIN / -1), the remainder
 * conventions, Pow's mixed types, NaN in Max/Min, and the variadic folds. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/binary.h"
#include "kernels/where.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

/* out = a op b on one-dimensional arrays of equal length n. */
static void run1(ol_binary_op op, ol_dtype t, void *a, void *b, void *out, int64_t n)
{
    ol_ktensor at = view(a, t, 1, DIMS(n)), bt = view(b, t, 1, DIMS(n));
    ol_ktensor ot = view(out, ol_binary_result_dtype(op, t), 1, DIMS(n));
    cr_assert(ol_binary(op, &at, &bt, &ot, 1), "op %d on %s", op, ol_dtype_name(t));
}

Test(kernels_binary, float_arithmetic_with_row_and_channel_broadcast)
{
    float x[2 * 3] = {1, 2, 3, 4, 5, 6}, row[3] = {10, 20, 30}, col[2] = {100, 200}, out[6];
    ol_ktensor xt = view(x, OL_FLOAT, 2, DIMS(2, 3)), rt = view(row, OL_FLOAT, 1, DIMS(3));
    ol_ktensor ct = view(col, OL_FLOAT, 2, DIMS(2, 1)), ot = view(out, OL_FLOAT, 2, DIMS(2, 3));
    cr_assert(ol_binary(OL_BINARY_ADD, &xt, &rt, &ot, 1));
    cr_assert_arr_eq(out, ((float[]){11, 22, 33, 14, 25, 36}), sizeof out);
    cr_assert(ol_binary(OL_BINARY_SUB, &ct, &xt, &ot, 1));
    cr_assert_arr_eq(out, ((float[]){99, 98, 97, 196, 195, 194}), sizeof out);
    cr_assert(ol_binary(OL_BINARY_DIV, &xt, &ct, &ot, 1));
    cr_assert_float_eq(out[5], 6.0f / 200, 1e-9);
}

Test(kernels_binary, outer_product_of_a_column_and_a_row)
{
    int32_t col[3] = {1, 2, 3}, row[4] = {1, 10, 100, 1000}, out[12];
    ol_ktensor ct = view(col, OL_INT32, 2, DIMS(3, 1)), rt = view(row, OL_INT32, 2, DIMS(1, 4));
    ol_ktensor ot = view(out, OL_INT32, 2, DIMS(3, 4));
    cr_assert(ol_binary(OL_BINARY_MUL, &ct, &rt, &ot, 1));
    cr_assert_arr_eq(out, ((int32_t[]){1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000}), sizeof out);
}

Test(kernels_binary, scalar_operands_on_either_side_and_in_place)
{
    float x[4] = {1, 2, 3, 4}, s = 2;
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(4)), st = view(&s, OL_FLOAT, 0, NULL);
    cr_assert(ol_binary(OL_BINARY_SUB, &st, &xt, &xt, 1));   /* in place: x = 2 - x */
    cr_assert_arr_eq(x, ((float[]){1, 0, -1, -2}), sizeof x);
    cr_assert(ol_binary(OL_BINARY_MUL, &xt, &st, &xt, 1));
    cr_assert_arr_eq(x, ((float[]){2, 0, -2, -4}), sizeof x);
}

Test(kernels_binary, integer_arithmetic_wraps)
{
    int8_t a[3] = {127, -128, 100}, b[3] = {1, -1, 3}, o[3];
    run1(OL_BINARY_ADD, OL_INT8, a, b, o, 3);
    cr_assert_arr_eq(o, ((int8_t[]){-128, 127, 103}), sizeof o);
    run1(OL_BINARY_MUL, OL_INT8, a, b, o, 3);
    cr_assert_arr_eq(o, ((int8_t[]){127, -128, 44}), sizeof o);   /* 300 wraps to 44 */
    uint16_t ua[2] = {65535, 0}, ub[2] = {65535, 1}, uo[2];
    run1(OL_BINARY_MUL, OL_UINT16, ua, ub, uo, 2);
    cr_assert_eq(uo[0], 1);
    run1(OL_BINARY_SUB, OL_UINT16, ua + 1, ub + 1, uo, 1);
    cr_assert_eq(uo[0], 65535);
    int64_t la[1] = {INT64_MAX}, lb[1] = {1}, lo[1];
    run1(OL_BINARY_ADD, OL_INT64, la, lb, lo, 1);
    cr_assert_eq(lo[0], INT64_MIN);
}

Test(kernels_binary, integer_division_truncates_and_never_traps)
{
    int32_t a[5] = {7, -7, 7, INT32_MIN, 5}, b[5] = {2, 2, 0, -1, -1}, o[5];
    run1(OL_BINARY_DIV, OL_INT32, a, b, o, 5);
    cr_assert_arr_eq(o, ((int32_t[]){3, -3, 0, INT32_MIN, -5}), sizeof o);
    uint8_t ua[2] = {200, 9}, ub[2] = {0, 255}, uo[2];
    run1(OL_BINARY_DIV, OL_UINT8, ua, ub, uo, 2);
    cr_assert_arr_eq(uo, ((uint8_t[]){0, 0}), sizeof uo);
}

Test(kernels_binary, mod_follows_the_divisor_and_fmod_the_dividend)
{
    int32_t a[6] = {-4, 7, 5, -5, INT32_MIN, 3}, b[6] = {3, -3, 0, -3, -1, 3}, o[6];
    run1(OL_BINARY_MOD, OL_INT32, a, b, o, 6);
    cr_assert_arr_eq(o, ((int32_t[]){2, -2, 0, -2, 0, 0}), sizeof o);
    run1(OL_BINARY_FMOD, OL_INT32, a, b, o, 6);
    cr_assert_arr_eq(o, ((int32_t[]){-1, 1, 0, -2, 0, 0}), sizeof o);
    float fa[3] = {-4.5f, 5.5f, 1}, fb[3] = {2, -2, 0}, fo[3];
    run1(OL_BINARY_FMOD, OL_FLOAT, fa, fb, fo, 3);
    cr_assert_float_eq(fo[0], -0.5f, 0);
    cr_assert_float_eq(fo[1], 1.5f, 0);
    cr_assert(isnan(fo[2]));
    run1(OL_BINARY_MOD, OL_FLOAT, fa, fb, fo, 2);
    cr_assert_float_eq(fo[0], 1.5f, 0);
    cr_assert_float_eq(fo[1], -0.5f, 0);
}

Test(kernels_binary, integer_pow_is_exact_and_negative_exponents_truncate)
{
    int64_t a[5] = {3, -2, 2, -1, 5}, b[5] = {13, 3, -1, -3, 0}, o[5];
    run1(OL_BINARY_POW, OL_INT64, a, b, o, 5);
    cr_assert_arr_eq(o, ((int64_t[]){1594323, -8, 0, -1, 1}), sizeof o);
    int64_t big[1] = {3}, e[1] = {39}, r[1];
    run1(OL_BINARY_POW, OL_INT64, big, e, r, 1);
    cr_assert_eq(r[0], 4052555153018976267LL);   /* 3^39 fits int64 exactly; double would not */
}

Test(kernels_binary, pow_with_an_exponent_of_another_type)
{
    float x[3] = {2, 9, -8};
    int64_t e[3] = {3, 0, 2};
    float o[3];
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(3)), et = view(e, OL_INT64, 1, DIMS(3));
    ol_ktensor ot = view(o, OL_FLOAT, 1, DIMS(3));
    cr_assert(ol_binary(OL_BINARY_POW, &xt, &et, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){8, 1, 64}), sizeof o);
    int32_t ix[2] = {4, 10}, io[2];
    float fe[2] = {0.5f, 1.5f};
    ol_ktensor ixt = view(ix, OL_INT32, 1, DIMS(2)), fet = view(fe, OL_FLOAT, 1, DIMS(2));
    ol_ktensor iot = view(io, OL_INT32, 1, DIMS(2));
    cr_assert(ol_binary(OL_BINARY_POW, &ixt, &fet, &iot, 1));
    cr_assert_arr_eq(io, ((int32_t[]){2, 31}), sizeof io);   /* 10^1.5 = 31.6 truncates */
}

Test(kernels_binary, pow_by_constant_two_and_half_match_pow)
{
    float x[5] = {3, -0.0f, -INFINITY, 2, -4}, two = 2, half = 0.5f, o[5];
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(5)), ot = view(o, OL_FLOAT, 1, DIMS(5));
    ol_ktensor tt = view(&two, OL_FLOAT, 1, DIMS(1)), ht = view(&half, OL_FLOAT, 0, NULL);
    cr_assert(ol_binary(OL_BINARY_POW, &xt, &tt, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){9, 0, INFINITY, 4, 16}), sizeof o);
    cr_assert(ol_binary(OL_BINARY_POW, &xt, &ht, &ot, 1));
    cr_assert_float_eq(o[0], sqrtf(3), 0);
    cr_assert(o[1] == 0 && !signbit(o[1]), "pow(-0, 0.5) is +0");
    cr_assert(o[2] == INFINITY, "pow(-inf, 0.5) is +inf");
    cr_assert(isnan(o[4]));
}

Test(kernels_binary, max_and_min_propagate_nan)
{
    float a[3] = {1, NAN, 3}, b[3] = {NAN, 2, 4}, o[3];
    run1(OL_BINARY_MAX, OL_FLOAT, a, b, o, 3);
    cr_assert(isnan(o[0]) && isnan(o[1]));
    cr_assert_float_eq(o[2], 4, 0);
    run1(OL_BINARY_MIN, OL_FLOAT, a, b, o, 3);
    cr_assert(isnan(o[0]) && isnan(o[1]));
    cr_assert_float_eq(o[2], 3, 0);
    uint64_t ua[2] = {UINT64_MAX, 1}, ub[2] = {0, 2}, uo[2];
    run1(OL_BINARY_MAX, OL_UINT64, ua, ub, uo, 2);
    cr_assert_arr_eq(uo, ((uint64_t[]){UINT64_MAX, 2}), sizeof uo);
}

Test(kernels_binary, shifts_by_the_width_or_more_give_zero)
{
    uint8_t a[4] = {0x81, 0x81, 0x81, 0xff}, b[4] = {1, 7, 8, 200}, o[4];
    run1(OL_BINARY_SHIFT_LEFT, OL_UINT8, a, b, o, 4);
    cr_assert_arr_eq(o, ((uint8_t[]){0x02, 0x80, 0, 0}), sizeof o);
    run1(OL_BINARY_SHIFT_RIGHT, OL_UINT8, a, b, o, 4);
    cr_assert_arr_eq(o, ((uint8_t[]){0x40, 0x01, 0, 0}), sizeof o);
    uint64_t la[1] = {1}, lb[1] = {63}, lo[1];
    run1(OL_BINARY_SHIFT_LEFT, OL_UINT64, la, lb, lo, 1);
    cr_assert_eq(lo[0], 1ull << 63);
}

Test(kernels_binary, bitwise_and_logic)
{
    int16_t a[2] = {0x0ff0, -1}, b[2] = {0x00ff, 0x1234}, o[2];
    run1(OL_BINARY_BIT_AND, OL_INT16, a, b, o, 2);
    cr_assert_arr_eq(o, ((int16_t[]){0x00f0, 0x1234}), sizeof o);
    run1(OL_BINARY_BIT_XOR, OL_INT16, a, b, o, 2);
    cr_assert_arr_eq(o, ((int16_t[]){0x0f0f, (int16_t)~0x1234}), sizeof o);
    uint8_t p[4] = {0, 0, 1, 1}, q[4] = {0, 1, 0, 1}, r[4];
    run1(OL_BINARY_AND, OL_BOOL, p, q, r, 4);
    cr_assert_arr_eq(r, ((uint8_t[]){0, 0, 0, 1}), sizeof r);
    run1(OL_BINARY_OR, OL_BOOL, p, q, r, 4);
    cr_assert_arr_eq(r, ((uint8_t[]){0, 1, 1, 1}), sizeof r);
    run1(OL_BINARY_XOR, OL_BOOL, p, q, r, 4);
    cr_assert_arr_eq(r, ((uint8_t[]){0, 1, 1, 0}), sizeof r);
}

Test(kernels_binary, comparisons_produce_bool)
{
    float a[4] = {1, 2, NAN, -0.0f}, b[4] = {2, 2, NAN, 0.0f};
    uint8_t o[4];
    run1(OL_BINARY_EQUAL, OL_FLOAT, a, b, o, 4);
    cr_assert_arr_eq(o, ((uint8_t[]){0, 1, 0, 1}), sizeof o);
    run1(OL_BINARY_LESS, OL_FLOAT, a, b, o, 4);
    cr_assert_arr_eq(o, ((uint8_t[]){1, 0, 0, 0}), sizeof o);
    run1(OL_BINARY_GREATER_EQUAL, OL_FLOAT, a, b, o, 4);
    cr_assert_arr_eq(o, ((uint8_t[]){0, 1, 0, 1}), sizeof o);
    uint32_t ua[2] = {4000000000u, 1}, ub[2] = {1, 4000000000u};
    run1(OL_BINARY_GREATER, OL_UINT32, ua, ub, o, 2);
    cr_assert_arr_eq(o, ((uint8_t[]){1, 0}), 2);
    uint8_t ba[2] = {1, 0}, bb[2] = {1, 1};
    run1(OL_BINARY_EQUAL, OL_BOOL, ba, bb, o, 2);
    cr_assert_arr_eq(o, ((uint8_t[]){1, 0}), 2);
}

Test(kernels_binary, prelu_scales_negatives_per_channel)
{
    float x[2 * 2] = {-1, 2, -3, -4}, slope[2] = {0.5f, 0.25f}, o[4];
    ol_ktensor xt = view(x, OL_FLOAT, 2, DIMS(2, 2)), st = view(slope, OL_FLOAT, 1, DIMS(2));
    ol_ktensor ot = view(o, OL_FLOAT, 2, DIMS(2, 2));
    cr_assert(ol_binary(OL_BINARY_PRELU, &xt, &st, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){-0.5f, 2, -1.5f, -1}), sizeof o);
}

Test(kernels_binary, support_follows_the_ops_dtypes)
{
    cr_assert(ol_binary_supported(OL_BINARY_ADD, OL_UINT64, OL_UINT64));
    cr_assert(!ol_binary_supported(OL_BINARY_ADD, OL_BOOL, OL_BOOL));
    cr_assert(!ol_binary_supported(OL_BINARY_ADD, OL_FLOAT, OL_INT32));
    cr_assert(!ol_binary_supported(OL_BINARY_ADD, OL_FLOAT16, OL_FLOAT16));
    cr_assert(ol_binary_supported(OL_BINARY_POW, OL_FLOAT, OL_INT64));
    cr_assert(!ol_binary_supported(OL_BINARY_SHIFT_LEFT, OL_INT32, OL_INT32));
    cr_assert(!ol_binary_supported(OL_BINARY_AND, OL_INT8, OL_INT8));
    cr_assert(!ol_binary_supported(OL_BINARY_BIT_OR, OL_FLOAT, OL_FLOAT));
    cr_assert_eq(ol_binary_result_dtype(OL_BINARY_LESS_EQUAL, OL_INT8), OL_BOOL);
    cr_assert_eq(ol_binary_result_dtype(OL_BINARY_MUL, OL_INT8), OL_INT8);
}

Test(kernels_binary, refuses_mismatched_output)
{
    float a[2] = {1, 2}, b[3] = {1, 2, 3}, o[3];
    ol_ktensor at = view(a, OL_FLOAT, 1, DIMS(2)), bt = view(b, OL_FLOAT, 1, DIMS(3));
    ol_ktensor ot = view(o, OL_FLOAT, 1, DIMS(3));
    cr_assert(!ol_binary(OL_BINARY_ADD, &at, &bt, &ot, 1));
    ol_ktensor wrong = view(o, OL_INT32, 1, DIMS(3));
    cr_assert(!ol_binary(OL_BINARY_ADD, &bt, &bt, &wrong, 1));
}

Test(kernels_binary, empty_inputs_give_empty_outputs)
{
    float a[1] = {0}, o[1] = {7};
    ol_ktensor at = view(a, OL_FLOAT, 2, DIMS(0, 4)), bt = view(a, OL_FLOAT, 1, DIMS(4));
    ol_ktensor ot = view(o, OL_FLOAT, 2, DIMS(0, 4));
    cr_assert(ol_binary(OL_BINARY_ADD, &at, &bt, &ot, 1));
    cr_assert_float_eq(o[0], 7, 0);
}

Test(kernels_binary, fold_broadcasts_every_input_to_the_output)
{
    float a[2] = {1, 5}, b[3] = {4, 2, 6}, c[1] = {3}, o[6];
    ol_ktensor at = view(a, OL_FLOAT, 2, DIMS(2, 1)), bt = view(b, OL_FLOAT, 1, DIMS(3));
    ol_ktensor ct = view(c, OL_FLOAT, 0, NULL), ot = view(o, OL_FLOAT, 2, DIMS(2, 3));
    const ol_ktensor *ins[3] = {&at, &bt, &ct};
    cr_assert(ol_binary_fold(OL_BINARY_MAX, 3, ins, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){4, 3, 6, 5, 5, 6}), sizeof o);
    cr_assert(ol_binary_fold(OL_BINARY_ADD, 3, ins, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){8, 6, 10, 12, 10, 14}), sizeof o);
    cr_assert(ol_mean(3, ins, &ot, 1));
    cr_assert_float_eq(o[0], 8.0f / 3, 1e-6);
    cr_assert_float_eq(o[5], 14.0f / 3, 1e-6);
}

Test(kernels_binary, fold_of_one_input_copies_it)
{
    int32_t a[2] = {-3, 9}, o[4];
    ol_ktensor at = view(a, OL_INT32, 1, DIMS(2)), ot = view(o, OL_INT32, 2, DIMS(2, 2));
    const ol_ktensor *ins[1] = {&at};
    cr_assert(ol_binary_fold(OL_BINARY_ADD, 1, ins, &ot, 1));
    cr_assert_arr_eq(o, ((int32_t[]){-3, 9, -3, 9}), sizeof o);
    cr_assert(!ol_mean(1, ins, &ot, 1), "Mean is float-only");
}

Test(kernels_where, selects_with_three_way_broadcast)
{
    uint8_t cond[3] = {1, 0, 1};
    int64_t x[2] = {10, 20}, y = -1, o[2 * 3];
    ol_ktensor ct = view(cond, OL_BOOL, 1, DIMS(3)), xt = view(x, OL_INT64, 2, DIMS(2, 1));
    ol_ktensor yt = view(&y, OL_INT64, 0, NULL), ot = view(o, OL_INT64, 2, DIMS(2, 3));
    cr_assert(ol_where(&ct, &xt, &yt, &ot, 1));
    cr_assert_arr_eq(o, ((int64_t[]){10, -1, 10, 20, -1, 20}), sizeof o);
}

Test(kernels_where, works_on_raw_elements_of_any_size)
{
    uint8_t cond[2] = {0, 1};
    uint16_t x[2] = {0x3c00, 0x4000}, y[2] = {0xbc00, 0xc000}, o[2];   /* float16 bits */
    ol_ktensor ct = view(cond, OL_BOOL, 1, DIMS(2)), xt = view(x, OL_FLOAT16, 1, DIMS(2));
    ol_ktensor yt = view(y, OL_FLOAT16, 1, DIMS(2)), ot = view(o, OL_FLOAT16, 1, DIMS(2));
    cr_assert(ol_where(&ct, &xt, &yt, &ot, 1));
    cr_assert_arr_eq(o, ((uint16_t[]){0xbc00, 0x4000}), sizeof o);
    cr_assert(ol_where_supported(OL_BOOL));
    cr_assert(!ol_where_supported(OL_STRING));
    cr_assert(!ol_where_supported(OL_INT4));
    ol_ktensor not_bool = view(x, OL_UINT16, 1, DIMS(2));
    cr_assert(!ol_where(&not_bool, &xt, &yt, &ot, 1));
}
