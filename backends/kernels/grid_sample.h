/* Sampling grids (float32): GridSample reads an input at normalized grid coordinates with nearest,
 * linear or cubic interpolation; AffineGrid makes such a grid from affine matrices. Coordinates in
 * [-1, 1] span the input's extent: pixel centers at the ends with align_corners, pixel edges
 * without. */
#ifndef OL_KERNELS_GRID_SAMPLE_H
#define OL_KERNELS_GRID_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#define OL_GRID_MAX_SPATIAL 4

typedef enum ol_grid_mode { OL_GRID_NEAREST, OL_GRID_LINEAR, OL_GRID_CUBIC } ol_grid_mode;
typedef enum ol_grid_padding { OL_GRID_ZEROS, OL_GRID_BORDER, OL_GRID_REFLECTION } ol_grid_padding;

typedef struct ol_grid_sample_params {
    int64_t n, c;
    int spatial;                                /* 1..OL_GRID_MAX_SPATIAL */
    int64_t in_dims[OL_GRID_MAX_SPATIAL];       /* X [n][c][in_dims...] */
    int64_t out_dims[OL_GRID_MAX_SPATIAL];      /* grid [n][out_dims...][spatial], y [n][c][out_dims...] */
    ol_grid_mode mode;
    ol_grid_padding padding;
    bool align_corners;
} ol_grid_sample_params;

/* The grid's last axis lists coordinates innermost dimension first (x for width, then y, z).
 * Nearest rounds half to even; cubic uses Keys' kernel with a = -0.75. */
void ol_grid_sample_f32(const ol_grid_sample_params *p, const float *x, const float *grid, float *y);

/* grid [n][sizes...][spatial] = theta[n] ([spatial][spatial + 1]) applied to the homogeneous base
 * coordinates (x, y, [z], 1) of each position, x running along the last size. spatial is 2 or 3. */
void ol_affine_grid_f32(const float *theta, int64_t n, int spatial, const int64_t *sizes, bool align_corners,
                        float *grid);

#endif
