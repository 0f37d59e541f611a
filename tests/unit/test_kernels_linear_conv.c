/* Window geometry, convolution (every kernel path against a direct reference and hand-computed
 * values) and transposed convolution. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/window.h"

static ol_window window_2d(int64_t k, int64_t s, int64_t d, int64_t pad)
{
    ol_window w = {.spatial = 2};
    for (int i = 0; i < 2; i++) {
        w.kernel[i] = k;
        w.stride[i] = s;
        w.dilation[i] = d;
        w.pad_begin[i] = w.pad_end[i] = pad;
    }
    return w;
}

static ol_ktensor view(ol_dtype dtype, void *data, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

/* ---- geometry ---- */

Test(kernels_window, explicit_and_auto_padding)
{
    int64_t in[2] = {7, 5}, out[2];
    ol_window w = window_2d(3, 2, 1, 1);
    cr_assert(ol_window_resolve(&w, in, OL_AUTO_PAD_NOTSET, false, out));
    cr_assert_eq(out[0], 4);
    cr_assert_eq(out[1], 3);

    /* SAME: out = ceil(in / stride); odd total padding goes last (UPPER) or first (LOWER). */
    int64_t in1[2] = {6, 6};
    w = window_2d(4, 2, 1, 0);
    cr_assert(ol_window_resolve(&w, in1, OL_AUTO_PAD_SAME_UPPER, false, out));
    cr_assert_eq(out[0], 3);
    cr_assert_eq(w.pad_begin[0], 1);   /* total (3-1)*2 + 4 - 6 = 2 */
    cr_assert_eq(w.pad_end[0], 1);
    int64_t in2[2] = {5, 5};
    w = window_2d(2, 1, 1, 0);
    cr_assert(ol_window_resolve(&w, in2, OL_AUTO_PAD_SAME_UPPER, false, out));
    cr_assert_eq(out[0], 5);
    cr_assert_eq(w.pad_begin[0], 0);
    cr_assert_eq(w.pad_end[0], 1);
    w = window_2d(2, 1, 1, 0);
    cr_assert(ol_window_resolve(&w, in2, OL_AUTO_PAD_SAME_LOWER, false, out));
    cr_assert_eq(w.pad_begin[0], 1);
    cr_assert_eq(w.pad_end[0], 0);

    /* VALID ignores the pads it was given. */
    w = window_2d(3, 2, 1, 5);
    cr_assert(ol_window_resolve(&w, in2, OL_AUTO_PAD_VALID, false, out));
    cr_assert_eq(out[0], 2);
    cr_assert_eq(w.pad_begin[1], 0);
}

Test(kernels_window, ceil_mode_drops_windows_starting_in_end_padding)
{
    int64_t out[2];
    int64_t in[2] = {4, 4};
    ol_window w = window_2d(3, 2, 1, 0);
    cr_assert(ol_window_resolve(&w, in, OL_AUTO_PAD_NOTSET, true, out));
    cr_assert_eq(out[0], 2);   /* floor mode would give 1 */
    /* in 2, pads 1/1, kernel 3, stride 3: ceil((2+2-3)/3)+1 = 2, but window 2 would start at
     * padded index 3 >= in + pad_begin = 3, so it is dropped. */
    int64_t in2[2] = {2, 2};
    w = window_2d(3, 3, 1, 1);
    cr_assert(ol_window_resolve(&w, in2, OL_AUTO_PAD_NOTSET, true, out));
    cr_assert_eq(out[0], 1);
}

