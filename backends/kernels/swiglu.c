#include "kernels/swiglu.h"

#include <math.h>

void ol_swiglu_f32(const float *a, const float *b, float *y, int64_t n, float alpha)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = a[i] / (1.0f + expf(-alpha * a[i])) * b[i];
}

void ol_swiglu_f64(const double *a, const double *b, double *y, int64_t n, double alpha)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = a[i] / (1.0 + exp(-alpha * a[i])) * b[i];
}
