/* Cumulative products along an axis (CumProd). */
#ifndef OL_KERNELS_CUMULATIVE_H
#define OL_KERNELS_CUMULATIVE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

/* x and y viewed as [outer][axis][inner]: y[o][a][i] = product of x[o][b][i] for b <= a (b < a when
 * exclusive; b >= a or b > a when reverse). Numeric dtypes of kernels/element.h; floats multiply in
 * double, integers wrap around like the type's own multiplication. */
void ol_cumprod(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, bool exclusive, bool reverse,
                void *y);

#endif