Test(kernels_window, rejects_windows_that_do_not_fit)
{
    int64_t in[2] = {2, 2}, out[2];
    ol_window w = window_2d(3, 1, 1, 0);
    cr_assert_not(ol_window_resolve(&w, in, OL_AUTO_PAD_NOTSET, false, out));
    w = window_2d(2, 1, 2, 0);   /* dilated extent 3 */
    cr_assert_not(ol_window_resolve(&w, in, OL_AUTO_PAD_NOTSET, false, out));
    w = window_2d(2, 0, 1, 0);
    cr_assert_not(ol_window_resolve(&w, in, OL_AUTO_PAD_NOTSET, false, out));
    w = window_2d(2, 1, 1, 0);
    w.pad_begin[0] = -1;
    cr_assert_not(ol_window_resolve(&w, in, OL_AUTO_PAD_NOTSET, false, out));
}

Test(kernels_window, taps_and_inside_ranges)
{
    ol_window w = window_2d(3, 2, 2, 2);
    int64_t b, e;
    /* o = 0 starts at -2: taps at -2, 0, 2 -> inside [0, 5) are k = 1, 2. */
    ol_window_taps(&w, 0, 0, 0, 5, &b, &e);
    cr_assert_eq(b, 1);
    cr_assert_eq(e, 3);
    /* o = 3 starts at 4: taps 4, 6, 8 -> only k = 0. */
    ol_window_taps(&w, 0, 3, 0, 5, &b, &e);
    cr_assert_eq(b, 0);
    cr_assert_eq(e, 1);
    ol_window_taps(&w, 0, 9, 0, 5, &b, &e);
    cr_assert_eq(b, e);
    /* Positions o*2 - 3 inside [0, 6): o in [2, 5). */
    int64_t lo, hi;
    ol_window_inside(-3, 2, 6, 10, &lo, &hi);
    cr_assert_eq(lo, 2);
    cr_assert_eq(hi, 5);
    ol_window_inside(-30, 2, 6, 10, &lo, &hi);
    cr_assert_eq(lo, hi);
}

/* ---- convolution ---- */

Test(kernels_conv, hand_computed_2d_with_bias)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, b[1] = {0.5f}, y[4];
    int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 2, 2}, bd[1] = {1}, yd[4] = {1, 1, 2, 2};
    ol_ktensor xt = view(OL_FLOAT, x, 4, xd), wt = view(OL_FLOAT, w, 4, wd), bt = view(OL_FLOAT, b, 1, bd);
    ol_ktensor yt = view(OL_FLOAT, y, 4, yd);
    ol_conv_params p = {.win = window_2d(2, 1, 1, 0), .group = 1, .threads = 1};
    float scratch[16];
    cr_assert_leq(ol_conv_scratch_bytes(&p, &xt, &wt, &yt), sizeof scratch);
    ol_conv(&p, &xt, &wt, &bt, NULL, &yt, scratch);
    float expected[4] = {12.5f, 16.5f, 24.5f, 28.5f};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], expected[i], 1e-6, "y[%d] = %g", i, y[i]);
}

Test(kernels_conv, hand_computed_padded_stride_2)
{
    /* 3x3 ones kernel over 1..9 with pad 1, stride 2: corners sum their 2x2 neighbourhoods. */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9], y[4];
    for (int i = 0; i < 9; i++)
        w[i] = 1;
    int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 3, 3}, yd[4] = {1, 1, 2, 2};
    ol_ktensor xt = view(OL_FLOAT, x, 4, xd), wt = view(OL_FLOAT, w, 4, wd), yt = view(OL_FLOAT, y, 4, yd);
    ol_conv_params p = {.win = window_2d(3, 2, 1, 1), .group = 1, .threads = 1};
    float scratch[64];
    ol_conv(&p, &xt, &wt, NULL, NULL, &yt, scratch);
    float expected[4] = {12, 16, 24, 28};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], expected[i], 1e-6);
}

