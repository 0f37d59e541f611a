/* Calibration observers: the streaming histogram (fixed bins, exact pairwise merging when the
 * range grows) and the range each method picks from it. Expected values are derived by hand in
 * the comments, or are properties every correct range has (inside the extremes, clipping the
 * outliers a method exists to clip). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "quant/histogram.h"

static ol_histogram make(size_t bins)
{
    ol_histogram h;
    ol_error err = {0};
    cr_assert_eq(ol_histogram_init(&h, bins, &err), OL_OK, "%s", err.message);
    return h;
}

static uint64_t sum(const ol_histogram *h)
{
    uint64_t s = 0;
    for (size_t i = 0; i < h->n_bins; i++)
        s += h->counts[i];
    return s;
}

/* Deterministic standard normal samples (Box-Muller over a 64-bit LCG). */
static void normals(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i += 2) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u1 = ((seed >> 11) + 1.0) / 9007199254740993.0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u2 = (seed >> 11) / 9007199254740992.0;
        double r = sqrt(-2 * log(u1));
        x[i] = (float)(r * cos(2 * M_PI * u2));
        if (i + 1 < n)
            x[i + 1] = (float)(r * sin(2 * M_PI * u2));
    }
}

Test(quant_histogram, odd_bin_count_is_refused)
{
    ol_histogram h;
    ol_error err = {0};
    cr_assert_eq(ol_histogram_init(&h, 7, &err), OL_ERR_ARG);
    cr_assert(strstr(err.message, "even"), "%s", err.message);
}

Test(quant_histogram, minmax_is_exact_and_skips_non_finite)
{
    ol_histogram h = make(0);
    float a[] = {0.5f, -3.25f, NAN, 2.0f}, b[] = {INFINITY, 7.75f, -INFINITY};
    ol_histogram_add(&h, a, 4);
    ol_histogram_add(&h, b, 3);
    cr_assert_eq(h.min, -3.25);
    cr_assert_eq(h.max, 7.75);
    cr_assert_eq(h.total, 4);
    cr_assert_eq(h.non_finite, 3);
    double lo, hi;
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_MINMAX, .bits = 8}, &lo, &hi);
    cr_assert_eq(lo, -3.25);
    cr_assert_eq(hi, 7.75);
    ol_histogram_clear(&h);
}

/* The same over a long array, whose values go through the vector lanes and the tail: each lane
 * meets NaN, infinities and zeros, and the extremes sit in different lanes and in the tail. */
