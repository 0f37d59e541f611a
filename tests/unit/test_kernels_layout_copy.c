/* Copy kernels of the layout family (transpose, concat/split, slice, pad, tile, expand, the axis
 * gather under them) on small hand-computed cases, across element sizes. */
#include <criterion/criterion.h>
#include <string.h>

#include "kernels/axis_gather.h"
#include "kernels/concat.h"
#include "kernels/slice.h"
#include "kernels/transpose.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

Test(kernels_layout_copy, elem_size_refuses_strings_and_nibbles)
{
    cr_assert_eq(ol_elem_size(OL_FLOAT), 4);
    cr_assert_eq(ol_elem_size(OL_BOOL), 1);
    cr_assert_eq(ol_elem_size(OL_FLOAT16), 2);
    cr_assert_eq(ol_elem_size(OL_COMPLEX128), 16);
    cr_assert_eq(ol_elem_size(OL_STRING), 0);
    cr_assert_eq(ol_elem_size(OL_INT4), 0);
}

Test(kernels_layout_copy, fill_elems_repeats_an_element)
{
    uint16_t out[7];
    const uint16_t v = 0xbeef;
    ol_fill_elems(out, 7, &v, sizeof v);
    for (int i = 0; i < 7; i++)
        cr_assert_eq(out[i], 0xbeef);
}

Test(kernels_layout_copy, axis_gather_runs_fill_and_reverse)
{
    /* x 2x4; rows {1, -1}, columns {3, 2, 1, 0, 0, -1, 1, 2} */
    int32_t x[8] = {0, 1, 2, 3, 10, 11, 12, 13}, y[16];
    const int64_t rows[2] = {1, -1}, cols[8] = {3, 2, 1, 0, 0, -1, 1, 2};
    const int64_t *maps[2] = {rows, cols};
    const int32_t fill = -7;
    ol_ktensor xt = view(x, OL_INT32, 2, DIMS(2, 4)), yt = view(y, OL_INT32, 2, DIMS(2, 8));
    cr_assert_eq(ol_axis_gather(&xt, &yt, maps, &fill), OL_OK);
    const int32_t want[16] = {13, 12, 11, 10, 10, -7, 11, 12, -7, -7, -7, -7, -7, -7, -7, -7};
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_copy, transpose_2d_blocked_matches_naive)
{
    enum { R = 45, C = 70 };
    static uint16_t x[R * C], y[R * C];
    for (int i = 0; i < R * C; i++)
        x[i] = (uint16_t)i;
    ol_ktensor xt = view(x, OL_UINT16, 2, DIMS(R, C)), yt = view(y, OL_UINT16, 2, DIMS(C, R));
    ol_transpose(&xt, &yt, (const int[]){1, 0});
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            cr_assert_eq(y[c * R + r], x[r * C + c]);
}

Test(kernels_layout_copy, transpose_nchw_to_nhwc_and_back)
{
    /* N=2, C=3, H=2, W=2 */
    float x[24], nhwc[24], back[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)i;
    ol_ktensor xt = view(x, OL_FLOAT, 4, DIMS(2, 3, 2, 2)), yt = view(nhwc, OL_FLOAT, 4, DIMS(2, 2, 2, 3));
    ol_transpose(&xt, &yt, (const int[]){0, 2, 3, 1});
    /* nhwc[n][h][w][c] = x[n][c][h][w] */
    cr_assert_float_eq(nhwc[0 * 12 + 1 * 6 + 0 * 3 + 2], x[0 * 12 + 2 * 4 + 1 * 2 + 0], 0);
    cr_assert_float_eq(nhwc[1 * 12 + 0 * 6 + 1 * 3 + 1], x[1 * 12 + 1 * 4 + 0 * 2 + 1], 0);
    ol_ktensor bt = view(back, OL_FLOAT, 4, DIMS(2, 3, 2, 2));
    ol_transpose(&yt, &bt, (const int[]){0, 3, 1, 2});
    cr_assert_arr_eq(back, x, sizeof x);
}

Test(kernels_layout_copy, transpose_general_3d_with_unit_axes)
{
    /* x [2,1,3,2] -> perm (3,0,2,1): y [2,2,3,1]; y[a][b][c][0] = x[b][0][c][a] */
    int8_t x[12], y[12];
    for (int i = 0; i < 12; i++)
        x[i] = (int8_t)i;
    ol_ktensor xt = view(x, OL_INT8, 4, DIMS(2, 1, 3, 2)), yt = view(y, OL_INT8, 4, DIMS(2, 2, 3, 1));
    ol_transpose(&xt, &yt, (const int[]){3, 0, 2, 1});
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                cr_assert_eq(y[(a * 2 + b) * 3 + c], x[b * 6 + c * 2 + a]);
}

