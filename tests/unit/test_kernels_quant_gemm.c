/* The 8-bit GEMM, requantization, byte im2col and integer convolution kernels: small hand-computed
 * cases, then every tile kernel this CPU runs against a plain triple loop on awkward sizes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/qconv.h"
#include "kernels/qgemm.h"
#include "kernels/requant.h"

static void *workspace_for(int64_t m, int64_t n, int64_t k, int threads)
{
    void *ws = malloc(ol_qgemm_workspace_bytes(m, n, k, threads));
    cr_assert_not_null(ws);
    return ws;
}

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

/* ---- qgemm ---- */

Test(kernels_qgemm, small_uint8_with_zero_points)
{
    /* A [2x3] - 1, B [3x2] - 2 (per tensor):
     * A - za = [[0 1 2] [3 4 5]], B - zb = [[-2 -1] [0 1] [2 3]] */
    const uint8_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {0, 1, 2, 3, 4, 5};
    const int32_t za = 1, zb = 2;
    int32_t c[4];
    ol_qgemm_operand A = {.data = a, .ld = 3, .zero_points = &za, .n_zero_points = 1};
    ol_qgemm_operand B = {.data = b, .ld = 2, .zero_points = &zb, .n_zero_points = 1};
    void *ws = workspace_for(2, 2, 3, 1);
    ol_qgemm(2, 2, 3, &A, &B, c, 2, 1, ws);
    const int32_t expected[4] = {4, 7, 4, 16};
    cr_assert_arr_eq(c, expected, sizeof expected);
    free(ws);
}

Test(kernels_qgemm, per_row_and_per_column_zero_points_signed)
{
    /* A int8 [2x2] with row zero points {1, -1}; B int8 [2x3] with column zero points {0, 1, -1} */
    const int8_t a[4] = {1, 2, -1, 0}, b[6] = {1, 1, -1, 2, 3, 0};
    const int32_t za[2] = {1, -1}, zb[3] = {0, 1, -1};
    int32_t c[6];
    ol_qgemm_operand A = {.data = a, .is_signed = true, .ld = 2, .zero_points = za, .n_zero_points = 2};
    ol_qgemm_operand B = {.data = b, .is_signed = true, .ld = 3, .zero_points = zb, .n_zero_points = 3};
    void *ws = workspace_for(2, 3, 2, 1);
    ol_qgemm(2, 3, 2, &A, &B, c, 3, 1, ws);
    /* A - za = [[0 1] [0 1]], B - zb = [[1 0 0] [2 2 1]] */
    const int32_t expected[6] = {2, 2, 1, 2, 2, 1};
    cr_assert_arr_eq(c, expected, sizeof expected);
    free(ws);
}

Test(kernels_qgemm, empty_depth_gives_zeros)
{
    int32_t c[4] = {9, 9, 9, 9};
    ol_qgemm_operand A = {.data = NULL, .ld = 0}, B = {.data = NULL, .ld = 2};
    void *ws = workspace_for(2, 2, 0, 1);
    ol_qgemm(2, 2, 0, &A, &B, c, 2, 1, ws);
    const int32_t zeros[4] = {0};
    cr_assert_arr_eq(c, zeros, sizeof zeros);
    ol_qgemm(0, 2, 5, &A, &B, c, 2, 1, ws);   /* no rows: nothing is touched */
    free(ws);
}

static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Plain triple loop with the zero points subtracted first. */
static void reference_gemm(int64_t m, int64_t n, int64_t k, const ol_qgemm_operand *a, const ol_qgemm_operand *b,
                           int32_t *c)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            int32_t za = a->zero_points ? a->zero_points[a->n_zero_points == 1 ? 0 : i] : 0;
            int32_t zb = b->zero_points ? b->zero_points[b->n_zero_points == 1 ? 0 : j] : 0;
            int32_t s = 0;
            for (int64_t p = 0; p < k; p++) {
                uint8_t av = ((const uint8_t *)a->data)[i * a->ld + p], bv = ((const uint8_t *)b->data)[p * b->ld + j];
                int32_t x = a->is_signed ? (int8_t)av : av, y = b->is_signed ? (int8_t)bv : bv;
                s += (x - za) * (y - zb);
            }
            c[i * n + j] = s;
        }
}