/* Direct convolution in double: the reference every path is checked against. */
static void reference_conv(const ol_conv_params *p, const double *x, const int64_t *xd, const double *w,
                           const int64_t *wd, const double *b, double *y, const int64_t *yd)
{
    int S = p->win.spatial;
    int64_t N = xd[0], C = xd[1], M = wd[0], Cg = C / p->group, Mg = M / p->group;
    int64_t in = 1, out = 1, kk = 1;
    for (int d = 0; d < S; d++) {
        in *= xd[2 + d];
        out *= yd[2 + d];
        kk *= wd[2 + d];
    }
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t o = 0; o < out; o++) {
                int64_t opos[8], rest = o;
                for (int d = S - 1; d >= 0; d--) {
                    opos[d] = rest % yd[2 + d];
                    rest /= yd[2 + d];
                }
                double acc = b ? b[m] : 0;
                int64_t g = m / Mg;
                for (int64_t c = 0; c < Cg; c++)
                    for (int64_t k = 0; k < kk; k++) {
                        int64_t kr = k, off = 0;
                        bool inside = true;
                        int64_t kpos[8];
                        for (int d = S - 1; d >= 0; d--) {
                            kpos[d] = kr % wd[2 + d];
                            kr /= wd[2 + d];
                        }
                        for (int d = 0; d < S; d++) {
                            int64_t ip = opos[d] * p->win.stride[d] - p->win.pad_begin[d] +
                                         kpos[d] * p->win.dilation[d];
                            inside = inside && ip >= 0 && ip < xd[2 + d];
                            off = off * xd[2 + d] + ip;
                        }
                        if (inside)
                            acc += x[((n * C) + g * Cg + c) * in + off] * w[(m * Cg + c) * kk + k];
                    }
                y[(n * M + m) * out + o] = acc;
            }
}

static double pseudo_random(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return ((*state >> 8) % 2001) / 1000.0 - 1.0;
}

/* Runs ol_conv in float32 and float64 on pseudo-random data and compares with the reference. */
/* What FusedConv adds after the convolution: an activation and a residual sum input. */
typedef struct fusion {
    ol_conv_activation activation;
    float alpha, beta;
    bool sum;
} fusion;

static double activate(const fusion *f, double v)
{
    switch (f->activation) {
    case OL_CONV_ACT_RELU:
        return v > 0 ? v : 0;
    case OL_CONV_ACT_CLIP:
        return v < f->alpha ? f->alpha : v > f->beta ? f->beta : v;
    case OL_CONV_ACT_LEAKY_RELU:
        return v >= 0 ? v : f->alpha * v;
    case OL_CONV_ACT_SIGMOID:
        return 1 / (1 + exp(-v));
    case OL_CONV_ACT_TANH:
        return tanh(v);
    case OL_CONV_ACT_HARD_SIGMOID:
        return fmax(0, fmin(1, f->alpha * v + f->beta));
    case OL_CONV_ACT_HARD_SWISH:
        return v * fmax(0, fmin(1, f->alpha * v + f->beta));
    case OL_CONV_ACT_SWISH:
        return v / (1 + exp(-v));
    default:
        return v;
    }
}

