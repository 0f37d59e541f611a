#include "quant/histogram.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu_clones.h"

ol_status ol_histogram_init(ol_histogram *h, size_t n_bins, ol_error *err)
{
    *h = (ol_histogram){.n_bins = n_bins, .min = INFINITY, .max = -INFINITY};
    if (n_bins % 2)
        return ol_fail(err, OL_ERR_ARG, "a histogram needs an even number of bins, not %zu", n_bins);
    if (n_bins && !(h->counts = calloc(n_bins, sizeof *h->counts)))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory for a histogram of %zu bins", n_bins);
    return OL_OK;
}

void ol_histogram_clear(ol_histogram *h)
{
    free(h->counts);
    *h = (ol_histogram){0};
}

/* Doubles the bin width until [lo, hi] fits, merging bins pairwise toward the side that grows. */
static void grow(ol_histogram *h, double lo, double hi)
{
    size_t n = h->n_bins, half = n / 2;
    while (lo < h->lo || hi > h->lo + (double)n * h->width) {
        if (lo < h->lo) {
            /* The old range becomes the upper half; descending order never overwrites a pair
             * still to be read (half + j > 2j + 1 for j < half). */
            for (size_t j = half; j-- > 0;)
                h->counts[half + j] = h->counts[2 * j] + h->counts[2 * j + 1];
            memset(h->counts, 0, half * sizeof *h->counts);
            h->lo -= (double)n * h->width;
        } else {
            for (size_t j = 0; j < half; j++)
                h->counts[j] = h->counts[2 * j] + h->counts[2 * j + 1];
            memset(h->counts + half, 0, half * sizeof *h->counts);
        }
        h->width *= 2;
    }
}

/* Extremes and counts of one tensor's values. Calibration runs this over every observed activation
 * of every sample, and the plain double loop took 16% of squeezenet's whole quantization: this one
 * keeps 16 lanes of float minima/maxima and counts, which the compiler turns into vector
 * min/max (OL_CPU_CLONES picks AVX-512 or AVX2 where present). Counts are flushed every
 * SCAN_CHUNK values so the 32-bit lanes never overflow. */
#define SCAN_LANES 16
#define SCAN_CHUNK ((size_t)1 << 24)

typedef struct scan_result {
    float lo, hi;
    size_t finite, zeros;
} scan_result;

OL_CPU_CLONES static void scan_chunk(const float *values, size_t n, scan_result *out)
{
    float lo[SCAN_LANES], hi[SCAN_LANES];
    uint32_t finite[SCAN_LANES], zeros[SCAN_LANES];
    for (int j = 0; j < SCAN_LANES; j++) {
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
        finite[j] = zeros[j] = 0;
    }
    size_t i = 0;
    for (; i + SCAN_LANES <= n; i += SCAN_LANES) {
        for (int j = 0; j < SCAN_LANES; j++) {
            float x = values[i + j];
            uint32_t f = fabsf(x) <= FLT_MAX;   /* false for NaN and infinities */
            finite[j] += f;
            zeros[j] += x == 0.0f;
            float xl = f ? x : INFINITY, xh = f ? x : -INFINITY;
            lo[j] = xl < lo[j] ? xl : lo[j];
            hi[j] = xh > hi[j] ? xh : hi[j];
        }
    }
    for (; i < n; i++) {
        float x = values[i];
        if (!(fabsf(x) <= FLT_MAX))
            continue;
        finite[0]++;
        zeros[0] += x == 0.0f;
        lo[0] = x < lo[0] ? x : lo[0];
        hi[0] = x > hi[0] ? x : hi[0];
    }
    for (int j = 0; j < SCAN_LANES; j++) {
        out->lo = lo[j] < out->lo ? lo[j] : out->lo;
        out->hi = hi[j] > out->hi ? hi[j] : out->hi;
        out->finite += finite[j];
        out->zeros += zeros[j];
    }
}

