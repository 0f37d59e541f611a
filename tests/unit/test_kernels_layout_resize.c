/* Resize kernels: coordinate transformations, nearest rounding, linear/cubic weights, antialias,
 * exclude_outside and tf_crop_and_resize extrapolation, on small hand-computed cases. */
#include <criterion/criterion.h>

#include "kernels/resize.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static ol_resize_params params(ol_resize_mode mode, ol_resize_coord coord, double scale)
{
    ol_resize_params p = {.mode = mode, .coord = coord, .cubic_a = -0.75};
    for (int d = 0; d < OL_KMAX_RANK; d++) {
        p.scales[d] = 1;
        p.roi_end[d] = 1;
    }
    p.scales[0] = scale;
    return p;
}

Test(kernels_layout_resize, linear_half_pixel_upsample)
{
    float x[2] = {1, 3}, y[4];
    ol_resize_params p = params(OL_RESIZE_LINEAR, OL_COORD_HALF_PIXEL, 2);
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(2)), yt = view(y, OL_FLOAT, 1, DIMS(4));
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    /* sources -0.25 (edge), 0.25, 0.75, 1.25 (edge) */
    const float want[4] = {1, 1.5f, 2.5f, 3};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], want[i], 1e-6);
}

Test(kernels_layout_resize, linear_align_corners)
{
    float x[3] = {0, 10, 20}, y[5];
    ol_resize_params p = params(OL_RESIZE_LINEAR, OL_COORD_ALIGN_CORNERS, 5.0 / 3);
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(3)), yt = view(y, OL_FLOAT, 1, DIMS(5));
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    for (int i = 0; i < 5; i++)
        cr_assert_float_eq(y[i], 5.0f * (float)i, 1e-5);
}

Test(kernels_layout_resize, nearest_rounding_modes)
{
    /* asymmetric scale 2/3: sources 0, 1.5, 3 -> the tie at 1.5 decides */
    uint8_t x[4] = {10, 20, 30, 40}, y[3];
    ol_resize_params p = params(OL_RESIZE_NEAREST, OL_COORD_ASYMMETRIC, 2.0 / 3);
    p.scales[0] = 1.0 / 1.5;
    ol_ktensor xt = view(x, OL_UINT8, 1, DIMS(4)), yt = view(y, OL_UINT8, 1, DIMS(3));
    const struct {
        ol_nearest_rounding mode;
        uint8_t middle;
    } cases[] = {{OL_NEAREST_ROUND_PREFER_FLOOR, 20}, {OL_NEAREST_ROUND_PREFER_CEIL, 30},
                 {OL_NEAREST_FLOOR, 20}, {OL_NEAREST_CEIL, 30}};
    for (size_t c = 0; c < 4; c++) {
        p.nearest = cases[c].mode;
        cr_assert_eq(ol_resize_nearest(&xt, &yt, &p, NULL), OL_OK);
        cr_assert_eq(y[0], 10);
        cr_assert_eq(y[1], cases[c].middle, "mode %d", cases[c].mode);
        cr_assert_eq(y[2], 40);
    }
}

Test(kernels_layout_resize, cubic_on_a_line_is_exact_inside)
{
    /* cubic convolution reproduces linear data away from the edges */
    float x[8], y[16];
    for (int i = 0; i < 8; i++)
        x[i] = (float)i;
    ol_resize_params p = params(OL_RESIZE_CUBIC, OL_COORD_ASYMMETRIC, 2);
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(8)), yt = view(y, OL_FLOAT, 1, DIMS(16));
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    for (int i = 2; i < 12; i++)
        cr_assert_float_eq(y[i], (float)i / 2, 1e-5, "at %d", i);
}

Test(kernels_layout_resize, exclude_outside_renormalizes)
{
    /* At output 0 with scale 1 the source is exactly 0: weight 1 on x[0] either way. With a
     * half-pixel downsample the first sample straddles the left edge. */
    float x[4] = {4, 4, 8, 8}, y[2], y_ex[2];
    ol_resize_params p = params(OL_RESIZE_CUBIC, OL_COORD_HALF_PIXEL, 0.5);
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(4)), yt = view(y, OL_FLOAT, 1, DIMS(2));
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    p.exclude_outside = true;
    yt.data = y_ex;
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    /* source 0.5: taps -1..2 with weights c(1.5), c(.5), c(.5), c(1.5) for a=-0.75:
     * -0.09375, 0.59375, 0.59375, -0.09375. Edge-padded: -.09375*4 + .59375*4 + .59375*4 - .09375*8 */
    cr_assert_float_eq(y[0], 3.625f, 1e-5);
    /* excluded: (0.59375*4 + 0.59375*4 - 0.09375*8) / 1.09375 */
    cr_assert_float_eq(y_ex[0], 3.65714286f, 1e-5);
}