static void check_fused(int S, const int64_t *xd, int64_t M, int64_t group, const int64_t *k, const int64_t *s,
                        const int64_t *dil, const int64_t *pb, const int64_t *pe, bool bias, int threads,
                        const fusion *f)
{
    ol_conv_params p = {.group = group, .threads = threads, .activation = f->activation, .alpha = f->alpha,
                        .beta = f->beta};
    p.win.spatial = S;
    for (int d = 0; d < S; d++) {
        p.win.kernel[d] = k[d];
        p.win.stride[d] = s[d];
        p.win.dilation[d] = dil[d];
        p.win.pad_begin[d] = pb[d];
        p.win.pad_end[d] = pe[d];
    }
    int64_t wd[8] = {M, xd[1] / group}, yd[8] = {xd[0], M};
    for (int d = 0; d < S; d++)
        wd[2 + d] = k[d];
    cr_assert(ol_window_resolve(&p.win, xd + 2, OL_AUTO_PAD_NOTSET, false, yd + 2));
    int64_t nx = 1, nw = 1, ny = 1;
    for (int d = 0; d < S + 2; d++) {
        nx *= xd[d];
        nw *= wd[d];
        ny *= yd[d];
    }
    double *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(M * sizeof *b);
    double *expected = malloc(ny * sizeof *expected), *y64 = malloc(ny * sizeof *y64);
    float *xf = malloc(nx * sizeof *xf), *wf = malloc(nw * sizeof *wf), *bf = malloc(M * sizeof *bf);
    float *yf = malloc(ny * sizeof *yf);
    unsigned seed = 7;
    for (int64_t i = 0; i < nx; i++)
        xf[i] = (float)(x[i] = pseudo_random(&seed));
    for (int64_t i = 0; i < nw; i++)
        wf[i] = (float)(w[i] = pseudo_random(&seed));
    for (int64_t i = 0; i < M; i++)
        bf[i] = (float)(b[i] = pseudo_random(&seed));
    reference_conv(&p, x, xd, w, wd, bias ? b : NULL, expected, yd);
    double *sum = malloc(ny * sizeof *sum);
    float *sumf = malloc(ny * sizeof *sumf);
    for (int64_t i = 0; i < ny; i++) {
        sumf[i] = (float)(sum[i] = f->sum ? pseudo_random(&seed) : 0);
        expected[i] = activate(f, expected[i] + sum[i]);
    }

    ol_ktensor xt = view(OL_FLOAT, xf, S + 2, xd), wt = view(OL_FLOAT, wf, S + 2, wd);
    ol_ktensor bt = view(OL_FLOAT, bf, 1, &M), yt = view(OL_FLOAT, yf, S + 2, yd);
    ol_ktensor st = view(OL_FLOAT, sumf, S + 2, yd);
    /* As given, then with the weights prepared (ol_conv_pack: transformed and packed once), on the
     * packed GEMM kernel and on the portable path. */
    for (int variant = 0; variant < 3; variant++) {
        ol_conv_packed packed = {0};
        bool portable = variant == 2;
        ol_sgemm_force_portable(portable);
        p.packed = NULL;
        if (variant > 0) {
            cr_assert(ol_conv_pack(&p, &xt, &wt, &packed));
            p.packed = &packed;
        }
        memset(yf, 0, (size_t)ny * sizeof *yf);
        void *scratch = malloc(ol_conv_scratch_bytes(&p, &xt, &wt, &yt) + 1);
        ol_conv(&p, &xt, &wt, bias ? &bt : NULL, f->sum ? &st : NULL, &yt, scratch);
        for (int64_t i = 0; i < ny; i++)
            cr_assert(fabs(yf[i] - expected[i]) <= 1e-4 * (1 + fabs(expected[i])),
                      "f32 (variant %d) y[%lld] = %g, expected %g", variant, (long long)i, yf[i], expected[i]);
        free(scratch);
        ol_conv_packed_free(&packed);
        ol_sgemm_force_portable(false);
    }
    p.packed = NULL;

    ol_ktensor xt64 = view(OL_DOUBLE, x, S + 2, xd), wt64 = view(OL_DOUBLE, w, S + 2, wd);
    ol_ktensor bt64 = view(OL_DOUBLE, b, 1, &M), yt64 = view(OL_DOUBLE, y64, S + 2, yd);
    ol_ktensor st64 = view(OL_DOUBLE, sum, S + 2, yd);
    void *scratch = malloc(ol_conv_scratch_bytes(&p, &xt64, &wt64, &yt64) + 1);
    ol_conv(&p, &xt64, &wt64, bias ? &bt64 : NULL, f->sum ? &st64 : NULL, &yt64, scratch);
    for (int64_t i = 0; i < ny; i++)
        cr_assert(fabs(y64[i] - expected[i]) <= 1e-12 * (1 + fabs(expected[i])), "f64 y[%lld]", (long long)i);
    free(scratch);
    free(x), free(w), free(b), free(expected), free(y64), free(xf), free(wf), free(bf), free(yf), free(sum), free(sumf);
}

