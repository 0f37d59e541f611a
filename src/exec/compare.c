#include "exec/compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/element.h"

double ol_ktensor_get_f64(const ol_ktensor *t, int64_t i)
{
    return ol_elem_get_f64(t->data, t->dtype, i);
}

void ol_compare_tensors(const ol_ktensor *got, const ol_ktensor *expected, double rtol, double atol,
                        ol_compare_result *r)
{
    memset(r, 0, sizeof *r);
    r->worst_index = -1;
    if (got->dtype != expected->dtype) {
        snprintf(r->reason, sizeof r->reason, "dtype %s, expected %s", ol_dtype_name(got->dtype),
                 ol_dtype_name(expected->dtype));
        return;
    }
    bool same_shape = got->rank == expected->rank;
    for (int d = 0; same_shape && d < got->rank; d++)
        same_shape = got->dims[d] == expected->dims[d];
    if (!same_shape) {
        int len = snprintf(r->reason, sizeof r->reason, "shape [");
        for (int d = 0; d < got->rank && len < (int)sizeof r->reason; d++)
            len += snprintf(r->reason + len, sizeof r->reason - (size_t)len, "%s%lld", d ? "," : "",
                            (long long)got->dims[d]);
        len += snprintf(r->reason + len, sizeof r->reason - (size_t)len, "], expected [");
        for (int d = 0; d < expected->rank && len < (int)sizeof r->reason; d++)
            len += snprintf(r->reason + len, sizeof r->reason - (size_t)len, "%s%lld", d ? "," : "",
                            (long long)expected->dims[d]);
        if (len < (int)sizeof r->reason)
            snprintf(r->reason + len, sizeof r->reason - (size_t)len, "]");
        return;
    }
    int64_t n = ol_ktensor_numel(got);
    if (!ol_elem_numeric(got->dtype)) {
        /* Packed sub-byte, float8 and float4 types: the expected bytes are exact, compare them. */
        size_t bytes = ol_ktensor_nbytes(got);
        if (bytes == SIZE_MAX || (bytes && memcmp(got->data, expected->data, bytes) != 0)) {
            snprintf(r->reason, sizeof r->reason, "%s bytes differ", ol_dtype_name(got->dtype));
            return;
        }
        r->match = true;
        return;
    }
    bool floats = ol_elem_is_float(got->dtype);
    if (!floats && (got->dtype == OL_INT64 || got->dtype == OL_UINT64)) {
        /* 64-bit integers do not fit a double exactly: compare bytes. */
        for (int64_t i = 0; i < n; i++)
            if (((const int64_t *)got->data)[i] != ((const int64_t *)expected->data)[i]) {
                r->worst_index = i;
                r->got = ol_ktensor_get_f64(got, i);
                r->expected = ol_ktensor_get_f64(expected, i);
                snprintf(r->reason, sizeof r->reason, "element %lld is %lld, expected %lld",
                         (long long)i, (long long)((const int64_t *)got->data)[i],
                         (long long)((const int64_t *)expected->data)[i]);
                return;
            }
        r->match = true;
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        double g = ol_ktensor_get_f64(got, i), e = ol_ktensor_get_f64(expected, i);
        if (isnan(g) && isnan(e))
            continue;
        double diff = fabs(g - e);
        if (isinf(g) && isinf(e) && (g > 0) == (e > 0))
            diff = 0;
        double rel = e != 0 ? diff / fabs(e) : (diff != 0 ? INFINITY : 0);
        if (diff > r->max_abs_err || isnan(diff))
            r->max_abs_err = diff;
        if (rel > r->max_rel_err || isnan(rel))
            r->max_rel_err = rel;
        bool ok = floats ? diff <= atol + rtol * fabs(e) : g == e;
        if (!ok && r->worst_index < 0) {
            r->worst_index = i;
            r->got = g;
            r->expected = e;
        }
    }
    if (r->worst_index >= 0)
        snprintf(r->reason, sizeof r->reason, "element %lld is %.9g, expected %.9g (max abs err %.3g)",
                 (long long)r->worst_index, r->got, r->expected, r->max_abs_err);
    else
        r->match = true;
}
