#include "cli/tensor_io.h"

#include <math.h>

#include "exec/compare.h"

void ol_cli_print_summary(FILE *out, const char *name, const ol_ktensor *t)
{
    fprintf(out, "%s: %s[", name, ol_dtype_name(t->dtype));
    for (int d = 0; d < t->rank; d++)
        fprintf(out, "%s%lld", d ? "," : "", (long long)t->dims[d]);
    fprintf(out, "]");
    int64_t n = ol_ktensor_numel(t);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t counted = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = ol_ktensor_get_f64(t, i);
        if (isnan(v))
            continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
        counted++;
    }
    if (counted)
        fprintf(out, " min %.6g max %.6g mean %.6g", lo, hi, sum / (double)counted);
    if (counted < n)
        fprintf(out, " (%lld NaN)", (long long)(n - counted));
    fprintf(out, "\n");
}