static void check_conv(int S, const int64_t *xd, int64_t M, int64_t group, const int64_t *k, const int64_t *s,
                       const int64_t *dil, const int64_t *pb, const int64_t *pe, bool bias, int threads)
{
    fusion none = {OL_CONV_ACT_NONE, 0, 0, false};
    check_fused(S, xd, M, group, k, s, dil, pb, pe, bias, threads, &none);
}

Test(kernels_conv, pointwise_and_im2col_paths_match_reference)
{
    int64_t xd[4] = {2, 5, 6, 7}, one[2] = {1, 1}, zero[2] = {0, 0};
    check_conv(2, xd, 4, 1, one, one, one, zero, zero, true, 1);   /* 1x1: no im2col */
    int64_t k3[2] = {3, 3}, s2[2] = {2, 1}, d2[2] = {1, 2}, pb[2] = {1, 0}, pe[2] = {2, 1};
    check_conv(2, xd, 3, 1, k3, s2, d2, pb, pe, true, 1);
    int64_t k2[2] = {2, 3}, s1[2] = {1, 3};
    check_conv(2, xd, 6, 1, k2, s1, one, pb, zero, false, 2);
    int64_t xg[4] = {1, 6, 5, 5};
    check_conv(2, xg, 4, 2, k3, one, one, one, one, true, 1);   /* grouped, GEMM per group */
    /* More input channels than the packed GEMM's K block and more positions than its N block. */
    int64_t big[4] = {1, 300, 30, 20};
    check_conv(2, big, 13, 1, one, one, one, zero, zero, true, 2);
}

Test(kernels_conv, winograd_path_matches_reference)
{
    /* 3x3 stride 1 with >= 16 channels each way and >= 400 outputs: Winograd F(2x2, 3x3), with odd
     * output sizes (half tiles at the edges) and asymmetric padding. */
    int64_t xd[4] = {2, 16, 21, 23}, k3[2] = {3, 3}, one[2] = {1, 1}, pb[2] = {1, 0}, pe[2] = {0, 2};
    ol_conv_params p = {.group = 1, .win = window_2d(3, 1, 1, 1)};
    float dummy;
    int64_t wd[4] = {17, 16, 3, 3};
    ol_ktensor xt = view(OL_FLOAT, &dummy, 4, xd), wt = view(OL_FLOAT, &dummy, 4, wd);
    cr_assert(ol_conv_winograd_applies(&p, &xt, &wt));
    check_conv(2, xd, 17, 1, k3, one, one, one, one, true, 1);
    check_conv(2, xd, 16, 1, k3, one, one, pb, pe, false, 2);
}

/* Small maps in a batch go to threads image by image (each single-threaded): the bits must be those
 * of one thread, for a batch that does not divide among the threads, with a sum and an activation,
 * on prepared and unprepared weights. */
