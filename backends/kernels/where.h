/* Where: out = cond ? x : y with numpy broadcasting of all three. Works on raw elements, so it
 * handles every dtype whose elements are 1, 2, 4 or 8 bytes. */
#ifndef OL_KERNELS_WHERE_H
#define OL_KERNELS_WHERE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

bool ol_where_supported(ol_dtype dtype);

/* cond is bool; x, y and out share a dtype; out has the broadcast shape of the three. */
bool ol_where(const ol_ktensor *cond, const ol_ktensor *x, const ol_ktensor *y, ol_ktensor *out,
              int threads);

#endif
