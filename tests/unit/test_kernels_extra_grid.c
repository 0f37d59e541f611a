/* Sampling-grid, Col2Im and MaxUnpool kernels on hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>

#include "kernels/col2im.h"
#include "kernels/grid_sample.h"
#include "kernels/max_unpool.h"

/* x [1][1][2][2] = {1, 2, 3, 4}; one output point at grid coordinates (gx, gy). */
static float sample(ol_grid_mode mode, ol_grid_padding padding, bool align, float gx, float gy)
{
    const float x[4] = {1, 2, 3, 4}, grid[2] = {gx, gy};
    float y;
    ol_grid_sample_params p = {.n = 1, .c = 1, .spatial = 2, .in_dims = {2, 2}, .out_dims = {1, 1},
                               .mode = mode, .padding = padding, .align_corners = align};
    ol_grid_sample_f32(&p, x, grid, &y);
    return y;
}

Test(kernels_grid_sample, corners_and_center)
{
    /* with align_corners, -1 and 1 are the corner pixel centers */
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_ZEROS, true, -1, -1), 1.0f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_ZEROS, true, 1, -1), 2.0f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_ZEROS, true, -1, 1), 3.0f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_ZEROS, true, 0, 0), 2.5f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_ZEROS, false, 0, 0), 2.5f, 1e-6);
}

Test(kernels_grid_sample, padding_modes_outside)
{
    /* without align_corners, -1 is the left edge: x = -0.5, half a pixel outside */
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_ZEROS, false, -1, -0.5f), 0.5f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_BORDER, false, -1, -0.5f), 1.0f, 1e-6);
    /* x = -1.5 reflects about -0.5 to 0.5: halfway between pixels 0 and 1 */
    cr_assert_float_eq(sample(OL_GRID_LINEAR, OL_GRID_REFLECTION, false, -2, -0.5f), 1.5f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_NEAREST, OL_GRID_ZEROS, true, 5, 5), 0.0f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_NEAREST, OL_GRID_BORDER, true, 5, 5), 4.0f, 1e-6);
}

Test(kernels_grid_sample, nearest_rounds_half_to_even)
{
    /* align_corners: gx = 0 is x = 0.5, which rounds to 0 */
    cr_assert_float_eq(sample(OL_GRID_NEAREST, OL_GRID_ZEROS, true, 0, -1), 1.0f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_NEAREST, OL_GRID_ZEROS, true, 0.2f, -1), 2.0f, 1e-6);
}

Test(kernels_grid_sample, cubic_reproduces_pixels_and_linear_ramps)
{
    /* a ramp along x with border padding: cubic interpolation of a linear function is exact inside */
    const float x[4] = {0, 1, 2, 3}, grid[2] = {0.0f, 0.0f};
    float y;
    ol_grid_sample_params p = {.n = 1, .c = 1, .spatial = 1, .in_dims = {4}, .out_dims = {1},
                               .mode = OL_GRID_CUBIC, .padding = OL_GRID_BORDER, .align_corners = true};
    ol_grid_sample_f32(&p, x, grid, &y);
    cr_assert_float_eq(y, 1.5f, 1e-6);
    cr_assert_float_eq(sample(OL_GRID_CUBIC, OL_GRID_BORDER, true, 1, 1), 4.0f, 1e-6);
}

Test(kernels_affine_grid, identity_theta_gives_base_grid)
{
    const float theta[6] = {1, 0, 0, 0, 1, 0};
    const int64_t sizes[2] = {2, 3};   /* H, W */
    float grid[12];
    ol_affine_grid_f32(theta, 1, 2, sizes, false, grid);
    /* (x, y) of position (h 0, w 0) and (h 1, w 2) */
    cr_assert_float_eq(grid[0], -2.0f / 3, 1e-6);
    cr_assert_float_eq(grid[1], -0.5f, 1e-6);
    cr_assert_float_eq(grid[10], 2.0f / 3, 1e-6);
    cr_assert_float_eq(grid[11], 0.5f, 1e-6);
    const float shift[6] = {2, 0, 1, 0, 1, 0};
    ol_affine_grid_f32(shift, 1, 2, sizes, true, grid);
    cr_assert_float_eq(grid[0], -1.0f, 1e-6);   /* 2 * -1 + 1 */
    cr_assert_float_eq(grid[4], 3.0f, 1e-6);    /* 2 * 1 + 1 at w 2 */
}

Test(kernels_col2im, overlapping_blocks_add)
{
    /* 1-D image of 3, blocks of 2, stride 1: columns at 0 and 1 */
    const float x[4] = {1, 2, 10, 20};   /* block element 0 for columns 0, 1; element 1 for columns 0, 1 */
    float y[3];
    ol_col2im_params p = {.n = 1, .c = 1, .spatial = 1, .image = {3}, .block = {2}, .dilations = {1},
                          .strides = {1}};
    int64_t per_dim[1];
    cr_assert_eq(ol_col2im_blocks(&p, per_dim), 2);
    ol_col2im_f32(&p, x, y);
    cr_assert(y[0] == 1 && y[1] == 12 && y[2] == 20);
}

Test(kernels_col2im, padding_drops_outside_elements)
{
    /* image 2, block 2, pad 1 on both sides: 3 columns, starting at -1 */
    const double x[6] = {1, 2, 3, 4, 5, 6};
    double y[2];
    ol_col2im_params p = {.n = 1, .c = 1, .spatial = 1, .image = {2}, .block = {2}, .dilations = {1},
                          .strides = {1}, .pads_begin = {1}, .pads_end = {1}};
    int64_t per_dim[1];
    cr_assert_eq(ol_col2im_blocks(&p, per_dim), 3);
    ol_col2im_f64(&p, x, y);
    /* element 0 of column c covers c - 1, element 1 covers c */
    cr_assert(y[0] == 2 + 4 && y[1] == 3 + 5);
}

Test(kernels_max_unpool, scatters_into_a_larger_output)
{
    const float x[2] = {5, 7};
    const int64_t indices[2] = {1, 3}, full[2] = {2, 2}, out[2] = {3, 3};
    float y[9];
    cr_assert_eq(ol_max_unpool(x, indices, 2, sizeof(float), full, out, 2, y), -1);
    /* positions (0, 1) and (1, 1) of the 2x2 tensor keep their coordinates in the 3x3 one */
    const float want[9] = {0, 5, 0, 0, 7, 0, 0, 0, 0};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(y[i], want[i]);
    const int64_t bad[2] = {0, 4};
    cr_assert_eq(ol_max_unpool(x, bad, 2, sizeof(float), full, full, 2, y), 1);
}