Test(kernels_conv, winograd_images_side_by_side_match_one_thread_bit_for_bit)
{
    int64_t xd[4] = {3, 16, 14, 14}, wd[4] = {24, 16, 3, 3}, yd[4] = {3, 24, 14, 14};
    int64_t nx = 3 * 16 * 14 * 14, nw = 24 * 16 * 9, ny = 3 * 24 * 14 * 14;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(24 * sizeof *b);
    float *sum = malloc(ny * sizeof *sum), *y[2] = {malloc(ny * sizeof(float)), malloc(ny * sizeof(float))};
    unsigned seed = 11;
    for (int64_t i = 0; i < nx; i++)
        x[i] = (float)pseudo_random(&seed);
    for (int64_t i = 0; i < nw; i++)
        w[i] = (float)pseudo_random(&seed);
    for (int64_t i = 0; i < 24; i++)
        b[i] = (float)pseudo_random(&seed);
    for (int64_t i = 0; i < ny; i++)
        sum[i] = (float)pseudo_random(&seed);
    int64_t m = 24;
    ol_ktensor xt = view(OL_FLOAT, x, 4, xd), wt = view(OL_FLOAT, w, 4, wd), bt = view(OL_FLOAT, b, 1, &m);
    ol_ktensor st = view(OL_FLOAT, sum, 4, yd);
    for (int prepared = 0; prepared < 2; prepared++) {
        for (int threads = 1; threads <= 2; threads++) {
            ol_conv_params p = {.group = 1, .win = window_2d(3, 1, 1, 1), .threads = threads,
                                .activation = OL_CONV_ACT_RELU};
            ol_conv_packed packed = {0};
            ol_ktensor yt = view(OL_FLOAT, y[threads - 1], 4, yd);
            cr_assert(ol_conv_winograd_applies(&p, &xt, &wt));
            if (prepared) {
                cr_assert(ol_conv_pack(&p, &xt, &wt, &packed));
                p.packed = &packed;
            }
            void *scratch = malloc(ol_conv_scratch_bytes(&p, &xt, &wt, &yt) + 1);
            ol_conv(&p, &xt, &wt, &bt, &st, &yt, scratch);
            free(scratch);
            ol_conv_packed_free(&packed);
        }
        cr_expect_eq(memcmp(y[0], y[1], (size_t)ny * sizeof(float)), 0, "prepared %d: 2 threads differ", prepared);
    }
    free(x), free(w), free(b), free(sum), free(y[0]), free(y[1]);
}

Test(kernels_conv, kn2row_path_matches_reference)
{
    /* Stride 1, at most half as many outputs as inputs, too few channels for Winograd. */
    int64_t xd[4] = {2, 8, 6, 9}, k3[2] = {3, 3}, k2[2] = {2, 3}, one[2] = {1, 1}, d2[2] = {2, 1};
    int64_t pb[2] = {2, 0}, pe[2] = {0, 1};
    ol_conv_params p = {.group = 1, .win = window_2d(3, 1, 1, 1)};
    float dummy;
    int64_t wd[4] = {4, 8, 3, 3};
    ol_ktensor xt = view(OL_FLOAT, &dummy, 4, xd), wt = view(OL_FLOAT, &dummy, 4, wd);
    cr_assert(ol_conv_kn2row_applies(&p, &xt, &wt));
    cr_assert_not(ol_conv_winograd_applies(&p, &xt, &wt));
    check_conv(2, xd, 4, 1, k3, one, one, one, one, true, 1);
    check_conv(2, xd, 3, 1, k2, one, d2, pb, pe, false, 2);   /* dilated, asymmetric pads */
    int64_t x1[3] = {1, 6, 11}, k1[1] = {3}, s1[1] = {1}, p1[1] = {1};
    check_conv(1, x1, 3, 1, k1, s1, s1, p1, s1, true, 1);      /* 1-D */
}

