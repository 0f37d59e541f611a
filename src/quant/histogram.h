/* Streaming observers for calibration: the range of values one tensor takes over a data set, and
 * the clipping range each calibration method picks from it.
 *
 * A histogram has a fixed number of bins however many values it sees, so calibration memory is
 * bounded by (tensors observed) x (bins) whatever the number of samples (the peers' known failure
 * is collecting every activation of every sample). Its bins cover [lo, lo + n_bins * width); a
 * value outside makes the range double, on the side it fell, merging bins pairwise, as often as
 * needed. Merging pairs is exact (no mass is spread by interpolation), so the result depends only
 * on the values and their order of arrival, never on memory.
 *
 * The exact minimum and maximum are tracked too; n_bins 0 keeps only those (the minmax method). */
#ifndef OL_QUANT_HISTOGRAM_H
#define OL_QUANT_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/status.h"

#define OL_HISTOGRAM_DEFAULT_BINS 2048

typedef struct ol_histogram {
    size_t n_bins;        /* even; 0: min/max only */
    uint64_t *counts;
    double lo, width;     /* bin i covers [lo + i * width, lo + (i + 1) * width) */
    double min, max;      /* exact extremes of the finite values seen */
    uint64_t total;       /* finite values seen */
    uint64_t zeros;       /* of which exactly 0 (ReLU outputs, padding): exact in any quantization */
    uint64_t non_finite;  /* NaN and infinities, left out of everything else */
} ol_histogram;

/* n_bins must be 0 or even. */
ol_status ol_histogram_init(ol_histogram *h, size_t n_bins, ol_error *err);
void ol_histogram_clear(ol_histogram *h);
void ol_histogram_add(ol_histogram *h, const float *values, size_t n);

/* How calibration picks a clipping range [lo, hi] from what a tensor took. */
typedef enum ol_calib_method {
    OL_CALIB_MINMAX,      /* the exact extremes */
    OL_CALIB_PERCENTILE,  /* cut each tail at (100 - percentile)% of the values */
    OL_CALIB_ENTROPY,     /* the threshold minimizing the KL divergence between the histogram
                             and its quantized version (TensorRT's method) */
    OL_CALIB_MSE,         /* the range minimizing the expected quantization error (clipping plus
                             rounding) over the histogram */
} ol_calib_method;

typedef struct ol_range_options {
    ol_calib_method method;
    double percentile;    /* OL_CALIB_PERCENTILE: e.g. 99.999 */
    int bits;             /* of the quantized type: 8 */
    bool symmetric;       /* the range will be made symmetric around 0 */
} ol_range_options;

/* The clipping range, always within [h->min, h->max]; [0, 0] when nothing was seen. Methods other
 * than minmax need bins (they fall back to the extremes without). */
void ol_histogram_range(const ol_histogram *h, const ol_range_options *options, double *lo, double *hi);

#endif
