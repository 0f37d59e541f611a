/* Numeric comparison of tensors, shared by the conformance runner and output verification. */
#ifndef OL_EXEC_COMPARE_H
#define OL_EXEC_COMPARE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

typedef struct ol_compare_result {
    bool match;               /* shape, dtype and every element within tolerance */
    double max_abs_err;
    double max_rel_err;
    int64_t worst_index;      /* flat index of the first element out of tolerance, or -1 */
    double got, expected;     /* values at worst_index */
    char reason[160];         /* why it does not match, for messages */
} ol_compare_result;

/* Floats match when |got - expected| <= atol + rtol * |expected| (numpy's allclose, NaN equal to
 * NaN); integers and bool must be equal. */
void ol_compare_tensors(const ol_ktensor *got, const ol_ktensor *expected, double rtol, double atol,
                        ol_compare_result *result);

/* Element i of a numeric tensor as a double (float16/bfloat16 decoded). */
double ol_ktensor_get_f64(const ol_ktensor *t, int64_t i);

#endif