Test(kernels_conv, fused_activation_and_sum_on_every_path)
{
    int64_t one[2] = {1, 1}, two[2] = {2, 2}, zero[2] = {0, 0}, k3[2] = {3, 3}, k5[2] = {5, 5};
    fusion fusions[] = {
        {OL_CONV_ACT_RELU, 0, 0, true},         {OL_CONV_ACT_CLIP, -0.3f, 0.4f, false},
        {OL_CONV_ACT_LEAKY_RELU, 0.1f, 0, true}, {OL_CONV_ACT_SIGMOID, 0, 0, false},
        {OL_CONV_ACT_TANH, 0, 0, true},          {OL_CONV_ACT_HARD_SIGMOID, 0.3f, 0.4f, false},
        {OL_CONV_ACT_HARD_SWISH, 0.25f, 0.4f, true}, {OL_CONV_ACT_SWISH, 0, 0, false},
        {OL_CONV_ACT_NONE, 0, 0, true},
    };
    int64_t pointwise[4] = {1, 6, 5, 7}, small[4] = {2, 8, 6, 9}, wino[4] = {1, 16, 21, 23};
    int64_t wino_batch[4] = {3, 16, 12, 10};
    int64_t dw_wide[4] = {1, 2, 5, 70}, dw_small[4] = {2, 3, 9, 11};
    for (size_t i = 0; i < sizeof fusions / sizeof *fusions; i++) {
        const fusion *f = &fusions[i];
        check_fused(2, pointwise, 4, 1, one, one, one, zero, zero, true, 1, f);     /* GEMM on x */
        check_fused(2, small, 5, 1, k3, two, one, one, one, true, 1, f);            /* im2col */
        check_fused(2, small, 4, 1, k3, one, one, one, one, false, 1, f);           /* kn2row */
        check_fused(2, wino, 17, 1, k3, one, one, one, one, true, 1, f);            /* Winograd */
        check_fused(2, wino_batch, 17, 1, k3, one, one, one, one, true, 2, f);      /* images side by side */
        check_fused(2, dw_wide, 2, 2, k3, one, one, one, one, true, 1, f);          /* depthwise 3x3 */
        check_fused(2, dw_small, 3, 3, k5, one, one, two, two, true, 2, f);         /* depthwise phased */
    }
}

Test(kernels_conv, depthwise_paths_match_reference)
{
    int64_t one[2] = {1, 1}, two[2] = {2, 2};
    int64_t xd[4] = {2, 3, 9, 11}, k3[2] = {3, 3}, k5[2] = {5, 5}, wide[4] = {1, 2, 5, 70};
    check_conv(2, wide, 2, 2, k3, one, one, one, one, true, 1);  /* 3x3 stride 1, register path */
    check_conv(2, wide, 2, 2, k3, two, one, one, one, true, 2);  /* 3x3 stride 2, register path */
    check_conv(2, xd, 3, 3, k3, one, one, one, one, true, 1);    /* 3x3 stride 1, phased */
    check_conv(2, xd, 3, 3, k3, two, one, one, one, true, 2);    /* 3x3 stride 2, phased */
    int64_t pb[2] = {0, 2}, pe[2] = {1, 0};
    check_conv(2, xd, 3, 3, k3, two, one, pb, pe, false, 1);     /* asymmetric pads */
    check_conv(2, xd, 3, 3, k5, one, one, two, two, true, 1);    /* generic kernel */
    check_conv(2, xd, 3, 3, k3, one, two, two, two, true, 1);    /* dilated */
    int64_t narrow[4] = {1, 2, 4, 2};                            /* narrower than the kernel */
    check_conv(2, narrow, 2, 2, k3, one, one, one, one, true, 1);
    int64_t mult[4] = {1, 2, 5, 5};                              /* channel multiplier 2: grouped */
    check_conv(2, mult, 4, 2, k3, one, one, one, one, true, 1);
}

Test(kernels_conv, one_and_three_spatial_axes_match_reference)
{
    int64_t x1[3] = {2, 3, 10}, k[3] = {3, 2, 2}, s[3] = {2, 1, 2}, d[3] = {2, 1, 1}, pb[3] = {1, 0, 1},
            pe[3] = {2, 1, 0};
    check_conv(1, x1, 4, 1, k, s, d, pb, pe, true, 1);
    int64_t x1d[3] = {1, 4, 9};
    check_conv(1, x1d, 4, 4, k, s, d, pb, pe, true, 1);          /* 1-D depthwise */
    int64_t x3[5] = {1, 2, 4, 5, 6};
    check_conv(3, x3, 3, 1, k, s, d, pb, pe, true, 1);
}

