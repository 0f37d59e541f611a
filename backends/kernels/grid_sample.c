#include "kernels/grid_sample.h"

#include <math.h>

/* Taps of one dimension: input indices (-1 for a zero-padded position) and weights. */
typedef struct dim_taps {
    int count;
    int64_t index[4];
    double weight[4];
} dim_taps;

static double denormalize(double g, int64_t size, bool align_corners)
{
    return align_corners ? (g + 1) / 2 * (double)(size - 1) : ((g + 1) * (double)size - 1) / 2;
}

/* Folds x back into [lo, hi] by reflecting at the borders. */
static double reflect(double x, double lo, double hi)
{
    double range = hi - lo;
    if (range <= 0)
        return lo;
    if (x < lo) {
        double dx = lo - x;
        int64_t k = (int64_t)(dx / range);
        double r = dx - (double)k * range;
        return k % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        double dx = x - hi;
        int64_t k = (int64_t)(dx / range);
        double r = dx - (double)k * range;
        return k % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

static int64_t resolve(int64_t i, int64_t size, ol_grid_padding padding, double lo, double hi)
{
    if (padding == OL_GRID_ZEROS)
        return i >= 0 && i < size ? i : -1;
    if (padding == OL_GRID_BORDER)
        return i < 0 ? 0 : i >= size ? size - 1 : i;
    int64_t r = (int64_t)reflect((double)i, lo, hi);
    return r < 0 ? 0 : r >= size ? size - 1 : r;
}

static void cubic_coeffs(double t, double *c)
{
    const double a = -0.75;
    double x = t + 1;
    c[0] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    x = 1 - t;
    c[2] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = 2 - t;
    c[3] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

static void make_taps(const ol_grid_sample_params *p, double g, int64_t size, dim_taps *t)
{
    double lo = p->align_corners ? 0 : -0.5, hi = p->align_corners ? (double)size - 1 : (double)size - 0.5;
    double x = denormalize(g, size, p->align_corners);
    if (p->mode == OL_GRID_NEAREST)
        x = nearbyint(x);
    if (x < lo || x > hi) {
        if (p->padding == OL_GRID_BORDER)
            x = x < 0 ? 0 : x > (double)size - 1 ? (double)size - 1 : x;
        else if (p->padding == OL_GRID_REFLECTION)
            x = reflect(x, lo, hi);
    }
    if (p->mode == OL_GRID_NEAREST) {
        t->count = 1;
        t->index[0] = resolve((int64_t)x, size, p->padding, lo, hi);
        t->weight[0] = 1;
        return;
    }
    double base = floor(x), frac = x - base;
    if (p->mode == OL_GRID_LINEAR) {
        t->count = 2;
        t->weight[0] = 1 - frac;
        t->weight[1] = frac;
        for (int k = 0; k < 2; k++)
            t->index[k] = resolve((int64_t)base + k, size, p->padding, lo, hi);
        return;
    }
    t->count = 4;
    cubic_coeffs(frac, t->weight);
    for (int k = 0; k < 4; k++)
        t->index[k] = resolve((int64_t)base - 1 + k, size, p->padding, lo, hi);
}

void ol_grid_sample_f32(const ol_grid_sample_params *p, const float *x, const float *grid, float *y)
{
    int r = p->spatial;
    int64_t in_size = 1, out_size = 1;
    for (int d = 0; d < r; d++) {
        in_size *= p->in_dims[d];
        out_size *= p->out_dims[d];
    }
    int64_t in_strides[OL_GRID_MAX_SPATIAL], stride = 1;
    for (int d = r - 1; d >= 0; d--) {
        in_strides[d] = stride;
        stride *= p->in_dims[d];
    }
    for (int64_t b = 0; b < p->n; b++)
        for (int64_t o = 0; o < out_size; o++) {
            const float *coords = grid + (b * out_size + o) * r;
            dim_taps taps[OL_GRID_MAX_SPATIAL];
            for (int d = 0; d < r; d++)
                make_taps(p, coords[r - 1 - d], p->in_dims[d], &taps[d]);
            for (int64_t ch = 0; ch < p->c; ch++) {
                const float *plane = x + (b * p->c + ch) * in_size;
                /* Walks the tensor product of the per-dimension taps like an odometer. */
                int at[OL_GRID_MAX_SPATIAL] = {0};
                double sum = 0;
                for (;;) {
                    double w = 1;
                    int64_t offset = 0;
                    for (int d = 0; d < r && w != 0; d++) {
                        int64_t i = taps[d].index[at[d]];
                        if (i < 0)
                            w = 0;
                        else {
                            w *= taps[d].weight[at[d]];
                            offset += i * in_strides[d];
                        }
                    }
                    if (w != 0)
                        sum += w * plane[offset];
                    int d = r - 1;
                    while (d >= 0 && ++at[d] == taps[d].count)
                        at[d--] = 0;
                    if (d < 0)
                        break;
                }
                y[(b * p->c + ch) * out_size + o] = (float)sum;
            }
        }
}

/* Base coordinate of position i of `size` along one axis. */
static double base_coordinate(int64_t i, int64_t size, bool align_corners)
{
    if (align_corners)
        return size > 1 ? -1 + 2.0 * (double)i / (double)(size - 1) : 0;
    return -1 + (2.0 * (double)i + 1) / (double)size;
}

void ol_affine_grid_f32(const float *theta, int64_t n, int spatial, const int64_t *sizes, bool align_corners,
                        float *grid)
{
    int64_t total = 1;
    for (int d = 0; d < spatial; d++)
        total *= sizes[d];
    for (int64_t b = 0; b < n; b++) {
        const float *th = theta + b * spatial * (spatial + 1);
        for (int64_t pos = 0; pos < total; pos++) {
            /* Homogeneous base vector: x (last size) first, then y, z, then 1. */
            double base[4];
            int64_t rem = pos;
            for (int d = spatial - 1; d >= 0; d--) {
                base[spatial - 1 - d] = base_coordinate(rem % sizes[d], sizes[d], align_corners);
                rem /= sizes[d];
            }
            base[spatial] = 1;
            float *out = grid + (b * total + pos) * spatial;
            for (int k = 0; k < spatial; k++) {
                double v = 0;
                for (int j = 0; j <= spatial; j++)
                    v += (double)th[k * (spatial + 1) + j] * base[j];
                out[k] = (float)v;
            }
        }
    }
}
