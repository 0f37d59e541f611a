/* Generating kernels of the layout family: Range, Trilu, OneHot, NonZero. */
#include <criterion/criterion.h>
#include <math.h>

#include "kernels/generate.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

Test(kernels_layout_generate, range_counts)
{
    cr_assert_eq(ol_range_count(1, 5, 2), 2);
    cr_assert_eq(ol_range_count(10, 6, -3), 2);
    cr_assert_eq(ol_range_count(0, 1, 0.3), 4);
    cr_assert_eq(ol_range_count(5, 1, 1), 0);
    cr_assert_lt(ol_range_count(0, INFINITY, 1), 0);
    cr_assert_eq(ol_range_count_int(INT64_MIN, INT64_MAX, INT64_MAX), 3);
    cr_assert_eq(ol_range_count_int(10, 6, -3), 2);
    cr_assert_eq(ol_range_count_int(0, 10, INT64_MIN), 0);
    cr_assert_eq(ol_range_count_int(5, -5, INT64_MIN), 1);
}

Test(kernels_layout_generate, range_values)
{
    int32_t s = 10, d = -3, y[2];
    ol_ktensor st = view(&s, OL_INT32, 0, NULL), dt = view(&d, OL_INT32, 0, NULL),
               yt = view(y, OL_INT32, 1, DIMS(2));
    cr_assert(ol_range(&st, &dt, &yt));
    cr_assert(y[0] == 10 && y[1] == 7);
    double fs = 0.5, fd = 0.25, fy[3];
    st = view(&fs, OL_DOUBLE, 0, NULL);
    dt = view(&fd, OL_DOUBLE, 0, NULL);
    yt = view(fy, OL_DOUBLE, 1, DIMS(3));
    cr_assert(ol_range(&st, &dt, &yt));
    cr_assert_float_eq(fy[2], 1.0, 1e-12);
    uint8_t u = 0;
    yt = view(&u, OL_UINT8, 1, DIMS(1));
    cr_assert(!ol_range(&st, &dt, &yt));   /* not a Range type */
}

Test(kernels_layout_generate, trilu_upper_lower_batched)
{
    /* two 2x3 matrices of ones */
    int16_t x[12], y[12];
    for (int i = 0; i < 12; i++)
        x[i] = 1;
    ol_ktensor xt = view(x, OL_INT16, 3, DIMS(2, 2, 3)), yt = view(y, OL_INT16, 3, DIMS(2, 2, 3));
    ol_trilu(&xt, &yt, 1, true);   /* keep j - i >= 1 */
    const int16_t upper[6] = {0, 1, 1, 0, 0, 1};
    cr_assert_arr_eq(y, upper, sizeof upper);
    cr_assert_arr_eq(y + 6, upper, sizeof upper);
    ol_trilu(&xt, &yt, -1, false);   /* keep j - i <= -1 */
    const int16_t lower[6] = {0, 0, 0, 1, 0, 0};
    cr_assert_arr_eq(y, lower, sizeof lower);
    ol_trilu(&xt, &yt, 5, false);    /* everything kept */
    cr_assert_arr_eq(y, x, sizeof x);
    ol_trilu(&xt, &xt, 3, true);     /* in place, nothing kept */
    for (int i = 0; i < 12; i++)
        cr_assert_eq(x[i], 0);
}

Test(kernels_layout_generate, onehot_middle_axis_and_out_of_range)
{
    /* indices [2,1] -> y [2, depth 3, 1]; the second index is outside the depth */
    const int64_t idx[2] = {2, -1};
    const float off = 0, on = 5;
    float y[6];
    ol_ktensor yt = view(y, OL_FLOAT, 3, DIMS(2, 3, 1));
    ol_onehot(idx, 2, 3, 1, &off, &on, &yt);
    const float want[6] = {0, 0, 5, 0, 0, 0};
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_generate, nonzero_coordinates)
{
    float x[6] = {0, 1, -0.0f, 0, NAN, 2};   /* [2,3] */
    ol_ktensor xt = view(x, OL_FLOAT, 2, DIMS(2, 3));
    int64_t n = ol_nonzero_count(&xt);
    cr_assert_eq(n, 3);
    int64_t y[6];
    ol_nonzero(&xt, n, y);
    const int64_t want[6] = {0, 1, 1, 1, 1, 2};   /* rows, then columns */
    cr_assert_arr_eq(y, want, sizeof want);
    uint16_t h[2] = {0x8000, 0x3c00};   /* float16 -0 and 1 */
    ol_ktensor ht = view(h, OL_FLOAT16, 1, DIMS(2));
    cr_assert_eq(ol_nonzero_count(&ht), 1);
    uint8_t scalar = 1;
    ol_ktensor s = view(&scalar, OL_BOOL, 0, NULL);
    int64_t sy = -1;
    ol_nonzero(&s, 1, &sy);
    cr_assert_eq(sy, 0);
}
