/* Col2Im: sums sliding blocks (the columns im2col makes) back into an image. */
#ifndef OL_KERNELS_COL2IM_H
#define OL_KERNELS_COL2IM_H

#include <stdint.h>

#define OL_COL2IM_MAX_SPATIAL 8

typedef struct ol_col2im_params {
    int64_t n, c;
    int spatial;
    int64_t image[OL_COL2IM_MAX_SPATIAL], block[OL_COL2IM_MAX_SPATIAL];
    int64_t dilations[OL_COL2IM_MAX_SPATIAL], strides[OL_COL2IM_MAX_SPATIAL];
    int64_t pads_begin[OL_COL2IM_MAX_SPATIAL], pads_end[OL_COL2IM_MAX_SPATIAL];
} ol_col2im_params;

/* Sliding positions per spatial dim (the columns' grid), or -1 when a dim has none. Returns the
 * product (the column count L). */
int64_t ol_col2im_blocks(const ol_col2im_params *p, int64_t *per_dim);

/* x [n][c * prod(block)][L] -> y [n][c][image...]; block elements outside the image are dropped. */
void ol_col2im_f32(const ol_col2im_params *p, const float *x, float *y);
void ol_col2im_f64(const ol_col2im_params *p, const double *x, double *y);

#endif