Test(kernels_conv, empty_batch_writes_nothing)
{
    float x[1], w[9] = {0}, y[1] = {42};
    int64_t xd[4] = {0, 1, 3, 3}, wd[4] = {1, 1, 3, 3}, yd[4] = {0, 1, 1, 1};
    ol_ktensor xt = view(OL_FLOAT, x, 4, xd), wt = view(OL_FLOAT, w, 4, wd), yt = view(OL_FLOAT, y, 4, yd);
    ol_conv_params p = {.win = window_2d(3, 1, 1, 0), .group = 1, .threads = 1};
    float scratch[16];
    ol_conv(&p, &xt, &wt, NULL, NULL, &yt, scratch);
    cr_assert_eq(y[0], 42);
}

/* ---- transposed convolution ---- */

Test(kernels_conv_transpose, hand_computed_1d)
{
    /* x [1, 2], w [1, 1]: stride 1 overlaps the taps, stride 2 places them side by side. */
    float x[2] = {1, 2}, w[2] = {1, 10}, y[4], scratch[8];
    int64_t xd[3] = {1, 1, 2}, wd[3] = {1, 1, 2}, yd[3] = {1, 1, 3};
    ol_ktensor xt = view(OL_FLOAT, x, 3, xd), wt = view(OL_FLOAT, w, 3, wd), yt = view(OL_FLOAT, y, 3, yd);
    ol_conv_params p = {.win = {.spatial = 1, .kernel = {2}, .stride = {1}, .dilation = {1}}, .group = 1};
    cr_assert_leq(ol_conv_transpose_scratch_bytes(&p, &xt, &wt), sizeof scratch);
    ol_conv_transpose(&p, &xt, &wt, NULL, &yt, scratch);
    cr_assert_float_eq(y[0], 1, 1e-6);
    cr_assert_float_eq(y[1], 12, 1e-6);
    cr_assert_float_eq(y[2], 20, 1e-6);
    p.win.stride[0] = 2;
    yd[2] = 4;
    yt = view(OL_FLOAT, y, 3, yd);
    ol_conv_transpose(&p, &xt, &wt, NULL, &yt, scratch);
    float expected[4] = {1, 10, 2, 20};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], expected[i], 1e-6);
    /* A begin pad crops the first output; taps past the end are dropped. */
    p.win.pad_begin[0] = 1;
    yd[2] = 2;
    float b[1] = {0.5f};
    int64_t bd[1] = {1};
    ol_ktensor bt = view(OL_FLOAT, b, 1, bd);
    yt = view(OL_FLOAT, y, 3, yd);
    ol_conv_transpose(&p, &xt, &wt, &bt, &yt, scratch);
    cr_assert_float_eq(y[0], 10.5f, 1e-6);
    cr_assert_float_eq(y[1], 2.5f, 1e-6);
}

Test(kernels_conv_transpose, grouped_2d_double)
{
    /* Two groups of one channel each, 1x1 kernels: y[g] = x[g] * w[g] + b[g] at stride 2 with
     * zeros between the samples. */
    double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, w[2] = {2, -1}, b[2] = {0, 1}, y[18], scratch[8];
    int64_t xd[4] = {1, 2, 2, 2}, wd[4] = {2, 1, 1, 1}, bd[1] = {2}, yd[4] = {1, 2, 3, 3};
    ol_ktensor xt = view(OL_DOUBLE, x, 4, xd), wt = view(OL_DOUBLE, w, 4, wd), bt = view(OL_DOUBLE, b, 1, bd);
    ol_ktensor yt = view(OL_DOUBLE, y, 4, yd);
    ol_conv_params p = {.win = window_2d(1, 2, 1, 0), .group = 2};
    cr_assert_leq(ol_conv_transpose_scratch_bytes(&p, &xt, &wt), sizeof scratch);
    ol_conv_transpose(&p, &xt, &wt, &bt, &yt, scratch);
    double expected[18] = {2, 0, 4, 0, 0, 0, 6, 0, 8, -4, 1, -5, 1, 1, 1, -6, 1, -7};
    for (int i = 0; i < 18; i++)
        cr_assert_float_eq(y[i], expected[i], 1e-12, "y[%d] = %g", i, y[i]);
}