Test(quant_histogram, minmax_of_a_long_array_matches_a_plain_scan)
{
    enum { N = 16 * 1000 + 7 };
    float *x = malloc(N * sizeof *x);
    cr_assert(x);
    normals(x, N - 1, 11);
    x[N - 1] = 0.25f;
    for (size_t i = 0; i < N; i += 37)
        x[i] = (i / 37) % 3 == 0 ? NAN : (i / 37) % 3 == 1 ? INFINITY : -INFINITY;
    for (size_t i = 5; i < N; i += 41)
        x[i] = 0.0f;
    x[1234] = -99.5f;   /* lane 2 */
    x[N - 3] = 77.25f;  /* the tail */
    double lo = INFINITY, hi = -INFINITY;
    uint64_t finite = 0, zeros = 0;
    for (size_t i = 0; i < N; i++) {
        if (!isfinite(x[i]))
            continue;
        finite++;
        zeros += x[i] == 0.0f;
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    ol_histogram h = make(0);
    ol_histogram_add(&h, x, N);
    cr_expect_eq(h.min, -99.5);
    cr_expect_eq(h.max, 77.25);
    cr_expect_eq(h.min, lo);
    cr_expect_eq(h.max, hi);
    cr_expect_eq(h.total, finite);
    cr_expect_eq(h.zeros, zeros);
    cr_expect_eq(h.non_finite, N - finite);
    ol_histogram_clear(&h);
    free(x);
}

/* 4 bins. {0.5, 1.5, 2.5, 3.5}: grid lo 0.5, width 0.75, positions 0, 1.33, 2.67, 4 (the top edge,
 * last bin): counts {1, 1, 1, 1}. Then 6.5 doubles the width to the right (range [0.5, 6.5]):
 * pairs merge to {2, 2, 0, 0} and 6.5 lands on the top edge: {2, 2, 0, 1}. Then -5.5 doubles it
 * to the left: lo 0.5 - 4 * 1.5 = -5.5, width 3, old bins merged into the upper half {0, 0, 4, 1},
 * and -5.5 in bin 0: {1, 0, 4, 1}. */
Test(quant_histogram, growth_merges_bins_pairwise)
{
    ol_histogram h = make(4);
    ol_histogram_add(&h, (float[]){0.5f, 1.5f, 2.5f, 3.5f}, 4);
    cr_assert_eq(h.lo, 0.5);
    cr_assert_eq(h.width, 0.75);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(h.counts[i], 1, "bin %d", i);
    ol_histogram_add(&h, (float[]){6.5f}, 1);
    cr_assert_eq(h.lo, 0.5);
    cr_assert_eq(h.width, 1.5);
    uint64_t right[] = {2, 2, 0, 1};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(h.counts[i], right[i], "bin %d: %llu", i, (unsigned long long)h.counts[i]);
    ol_histogram_add(&h, (float[]){-5.5f}, 1);
    cr_assert_eq(h.lo, -5.5);
    cr_assert_eq(h.width, 3.0);
    uint64_t left[] = {1, 0, 4, 1};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(h.counts[i], left[i], "bin %d: %llu", i, (unsigned long long)h.counts[i]);
    ol_histogram_clear(&h);
}

/* However many values and however far the range grows, the histogram keeps its bins and its
 * memory, counts every value once, and covers every value seen. */
Test(quant_histogram, memory_stays_bounded_as_the_range_grows)
{
    ol_histogram h = make(2048);
    uint64_t *counts = h.counts;
    float batch[1000];
    uint64_t added = 0;
    for (int b = 0; b < 200; b++) {
        normals(batch, 1000, (uint64_t)b + 1);
        float spread = powf(1.1f, (float)b);   /* each batch wider than the last */
        for (int i = 0; i < 1000; i++)
            batch[i] = batch[i] * spread + (b % 2 ? 1 : -1) * (float)b;
        ol_histogram_add(&h, batch, 1000);
        added += 1000;
        cr_assert_eq(h.n_bins, 2048);
        cr_assert_eq(h.counts, counts);
        cr_assert_eq(sum(&h), added);
        cr_assert(h.lo <= h.min && h.max <= h.lo + 2048 * h.width);
    }
    ol_histogram_clear(&h);
}

/* A constant first batch gets a tiny grid that the next batch widens. */
Test(quant_histogram, constant_first_batch)
{
    ol_histogram h = make(8);
    ol_histogram_add(&h, (float[]){2, 2, 2}, 3);
    ol_histogram_add(&h, (float[]){-1, 5}, 2);
    cr_assert_eq(sum(&h), 5);
    cr_assert_eq(h.min, -1);
    cr_assert_eq(h.max, 5);
    cr_assert(h.lo <= -1 && h.lo + 8 * h.width >= 5);
    ol_histogram_clear(&h);
}

/* 0, 1, ..., 9999 in 2000 bins of 5: the 99th percentile of the upper tail is 9899 and the lower
 * one 99 (the values below which 99% and 1% lie), within one bin. */
Test(quant_histogram, percentile_cuts_both_tails)
{
    ol_histogram h = make(2000);
    float *x = malloc(10000 * sizeof *x);
    for (int i = 0; i < 10000; i++)
        x[i] = (float)i;
    ol_histogram_add(&h, x, 10000);
    double lo, hi;
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_PERCENTILE, .percentile = 99, .bits = 8},
                       &lo, &hi);
    cr_assert(fabs(hi - 9899) <= 5.1, "hi %g", hi);
    cr_assert(fabs(lo - 99) <= 5.1, "lo %g", lo);
    /* Symmetric: 99% of |x| lies below 9899 as well; the range is clipped to the values seen. */
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_PERCENTILE, .percentile = 99, .bits = 8,
                                               .symmetric = true}, &lo, &hi);
    cr_assert(fabs(hi - 9899) <= 5.1, "hi %g", hi);
    cr_assert_eq(lo, 0);
    free(x);
    ol_histogram_clear(&h);
}

/* 100,000 standard normal values and 20 outliers at 50: minmax keeps the outliers; entropy, MSE
 * and the 99.9th percentile (100 values cut at each end, the 20 outliers among them) clip them
 * and keep the bulk. */
static ol_histogram outliers(void)
{
    ol_histogram h = make(2048);
    float *x = malloc(100000 * sizeof *x);
    normals(x, 100000, 7);
    ol_histogram_add(&h, x, 100000);
    for (int i = 0; i < 20; i++)
        x[i] = 50;
    ol_histogram_add(&h, x, 20);
    free(x);
    return h;
}