static void compare_with_reference(int64_t m, int64_t n, int64_t k, bool a_signed, bool b_signed, bool per_row,
                                   int threads, uint32_t seed)
{
    uint8_t *a = malloc((size_t)(m * k) + 1), *b = malloc((size_t)(k * n) + 1);
    int32_t *za = malloc((size_t)m * sizeof *za), *zb = malloc((size_t)n * sizeof *zb);
    int32_t *got = malloc((size_t)(m * n) * sizeof *got), *want = malloc((size_t)(m * n) * sizeof *want);
    for (int64_t i = 0; i < m * k; i++)
        a[i] = (uint8_t)next_random(&seed);
    for (int64_t i = 0; i < k * n; i++)
        b[i] = (uint8_t)next_random(&seed);
    for (int64_t i = 0; i < m; i++)
        za[i] = a_signed ? (int8_t)next_random(&seed) : (uint8_t)next_random(&seed);
    for (int64_t i = 0; i < n; i++)
        zb[i] = b_signed ? (int8_t)next_random(&seed) : (uint8_t)next_random(&seed);
    ol_qgemm_operand A = {.data = a, .is_signed = a_signed, .ld = k, .zero_points = za, .n_zero_points = per_row ? m : 1};
    ol_qgemm_operand B = {.data = b, .is_signed = b_signed, .ld = n, .zero_points = zb, .n_zero_points = per_row ? n : 1};
    void *ws = workspace_for(m, n, k, threads);
    ol_qgemm(m, n, k, &A, &B, got, n, threads, ws);
    reference_gemm(m, n, k, &A, &B, want);
    for (int64_t i = 0; i < m * n; i++)
        cr_assert_eq(got[i], want[i], "kernel %s m=%lld n=%lld k=%lld signs %d%d: element %lld is %d, expected %d",
                     ol_qgemm_kernel_name(), (long long)m, (long long)n, (long long)k, a_signed, b_signed,
                     (long long)i, got[i], want[i]);
    free(ws);
    free(a);
    free(b);
    free(za);
    free(zb);
    free(got);
    free(want);
}

Test(kernels_qgemm, every_kernel_matches_the_triple_loop)
{
    /* Sizes around the tile edges: rows not a multiple of 6, columns not of 16, odd depths and a
     * depth past one packed slice (256), plus enough work to use two threads. */
    const int64_t sizes[][3] = {{1, 1, 1}, {5, 17, 3}, {6, 16, 2}, {13, 33, 257}, {80, 300, 31}, {7, 5, 600}};
    const char *kernels[] = {"portable", "avx2", "avx512"};
    uint32_t seed = 12345;
    for (size_t kk = 0; kk < 3; kk++) {
        if (!ol_qgemm_force_kernel(kernels[kk]))
            continue;   /* this CPU lacks it */
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (int signs = 0; signs < 4; signs++)
                compare_with_reference(sizes[s][0], sizes[s][1], sizes[s][2], signs & 1, signs & 2, signs == 3 || s % 2,
                                       s == 4 ? 2 : 1, seed++);
    }
    ol_qgemm_force_kernel(NULL);
    cr_assert_not(ol_qgemm_force_kernel("no-such-kernel"));
}

/* ---- requantization ---- */

Test(kernels_qgemm, requantize_rounds_half_to_even_and_saturates)
{
    /* multiplier 0.5 * 1 / 1: 1 -> 0.5 -> 0, 3 -> 1.5 -> 2, 5 -> 2.5 -> 2, -21 -> -10.5 -> -10, then
     * + zero point 11 (rounding comes before the odd zero point, so 0.5 + 11 does not become 12) */
    const int32_t acc[6] = {1, 3, 5, -1000, 1000, -21};
    uint8_t out[6];
    float row = 0.5f, col = 1.0f;
    ol_requant_params p = {.row_scale = &row, .n_row_scale = 1, .col_scale = &col, .n_col_scale = 1,
                           .out_scale = 1.0f, .out_zero_point = 11, .scale_precision = OL_FLOAT, .threads = 1};
    ol_requantize(acc, 1, 6, 6, out, 6, &p);
    const uint8_t expected[6] = {11, 13, 13, 0, 255, 1};
    cr_assert_arr_eq(out, expected, sizeof expected);
}

