/* Global pooling: one value per [N, C] plane. */
#include <math.h>

#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"
#include "kernels/pool.h"

OL_CPU_CLONES
static float plane_f32(ol_pool_kind kind, double p, const float *x, int64_t n)
{
    if (kind == OL_POOL_MAX) {
        float best = -INFINITY;
#pragma omp simd reduction(max : best)
        for (int64_t i = 0; i < n; i++)
            best = x[i] > best ? x[i] : best;
        return best;
    }
    float sum = 0;
    if (kind == OL_POOL_AVERAGE) {
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < n; i++)
            sum += x[i];
        return n ? sum / (float)n : 0.0f;
    }
    if (p == 2) {
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < n; i++)
            sum += x[i] * x[i];
        return sqrtf(sum);
    }
    for (int64_t i = 0; i < n; i++)
        sum += powf(fabsf(x[i]), (float)p);
    return powf(sum, 1.0f / (float)p);
}

static double plane_f64(ol_pool_kind kind, double p, const double *x, int64_t n)
{
    double acc = kind == OL_POOL_MAX ? -INFINITY : 0;
    for (int64_t i = 0; i < n; i++) {
        if (kind == OL_POOL_MAX)
            acc = x[i] > acc ? x[i] : acc;
        else
            acc += kind == OL_POOL_AVERAGE ? x[i] : pow(fabs(x[i]), p);
    }
    if (kind == OL_POOL_AVERAGE)
        return n ? acc / (double)n : 0;
    return kind == OL_POOL_LP ? pow(acc, 1.0 / p) : acc;
}

void ol_global_pool(ol_pool_kind kind, double p, const ol_ktensor *x, ol_ktensor *y, int threads)
{
    int64_t planes = x->dims[0] * x->dims[1], n = 1;
    for (int d = 2; d < x->rank; d++)
        n *= x->dims[d];
    int t = ol_kernel_threads(threads);
    if (x->dtype == OL_DOUBLE) {
        const double *xd = x->data;
        double *yd = y->data;
#pragma omp parallel for num_threads(t) if (t > 1 && planes * n > 32768) schedule(static)
        for (int64_t i = 0; i < planes; i++)
            yd[i] = plane_f64(kind, p, xd + i * n, n);
        return;
    }
    const float *xf = x->data;
    float *yf = y->data;
#pragma omp parallel for num_threads(t) if (t > 1 && planes * n > 32768) schedule(static)
    for (int64_t i = 0; i < planes; i++)
        yf[i] = plane_f32(kind, p, xf + i * n, n);
}
