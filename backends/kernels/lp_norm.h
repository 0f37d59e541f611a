/* LpNormalization: x / ||x||_p along an axis (p = 1 or 2); a zero norm gives zeros. */
#ifndef OL_KERNELS_LP_NORM_H
#define OL_KERNELS_LP_NORM_H

#include <stdint.h>

/* x and y viewed as [outer][axis][inner]. */
void ol_lp_normalize_f32(const float *x, float *y, int64_t outer, int64_t axis, int64_t inner, int p);
void ol_lp_normalize_f64(const double *x, double *y, int64_t outer, int64_t axis, int64_t inner, int p);

#endif