Test(kernels_qgemm, requantize_per_row_bias_and_per_column_scales)
{
    const int32_t acc[4] = {10, 10, 10, 10};
    const int32_t bias[2] = {0, -20};
    int8_t out[4];
    float rows[2] = {1.0f, 1.0f}, cols[2] = {1.0f, 3.0f};
    ol_requant_params p = {.row_scale = rows, .n_row_scale = 2, .col_scale = cols, .n_col_scale = 2,
                           .out_scale = 2.0f, .out_zero_point = -1, .scale_precision = OL_FLOAT, .row_bias = bias,
                           .out_signed = true, .threads = 1};
    ol_requantize(acc, 2, 2, 2, out, 2, &p);
    /* row 0: 10 * 0.5 - 1 = 4, 10 * 1.5 - 1 = 14; row 1: -10 * 0.5 - 1 = -6, -10 * 1.5 - 1 = -16 */
    const int8_t expected[4] = {4, 14, -6, -16};
    cr_assert_arr_eq(out, expected, sizeof expected);
}

Test(kernels_qgemm, requant_multiplier_in_half_precision)
{
    /* 0.1 * 0.1 / 0.3 rounded after each step in float16 differs from float32 */
    float a = ol_half_to_float(ol_float_to_half(0.1f)), y = ol_half_to_float(ol_float_to_half(0.3f));
    double m16 = ol_requant_multiplier(a, a, y, OL_FLOAT16);
    cr_assert_float_eq(m16, ol_half_to_float(ol_float_to_half(ol_half_to_float(ol_float_to_half(a * a)) / y)), 0);
    cr_assert_float_eq(ol_requant_multiplier(0.5f, 0.25f, 0.125f, OL_FLOAT), 1.0, 0);
}

/* ---- im2col and convolution ---- */

Test(kernels_qgemm, im2col_pads_with_the_zero_point)
{
    /* one channel 2x2, kernel 2x2, pad 1 on every side: 3x3 outputs */
    const uint8_t x[4] = {1, 2, 3, 4};
    const int64_t in[2] = {2, 2}, out[2] = {3, 3};
    ol_window w = {.spatial = 2, .kernel = {2, 2}, .stride = {1, 1}, .dilation = {1, 1}, .pad_begin = {1, 1},
                   .pad_end = {1, 1}};
    uint8_t col[4 * 9];
    ol_im2col_u8(x, 1, in, &w, out, 7, col, 1);
    /* row (kh=0, kw=0) reads x[oh-1][ow-1]; row (kh=1, kw=1) reads x[oh][ow] */
    const uint8_t first[9] = {7, 7, 7, 7, 1, 2, 7, 3, 4}, last[9] = {1, 2, 7, 3, 4, 7, 7, 7, 7};
    cr_assert_arr_eq(col, first, 9);
    cr_assert_arr_eq(col + 27, last, 9);
}

Test(kernels_qgemm, im2col_one_and_three_dimensional)
{
    const uint8_t x[5] = {1, 2, 3, 4, 5};
    const int64_t in1[1] = {5}, out1[1] = {2};
    ol_window w1 = {.spatial = 1, .kernel = {2}, .stride = {2}, .dilation = {2}, .pad_begin = {0}, .pad_end = {0}};
    uint8_t col1[4];
    ol_im2col_u8(x, 1, in1, &w1, out1, 0, col1, 1);
    const uint8_t expected1[4] = {1, 3, 3, 5};   /* taps (0, 2) at 0 and 2 */
    cr_assert_arr_eq(col1, expected1, 4);

    const uint8_t cube[8] = {1, 2, 3, 4, 5, 6, 7, 8};   /* [2, 2, 2] */
    const int64_t in3[3] = {2, 2, 2}, out3[3] = {1, 1, 1};
    ol_window w3 = {.spatial = 3, .kernel = {2, 2, 2}, .stride = {1, 1, 1}, .dilation = {1, 1, 1}};
    uint8_t col3[8];
    ol_im2col_u8(cube, 1, in3, &w3, out3, 0, col3, 1);
    cr_assert_arr_eq(col3, cube, 8);
}