Test(kernels_layout_copy, transpose_odd_element_size)
{
    /* 16-byte elements (complex128) take the memcpy path */
    double x[2 * 3 * 2], y[2 * 3 * 2];
    for (int i = 0; i < 12; i++)
        x[i] = i;
    ol_ktensor xt = view(x, OL_COMPLEX128, 2, DIMS(2, 3)), yt = view(y, OL_COMPLEX128, 2, DIMS(3, 2));
    ol_transpose(&xt, &yt, (const int[]){1, 0});
    /* element (r, c) is the pair x[2(3r+c)], x[2(3r+c)+1]; y[c][r] */
    cr_assert_float_eq(y[2 * (1 * 2 + 1)], x[2 * (1 * 3 + 1)], 0);
    cr_assert_float_eq(y[2 * (2 * 2 + 0) + 1], x[2 * (0 * 3 + 2) + 1], 0);
}

Test(kernels_layout_copy, depth_to_space_dcr_and_crd)
{
    /* x [1, 4, 1, 1] = {0,1,2,3}, blocksize 2 -> y [1,1,2,2]; DCR and CRD agree for one channel */
    float x[4] = {0, 1, 2, 3}, y[4];
    ol_ktensor xt = view(x, OL_FLOAT, 4, DIMS(1, 4, 1, 1)), yt = view(y, OL_FLOAT, 4, DIMS(1, 1, 2, 2));
    ol_depth_to_space(&xt, &yt, 2, false);
    cr_assert_arr_eq(y, x, sizeof x);
    /* 8 channels, blocksize 2: DCR output channel 1 takes input channels 1,3,5,7; CRD 4..7 */
    float x8[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y8[8];
    xt = view(x8, OL_FLOAT, 4, DIMS(1, 8, 1, 1));
    yt = view(y8, OL_FLOAT, 4, DIMS(1, 2, 2, 2));
    ol_depth_to_space(&xt, &yt, 2, false);
    const float dcr[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    cr_assert_arr_eq(y8, dcr, sizeof dcr);
    ol_depth_to_space(&xt, &yt, 2, true);
    cr_assert_arr_eq(y8, x8, sizeof x8);
    /* SpaceToDepth inverts DCR */
    float back[8];
    ol_ktensor bt = view(back, OL_FLOAT, 4, DIMS(1, 8, 1, 1));
    ol_depth_to_space(&xt, &yt, 2, false);
    ol_space_to_depth(&yt, &bt, 2);
    cr_assert_arr_eq(back, x8, sizeof x8);
}

Test(kernels_layout_copy, concat_and_split_middle_axis)
{
    int64_t a[4] = {1, 2, 3, 4}, b[2] = {9, 8}, y[6];
    ol_ktensor at = view(a, OL_INT64, 3, DIMS(2, 2, 1)), bt = view(b, OL_INT64, 3, DIMS(2, 1, 1)),
               yt = view(y, OL_INT64, 3, DIMS(2, 3, 1));
    const ol_ktensor *xs[2] = {&at, &bt};
    ol_concat(xs, 2, 1, &yt);
    const int64_t want[6] = {1, 2, 9, 3, 4, 8};
    cr_assert_arr_eq(y, want, sizeof want);
    int64_t a2[4], b2[2], empty[1];
    ol_ktensor a2t = view(a2, OL_INT64, 3, DIMS(2, 2, 1)), b2t = view(b2, OL_INT64, 3, DIMS(2, 1, 1)),
               et = view(empty, OL_INT64, 3, DIMS(2, 0, 1));
    ol_ktensor *ys[3] = {&a2t, &et, &b2t};
    ol_split(&yt, 1, ys, 3);
    cr_assert_arr_eq(a2, a, sizeof a);
    cr_assert_arr_eq(b2, b, sizeof b);
}

Test(kernels_layout_copy, slice_axis_bounds)
{
    int64_t first, count;
    ol_slice_axis(10, 2, 8, 3, &first, &count);
    cr_assert(first == 2 && count == 2);                   /* 2, 5 */
    ol_slice_axis(10, -1, -100, -1, &first, &count);
    cr_assert(first == 9 && count == 10);                  /* 9..0 */
    ol_slice_axis(10, 100, INT64_MIN, -4, &first, &count);
    cr_assert(first == 9 && count == 3);                   /* 9, 5, 1 */
    ol_slice_axis(10, 5, 5, 1, &first, &count);
    cr_assert_eq(count, 0);
    ol_slice_axis(0, 0, -1, -1, &first, &count);
    cr_assert(first == 0 && count == 0);                   /* empty axis, negative step */
    ol_slice_axis(4, -100, INT64_MAX, INT64_MIN, &first, &count);
    cr_assert_eq(count, 0);
}

Test(kernels_layout_copy, slice_negative_step_2d)
{
    uint8_t x[12], y[4];
    for (int i = 0; i < 12; i++)
        x[i] = (uint8_t)i;
    /* x [3,4]: rows 2,0 (step -2), columns 3,1 (step -2) */
    ol_ktensor xt = view(x, OL_UINT8, 2, DIMS(3, 4)), yt = view(y, OL_UINT8, 2, DIMS(2, 2));
    cr_assert_eq(ol_slice(&xt, &yt, DIMS(2, 3), DIMS(-2, -2)), OL_OK);
    const uint8_t want[4] = {11, 9, 3, 1};
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_copy, pad_modes_1d)
{
    float x[3] = {1, 2, 3}, y[9];
    const float fill = -1;
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(3)), yt = view(y, OL_FLOAT, 1, DIMS(9));
    const int64_t begin[1] = {4};   /* end 2 */
    struct {
        ol_pad_mode mode;
        float want[9];
    } cases[] = {
        {OL_PAD_CONSTANT, {-1, -1, -1, -1, 1, 2, 3, -1, -1}},
        {OL_PAD_EDGE, {1, 1, 1, 1, 1, 2, 3, 3, 3}},
        {OL_PAD_REFLECT, {1, 2, 3, 2, 1, 2, 3, 2, 1}},
        {OL_PAD_WRAP, {3, 1, 2, 3, 1, 2, 3, 1, 2}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        cr_assert_eq(ol_pad(&xt, &yt, begin, cases[c].mode, &fill), OL_OK);
        cr_assert_arr_eq(y, cases[c].want, sizeof y, "mode %d", cases[c].mode);
    }
}

Test(kernels_layout_copy, pad_negative_crops)
{
    int16_t x[6] = {1, 2, 3, 4, 5, 6}, y[4];
    const int16_t fill = 0;
    /* x [2,3] with the first column cropped: y [2,2] */
    ol_ktensor xt = view(x, OL_INT16, 2, DIMS(2, 3)), yt = view(y, OL_INT16, 2, DIMS(2, 2));
    cr_assert_eq(ol_pad(&xt, &yt, DIMS(0, -1), OL_PAD_CONSTANT, &fill), OL_OK);
    const int16_t want[4] = {2, 3, 5, 6};
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_copy, tile_and_expand)
{
    int32_t x[2] = {5, 6}, y[8];
    ol_ktensor xt = view(x, OL_INT32, 2, DIMS(1, 2)), yt = view(y, OL_INT32, 2, DIMS(2, 4));
    cr_assert_eq(ol_tile(&xt, &yt), OL_OK);
    const int32_t tiled[8] = {5, 6, 5, 6, 5, 6, 5, 6};
    cr_assert_arr_eq(y, tiled, sizeof tiled);
    /* expand a column [2,1] to [2,3] */
    int32_t col[2] = {7, 8}, e[6];
    ol_ktensor ct = view(col, OL_INT32, 2, DIMS(2, 1)), et = view(e, OL_INT32, 2, DIMS(2, 3));
    cr_assert_eq(ol_expand(&ct, &et), OL_OK);
    const int32_t expanded[6] = {7, 7, 7, 8, 8, 8};
    cr_assert_arr_eq(e, expanded, sizeof expanded);
}

Test(kernels_layout_copy, empty_outputs_touch_nothing)
{
    float x[1] = {1}, y[1] = {42};
    ol_ktensor xt = view(x, OL_FLOAT, 2, DIMS(1, 1)), yt = view(y, OL_FLOAT, 2, DIMS(0, 1));
    cr_assert_eq(ol_tile(&xt, &yt), OL_OK);
    cr_assert_eq(ol_slice(&xt, &yt, DIMS(0, 0), DIMS(1, 1)), OL_OK);
    ol_transpose(&yt, &yt, (const int[]){1, 0});
    cr_assert_float_eq(y[0], 42, 0);
}