static void check_clips(ol_calib_method method, bool symmetric)
{
    ol_histogram h = outliers();
    double lo, hi;
    ol_histogram_range(&h, &(ol_range_options){.method = method, .percentile = 99.9, .bits = 8,
                                               .symmetric = symmetric}, &lo, &hi);
    cr_assert(hi < 25 && hi > 2, "method %d: hi %g", method, hi);
    cr_assert(lo > -25 && lo < -2, "method %d: lo %g", method, lo);
    cr_assert(lo >= h.min && hi <= h.max);
    ol_histogram_clear(&h);
}

Test(quant_histogram, entropy_clips_outliers) { check_clips(OL_CALIB_ENTROPY, false); }
Test(quant_histogram, entropy_symmetric_clips_outliers) { check_clips(OL_CALIB_ENTROPY, true); }

/* MSE weighs clipping against rounding. Over [-4.5, 50] with 256 levels the step is 0.214, a
 * rounding error of step^2 / 12 = 0.0038 per value. With 100,000 normal values that is 380, less
 * than clipping 20 outliers at 50 to about 4.5 costs (20 x 45.5^2 = 41,405): the range stays.
 * With 1,000,000 values and one outlier, rounding costs 3,806 and clipping about 2,070 plus the
 * finer step's 1e-4 per value (100): the range is cut. */
static void check_mse(bool symmetric)
{
    ol_histogram h = outliers();
    double lo, hi;
    ol_range_options o = {.method = OL_CALIB_MSE, .bits = 8, .symmetric = symmetric};
    ol_histogram_range(&h, &o, &lo, &hi);
    cr_assert(hi > 45, "kept outliers: hi %g", hi);
    ol_histogram_clear(&h);
    h = make(2048);
    float *x = malloc(1000000 * sizeof *x);
    normals(x, 1000000, 11);
    x[0] = 50;
    ol_histogram_add(&h, x, 1000000);
    free(x);
    ol_histogram_range(&h, &o, &lo, &hi);
    cr_assert(hi < 25 && hi > 2, "one outlier in a million: hi %g", hi);
    cr_assert(lo > -25 && lo < -2, "lo %g", lo);
    ol_histogram_clear(&h);
}

Test(quant_histogram, mse_weighs_clipping_against_rounding) { check_mse(false); }
Test(quant_histogram, mse_symmetric_weighs_clipping_against_rounding) { check_mse(true); }
Test(quant_histogram, percentile_clips_outliers) { check_clips(OL_CALIB_PERCENTILE, false); }

/* Uniform values on [0, 1] have no outliers: clipping only adds error, so MSE and entropy keep
 * (nearly) the whole range. */
Test(quant_histogram, uniform_data_keeps_its_range)
{
    ol_histogram h = make(2048);
    float *x = malloc(65536 * sizeof *x);
    for (int i = 0; i < 65536; i++)
        x[i] = (float)i / 65535.0f;
    ol_histogram_add(&h, x, 65536);
    free(x);
    double lo, hi;
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_MSE, .bits = 8}, &lo, &hi);
    cr_assert(hi > 0.97 && lo == 0, "mse [%g, %g]", lo, hi);
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_ENTROPY, .bits = 8}, &lo, &hi);
    cr_assert(hi > 0.9 && lo == 0, "entropy [%g, %g]", lo, hi);
    ol_histogram_clear(&h);
}

Test(quant_histogram, nothing_seen_gives_zero_range)
{
    ol_histogram h = make(16);
    double lo = 1, hi = 1;
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_ENTROPY, .bits = 8}, &lo, &hi);
    cr_assert(lo == 0 && hi == 0);
    ol_histogram_clear(&h);
}

/* A ReLU output: half exact zeros, half |N(0, 1)|. Zeros quantize exactly whatever the range, so
 * they must not pull the range in: as a spike in the first bin they would make any merging of that
 * bin look costly to KL. Both methods keep the bulk (|N(0,1)| < 2 for 95% of values). */
Test(quant_histogram, exact_zeros_do_not_pull_the_range_in)
{
    ol_histogram h = make(2048);
    float *x = malloc(100000 * sizeof *x);
    normals(x, 100000, 5);
    for (int i = 0; i < 100000; i++)
        x[i] = i % 2 ? fabsf(x[i]) : 0;
    ol_histogram_add(&h, x, 100000);
    free(x);
    cr_assert_eq(h.zeros, 50000);
    double lo, hi;
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_ENTROPY, .bits = 8}, &lo, &hi);
    cr_assert(lo == 0 && hi > 2, "entropy [%g, %g]", lo, hi);
    ol_histogram_range(&h, &(ol_range_options){.method = OL_CALIB_MSE, .bits = 8}, &lo, &hi);
    cr_assert(lo == 0 && hi > 2, "mse [%g, %g]", lo, hi);
    ol_histogram_clear(&h);
}