void ol_histogram_add(ol_histogram *h, const float *values, size_t n)
{
    scan_result scan = {.lo = INFINITY, .hi = -INFINITY};
    for (size_t at = 0; at < n; at += SCAN_CHUNK)
        scan_chunk(values + at, n - at < SCAN_CHUNK ? n - at : SCAN_CHUNK, &scan);
    double lo = scan.lo, hi = scan.hi;
    size_t finite = scan.finite, zeros = scan.zeros;
    h->non_finite += n - finite;
    if (!finite)
        return;
    if (h->n_bins) {
        if (h->total == 0) {
            /* The first batch sets the grid; a constant batch gets a tiny width that later
             * batches widen as needed. */
            h->lo = lo;
            h->width = (hi - lo) / (double)h->n_bins;
            if (!(h->width > 0))
                h->width = fmax(fabs(lo) * 0x1p-20, DBL_MIN * 0x1p60) / (double)h->n_bins;
        }
        grow(h, lo, hi);
        double inv = 1.0 / h->width, base = h->lo;
        size_t last = h->n_bins - 1;
        for (size_t i = 0; i < n; i++) {
            double x = values[i];
            if (!isfinite(x))
                continue;
            double pos = (x - base) * inv;
            size_t k = pos <= 0 ? 0 : (pos >= (double)last ? last : (size_t)pos);
            h->counts[k]++;
        }
    }
    if (lo < h->min)
        h->min = lo;
    if (hi > h->max)
        h->max = hi;
    h->total += finite;
    h->zeros += zeros;
}

/* ---------------------------------------------------------------------------------------------- */
/* Range selection. Every method works on the bins as mass spread uniformly within each bin. */

/* Adds `mass` spread uniformly over [u, v] (0 <= u <= v) to the grid of `n` bins of `width` from 0. */
static void spread(double *grid, size_t n, double width, double u, double v, double mass)
{
    if (mass == 0)
        return;
    size_t a = (size_t)fmin(u / width, (double)(n - 1)), b = (size_t)fmin(v / width, (double)(n - 1));
    if (a == b || v <= u) {
        grid[a] += mass;
        return;
    }
    for (size_t k = a; k <= b; k++) {
        double left = fmax(u, (double)k * width), right = k == b ? v : fmin(v, (double)(k + 1) * width);
        if (right > left)
            grid[k] += mass * (right - left) / (v - u);
    }
}

/* The bin holding exact zeros, or n_bins when 0 is outside the histogram. */
static size_t zero_bin(const ol_histogram *h)
{
    if (!h->zeros)
        return h->n_bins;
    /* As ol_histogram_add places a value (merging keeps that place, up to rounding at an edge). */
    double pos = (0 - h->lo) * (1.0 / h->width);
    return pos <= 0 ? 0 : (pos >= (double)(h->n_bins - 1) ? h->n_bins - 1 : (size_t)pos);
}

/* Count of bin i without the exact zeros: they quantize without error whatever the range, so
 * they say nothing about where to clip (a ReLU output is often half zeros; as a spike in one bin
 * they would dominate KL and MSE). */
static uint64_t bin_count(const ol_histogram *h, size_t i)
{
    if (i != zero_bin(h))
        return h->counts[i];
    return h->counts[i] > h->zeros ? h->counts[i] - h->zeros : 0;
}

/* The histogram of |x| over [0, amax) in n bins of *width. */
static double *abs_grid(const ol_histogram *h, size_t n, double *width)
{
    double amax = fmax(fabs(h->min), fabs(h->max));
    double *grid = calloc(n, sizeof *grid);
    if (!grid)
        return NULL;
    *width = amax / (double)n;
    if (!(*width > 0)) {
        grid[0] = (double)(h->total - h->zeros);
        *width = 1;
        return grid;
    }
    for (size_t i = 0; i < h->n_bins; i++) {
        double c = (double)bin_count(h, i);
        if (c <= 0)
            continue;
        /* Clip the bin to the values actually seen: the first and last bins are wider. */
        double a = fmax(h->lo + (double)i * h->width, h->min);
        double b = fmin(h->lo + (double)(i + 1) * h->width, h->max);
        if (b < a)
            b = a;
        if (a >= 0) {
            spread(grid, n, *width, a, b, c);
        } else if (b <= 0) {
            spread(grid, n, *width, -b, -a, c);
        } else {
            spread(grid, n, *width, 0, -a, c * -a / (b - a));
            spread(grid, n, *width, 0, b, c * b / (b - a));
        }
    }
    return grid;
}