Test(kernels_qgemm, conv_integer_subtracts_zero_points)
{
    /* x 3x3 = 1..9 with zero point 1, w 2x2 of ones: sums of the 2x2 windows of 0..8 */
    uint8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1};
    int32_t y[4];
    const int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 2, 2}, yd[4] = {1, 1, 2, 2};
    ol_ktensor xt = view(x, OL_UINT8, 4, xd), wt = view(w, OL_UINT8, 4, wd), yt = view(y, OL_INT32, 4, yd);
    ol_qconv_params p = {.win = {.spatial = 2, .kernel = {2, 2}, .stride = {1, 1}, .dilation = {1, 1}},
                         .group = 1, .x_zero_point = 1, .threads = 1};
    void *scratch = malloc(ol_qconv_scratch_bytes(&p, &xt, &wt, &yt, false));
    ol_conv_integer(&p, &xt, &wt, &yt, scratch);
    const int32_t expected[4] = {8, 12, 20, 24};
    cr_assert_arr_eq(y, expected, sizeof expected);
    free(scratch);
}

Test(kernels_qgemm, qlinear_conv_grouped_per_channel)
{
    /* two channels in two groups, 1x1 kernels (the pointwise path): channel c is x * (w[c] - zw[c]),
     * scaled by x_scale * w_scale[c] / y_scale, plus bias and y's zero point */
    int8_t x[4] = {10, 20, -10, -20}, w[2] = {3, -2};
    int8_t y[4];
    const int64_t xd[4] = {1, 2, 1, 2}, wd[4] = {2, 1, 1, 1};
    int32_t zw[2] = {1, 0}, bias[2] = {5, 0};
    float w_scale[2] = {0.5f, 1.0f}, x_scale = 1.0f;
    ol_ktensor xt = view(x, OL_INT8, 4, xd), wt = view(w, OL_INT8, 4, wd), yt = view(y, OL_INT8, 4, xd);
    ol_qconv_params p = {.win = {.spatial = 2, .kernel = {1, 1}, .stride = {1, 1}, .dilation = {1, 1}},
                         .group = 2, .w_zero_points = zw, .n_w_zero_points = 2, .threads = 1};
    ol_requant_params rq = {.row_scale = w_scale, .n_row_scale = 2, .col_scale = &x_scale, .n_col_scale = 1,
                            .out_scale = 2.0f, .out_zero_point = 3, .scale_precision = OL_FLOAT, .row_bias = bias,
                            .out_signed = true, .threads = 1};
    void *scratch = malloc(ol_qconv_scratch_bytes(&p, &xt, &wt, &yt, true));
    ol_qlinear_conv(&p, &xt, &wt, &rq, &yt, scratch);
    /* channel 0: (x*2 + 5) * 0.25 + 3: 25 -> 6.25 -> 9, 45 -> 11.25 -> 14;
     * channel 1: x*-2 * 0.5 + 3: 20 -> 13, 40 -> 23 */
    const int8_t expected[4] = {9, 14, 13, 23};
    cr_assert_arr_eq(y, expected, sizeof expected);
    free(scratch);
}

Test(kernels_qgemm, depthwise_conv_integer_skips_padding)
{
    /* two 2x2 channels, 3x3 kernels with pad 1: every output's window covers the whole input.
     * channel 0: ones, so each output is the sum of x - 1 = 0 + 1 + 2 + 3;
     * channel 1: ones with zero point 1 except a centre of 3, so each output is 2 * (x - 1) */
    uint8_t x[8] = {1, 2, 3, 4, 10, 20, 30, 40}, w[18];
    memset(w, 1, sizeof w);
    w[9 + 4] = 3;
    int32_t zw[2] = {0, 1}, y[8];
    const int64_t xd[4] = {1, 2, 2, 2}, wd[4] = {2, 1, 3, 3};
    ol_ktensor xt = view(x, OL_UINT8, 4, xd), wt = view(w, OL_UINT8, 4, wd), yt = view(y, OL_INT32, 4, xd);
    ol_qconv_params p = {.win = {.spatial = 2, .kernel = {3, 3}, .stride = {1, 1}, .dilation = {1, 1},
                                 .pad_begin = {1, 1}, .pad_end = {1, 1}},
                         .group = 2, .x_zero_point = 1, .w_zero_points = zw, .n_w_zero_points = 2, .threads = 1};
    cr_assert(ol_qconv_is_depthwise(&p, &xt, &wt));
    void *scratch = malloc(ol_qconv_scratch_bytes(&p, &xt, &wt, &yt, false));
    ol_conv_integer(&p, &xt, &wt, &yt, scratch);
    const int32_t expected[8] = {6, 6, 6, 6, 18, 38, 58, 78};
    cr_assert_arr_eq(y, expected, sizeof expected);
    free(scratch);
}
