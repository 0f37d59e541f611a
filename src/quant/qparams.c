#include "quant/qparams.h"

#include <math.h>

void ol_qrange(ol_dtype dtype, bool restricted, int32_t *qmin, int32_t *qmax)
{
    if (dtype == OL_UINT8) {
        *qmin = 0;
        *qmax = 255;
    } else {
        *qmin = restricted ? -127 : -128;
        *qmax = 127;
    }
}

ol_qparams ol_qparams_from_range(double lo, double hi, ol_dtype dtype, bool symmetric)
{
    lo = fmin(lo, 0);
    hi = fmax(hi, 0);
    int32_t qmin, qmax;
    ol_qrange(dtype, false, &qmin, &qmax);
    if (symmetric) {
        double m = fmax(-lo, hi);
        float scale = (float)(m / 127.0);
        return (ol_qparams){.scale = scale > 0 ? scale : 1.0f, .zero_point = dtype == OL_UINT8 ? 128 : 0};
    }
    float scale = (float)((hi - lo) / (double)(qmax - qmin));
    if (!(scale > 0))
        return (ol_qparams){.scale = 1.0f, .zero_point = qmin};
    /* The zero point that puts `lo` at qmin, rounded: 0 then quantizes exactly. */
    double zp = nearbyint((double)qmin - lo / (double)scale);
    zp = fmin(fmax(zp, qmin), qmax);
    return (ol_qparams){.scale = scale, .zero_point = (int32_t)zp};
}

int32_t ol_quantize_value(double x, ol_qparams p, int32_t qmin, int32_t qmax)
{
    double q = nearbyint(x / (double)p.scale) + p.zero_point;
    return (int32_t)fmin(fmax(q, qmin), qmax);
}