/* The value below which a fraction q of the mass of `grid` (n bins of `width` from `origin`) lies. */
static double quantile(const double *grid, size_t n, double origin, double width, double q)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += grid[i];
    double target = q * total, seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (grid[i] > 0 && seen + grid[i] >= target)
            return origin + width * ((double)i + (target - seen) / grid[i]);
        seen += grid[i];
    }
    return origin + width * (double)n;
}

static void percentile_range(const ol_histogram *h, const ol_range_options *o, double *lo, double *hi)
{
    double q = o->percentile / 100.0;
    if (o->symmetric) {
        double width;
        double *grid = abs_grid(h, h->n_bins, &width);
        if (!grid)
            return;
        double t = quantile(grid, h->n_bins, 0, width, q);
        free(grid);
        *lo = fmax(h->min, -t);
        *hi = fmin(h->max, t);
        return;
    }
    double *grid = malloc(h->n_bins * sizeof *grid);
    if (!grid)
        return;
    for (size_t i = 0; i < h->n_bins; i++)
        grid[i] = (double)h->counts[i];
    *lo = fmax(h->min, quantile(grid, h->n_bins, h->lo, h->width, 1 - q));
    *hi = fmin(h->max, quantile(grid, h->n_bins, h->lo, h->width, q));
    free(grid);
}

/* Makes `p` (n entries summing to `sum`) a distribution without zeros: zeros get `eps` taken
 * evenly from the others (as TensorRT's and onnxruntime's calibrators smooth). False when all
 * entries are zero. */
static bool smooth(double *p, size_t n, double sum)
{
    const double eps = 1e-4;
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++)
        zeros += p[i] == 0;
    if (zeros == n || sum <= 0)
        return false;
    double take = eps * (double)zeros / (double)(n - zeros);
    for (size_t i = 0; i < n; i++)
        p[i] = p[i] == 0 ? eps : p[i] / sum - take;
    return true;
}

/* The threshold on |x| minimizing KL(P || Q), where P is the histogram cut at the threshold with
 * the tail folded into its last bin and Q is P's bins merged into `levels` quantization levels
 * and spread back over the bins that were non-zero. */
static double kl_threshold(const double *grid, size_t n, double width, size_t levels)
{
    double *p = malloc(n * sizeof *p), *qd = malloc(n * sizeof *qd);
    double best = (double)n * width, best_kl = INFINITY;
    if (!p || !qd || levels >= n) {
        free(p);
        free(qd);
        return best;
    }
    double beyond = 0;   /* mass of bins i.. */
    for (size_t k = levels; k < n; k++)
        beyond += grid[k];
    for (size_t i = levels; i <= n; beyond -= i < n ? grid[i] : 0, i++) {
        /* P: the first i bins, everything beyond folded into bin i - 1. */
        double p_sum = 0;
        for (size_t k = 0; k < i; k++)
            p_sum += (p[k] = grid[k]);
        p[i - 1] += beyond;
        p_sum += beyond;
        /* Q: the first i bins (without the tail) merged into `levels` groups. */
        double q_sum = 0;
        for (size_t j = 0; j < levels; j++) {
            size_t start = j * i / levels, end = (j + 1) * i / levels;
            double s = 0;
            size_t nonzero = 0;
            for (size_t k = start; k < end; k++) {
                s += grid[k];
                nonzero += grid[k] != 0;
            }
            for (size_t k = start; k < end; k++)
                qd[k] = grid[k] != 0 ? s / (double)nonzero : 0;
            q_sum += s;
        }
        if (!smooth(p, i, p_sum) || !smooth(qd, i, q_sum))
            continue;
        double kl = 0;
        for (size_t k = 0; k < i; k++)
            if (p[k] > 0 && qd[k] > 0)
                kl += p[k] * log(p[k] / qd[k]);
        if (kl < best_kl) {
            best_kl = kl;
            best = (double)i * width;
        }
    }
    free(p);
    free(qd);
    return best;
}

/* Values per bin the KL search wants on average: a sparse histogram is mostly noise, which the
 * merged distribution Q smooths away, and KL then favours thresholds that merge little. */