Test(kernels_layout_resize, antialias_linear_widens_the_kernel)
{
    /* downsample by 2 with antialias: triangle of half-width 2 around source 1.5 (half_pixel):
     * taps 0..3 weights .25,.75,.75,.25 normalized -> mean of the middle-weighted values */
    float x[4] = {0, 4, 8, 12}, y[2];
    ol_resize_params p = params(OL_RESIZE_LINEAR, OL_COORD_HALF_PIXEL, 0.5);
    p.antialias = true;
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(4)), yt = view(y, OL_FLOAT, 1, DIMS(2));
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    /* output 0: source 0.5, taps -1..2 weights .25,.75,.75,.25 (sum 2): (0*.25+0*.75+4*.75+8*.25)/2 */
    cr_assert_float_eq(y[0], 2.5f, 1e-5);
}

Test(kernels_layout_resize, tf_crop_and_resize_extrapolates)
{
    float x[3] = {0, 10, 20}, y[3];
    ol_resize_params p = params(OL_RESIZE_LINEAR, OL_COORD_TF_CROP_AND_RESIZE, 1);
    p.roi_start[0] = 0.5;
    p.roi_end[0] = 1.5;   /* sources 1, 2, 3: the last one is outside */
    p.extrapolation_value = -1;
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(3)), yt = view(y, OL_FLOAT, 1, DIMS(3));
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    cr_assert_float_eq(y[0], 10, 1e-5);
    cr_assert_float_eq(y[1], 20, 1e-5);
    cr_assert_float_eq(y[2], -1, 1e-6);
    int32_t xi[3] = {0, 10, 20}, yi[3];
    const int32_t fill = -9;
    p.mode = OL_RESIZE_NEAREST;
    xt = view(xi, OL_INT32, 1, DIMS(3));
    yt = view(yi, OL_INT32, 1, DIMS(3));
    cr_assert_eq(ol_resize_nearest(&xt, &yt, &p, &fill), OL_OK);
    cr_assert(yi[0] == 10 && yi[1] == 20 && yi[2] == -9);
}

Test(kernels_layout_resize, only_the_resized_axis_moves)
{
    /* [2,2] -> [2,4] with nearest along axis 1; axis 0 untouched */
    float x[4] = {1, 2, 3, 4}, y[8];
    ol_resize_params p = params(OL_RESIZE_NEAREST, OL_COORD_ASYMMETRIC, 1);
    p.nearest = OL_NEAREST_FLOOR;
    p.scales[1] = 2;
    ol_ktensor xt = view(x, OL_FLOAT, 2, DIMS(2, 2)), yt = view(y, OL_FLOAT, 2, DIMS(2, 4));
    cr_assert_eq(ol_resize_nearest(&xt, &yt, &p, NULL), OL_OK);
    const float want[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    cr_assert_arr_eq(y, want, sizeof want);
    cr_assert_eq(ol_resize_float(&xt, &yt, &p), OL_OK);
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_resize, double_precision_keeps_exact_halves)
{
    /* linear half-pixel 2x: outputs at quarter positions; in double the .25/.75 mixes are exact */
    double x[2] = {1e8 + 1, 1e8 + 3}, y[4];
    ol_resize_params p = params(OL_RESIZE_LINEAR, OL_COORD_HALF_PIXEL, 2);
    ol_ktensor xt = view(x, OL_DOUBLE, 1, DIMS(2)), yt = view(y, OL_DOUBLE, 1, DIMS(4));
    cr_assert_eq(ol_resize_double(&xt, &yt, &p), OL_OK);
    cr_assert_float_eq(y[1], 1e8 + 1.5, 1e-9);
    cr_assert_float_eq(y[2], 1e8 + 2.5, 1e-9);
}