#define KL_VALUES_PER_BIN 16

static void entropy_range(const ol_histogram *h, const ol_range_options *o, double *lo, double *hi)
{
    /* One-signed data uses every level of an asymmetric type on one side; data of both signs,
     * or a symmetric type, has half of them on each side. */
    bool one_sided = h->min >= 0 || h->max <= 0;
    size_t levels = (size_t)1 << (o->symmetric || !one_sided ? o->bits - 1 : o->bits);
    size_t n = (size_t)(h->total / KL_VALUES_PER_BIN) & ~(size_t)1;
    if (n < 2 * levels)
        n = 2 * levels;
    if (n > h->n_bins)
        n = h->n_bins;
    double width;
    double *grid = abs_grid(h, n, &width);
    if (!grid)
        return;
    double t = kl_threshold(grid, n, width, levels);
    free(grid);
    *lo = fmax(h->min, -t);
    *hi = fmin(h->max, t);
}

/* Expected squared error of quantizing the histogram's mass over [a, b] with `levels` levels:
 * clipping for bin centres outside, uniform rounding noise (step^2 / 12) inside. */
static double mse_of(const ol_histogram *h, double a, double b, double levels)
{
    double step = (b - a) / (levels - 1), noise = step * step / 12, total = 0;
    for (size_t i = 0; i < h->n_bins; i++) {
        uint64_t count = bin_count(h, i);
        if (!count)
            continue;
        double c = h->lo + ((double)i + 0.5) * h->width, e;
        if (c < a)
            e = (a - c) * (a - c);
        else if (c > b)
            e = (c - b) * (c - b);
        else
            e = noise;
        total += (double)count * e;
    }
    return total;
}

#define MSE_STEPS 200

static void mse_range(const ol_histogram *h, const ol_range_options *o, double *lo, double *hi)
{
    double levels = (double)((1u << o->bits) - (o->symmetric ? 1 : 0));
    double amax = fmax(fabs(h->min), fabs(h->max));
    /* The range the quantizer will use for a candidate clip [a, b]: zero always representable,
     * symmetric around it when asked. */
    double base_lo = o->symmetric ? -amax : fmin(h->min, 0), base_hi = o->symmetric ? amax : fmax(h->max, 0);
    double best_a = base_lo, best_b = base_hi, best = INFINITY;
    for (int k = 1; k <= MSE_STEPS; k++) {
        double alpha = (double)k / MSE_STEPS, e = mse_of(h, base_lo * alpha, base_hi * alpha, levels);
        if (e < best) {
            best = e;
            best_a = base_lo * alpha;
            best_b = base_hi * alpha;
        }
    }
    if (!o->symmetric) {
        /* Then each end on its own, the other held: skewed data wants unequal cuts. */
        double fixed_b = best_b;
        for (int k = 1; k <= MSE_STEPS; k++) {
            double a = base_lo * k / MSE_STEPS, e = mse_of(h, a, fixed_b, levels);
            if (e < best) {
                best = e;
                best_a = a;
            }
        }
        double fixed_a = best_a;
        for (int k = 1; k <= MSE_STEPS; k++) {
            double b = base_hi * k / MSE_STEPS, e = mse_of(h, fixed_a, b, levels);
            if (e < best) {
                best = e;
                best_b = b;
            }
        }
    }
    *lo = fmax(h->min, best_a);
    *hi = fmin(h->max, best_b);
}

void ol_histogram_range(const ol_histogram *h, const ol_range_options *options, double *lo, double *hi)
{
    if (h->total == 0) {
        *lo = *hi = 0;
        return;
    }
    *lo = h->min;
    *hi = h->max;
    if (!h->n_bins || h->min == h->max)
        return;
    switch (options->method) {
    case OL_CALIB_MINMAX: break;
    case OL_CALIB_PERCENTILE: percentile_range(h, options, lo, hi); break;
    case OL_CALIB_ENTROPY: entropy_range(h, options, lo, hi); break;
    case OL_CALIB_MSE: mse_range(h, options, lo, hi); break;
    }
    if (*lo > *hi)
        *lo = *hi = (*lo + *hi) / 2;
}
