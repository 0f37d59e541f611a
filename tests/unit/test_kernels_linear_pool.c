/* Pooling: max with indices (both storage orders), average with and without the padding in the
 * divisor, Lp, ceil mode, integer max, the row path against the general path, global pooling. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "kernels/pool.h"

static ol_ktensor view(ol_dtype dtype, void *data, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

static ol_pool_params params_2d(ol_pool_kind kind, int64_t k, int64_t s, int64_t pad)
{
    ol_pool_params p = {.kind = kind, .threads = 1, .p = 2};
    p.win.spatial = 2;
    for (int d = 0; d < 2; d++) {
        p.win.kernel[d] = k;
        p.win.stride[d] = s;
        p.win.dilation[d] = 1;
        p.win.pad_begin[d] = p.win.pad_end[d] = pad;
    }
    return p;
}

/* x = 1..9 as a 3x3 plane. */
static float X9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static int64_t XD[4] = {1, 1, 3, 3};

static void run(ol_pool_params *p, const ol_ktensor *x, float *y, int64_t *out_dims, int64_t *indices)
{
    int64_t dims[4] = {x->dims[0], x->dims[1]};
    cr_assert(ol_window_resolve(&p->win, x->dims + 2, OL_AUTO_PAD_NOTSET, false, dims + 2));
    ol_ktensor yt = view(x->dtype, y, 4, dims);
    float scratch[64];
    cr_assert_leq(ol_pool_scratch_bytes(p, x, &yt), sizeof scratch);
    ol_pool(p, x, &yt, indices, scratch);
    for (int i = 0; i < 4; i++)
        out_dims[i] = dims[i];
}

Test(kernels_pool, max_with_indices_in_both_orders)
{
    ol_ktensor x = view(OL_FLOAT, X9, 4, XD);
    ol_pool_params p = params_2d(OL_POOL_MAX, 2, 1, 0);
    float y[4], y_rows[4];
    int64_t dims[4], indices[4];
    run(&p, &x, y, dims, indices);
    float expected[4] = {5, 6, 8, 9};
    int64_t row_major[4] = {4, 5, 7, 8}, col_major[4] = {4, 7, 5, 8};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(y[i], expected[i]);
        cr_assert_eq(indices[i], row_major[i]);
    }
    p.column_major_indices = true;
    run(&p, &x, y, dims, indices);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(indices[i], col_major[i]);
    /* Without indices the row path runs: same values. */
    run(&p, &x, y_rows, dims, NULL);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y_rows[i], expected[i]);
}

Test(kernels_pool, indices_count_whole_planes_before)
{
    /* Two channels: the second plane's indices start at 9. */
    float x[18];
    for (int i = 0; i < 18; i++)
        x[i] = (float)(i % 9 == 0 ? 100 : i);
    int64_t xd[4] = {1, 2, 3, 3}, dims[4], indices[2];
    ol_ktensor xt = view(OL_FLOAT, x, 4, xd);
    ol_pool_params p = params_2d(OL_POOL_MAX, 3, 1, 0);
    float y[2];
    run(&p, &xt, y, dims, indices);
    cr_assert_eq(y[0], 100);
    cr_assert_eq(indices[0], 0);
    cr_assert_eq(indices[1], 9);
}

Test(kernels_pool, average_divisor_with_and_without_padding)
{
    ol_ktensor x = view(OL_FLOAT, X9, 4, XD);
    ol_pool_params p = params_2d(OL_POOL_AVERAGE, 3, 2, 1);
    float y[4];
    int64_t dims[4];
    run(&p, &x, y, dims, NULL);
    cr_assert_eq(dims[2], 2);
    /* Corners see 2x2 real values. */
    float real_only[4] = {3, 4, 6, 7};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], real_only[i], 1e-6, "y[%d] = %g", i, y[i]);
    p = params_2d(OL_POOL_AVERAGE, 3, 2, 1);
    p.count_include_pad = true;
    run(&p, &x, y, dims, NULL);
    float with_pad[4] = {12 / 9.0f, 16 / 9.0f, 24 / 9.0f, 28 / 9.0f};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(y[i], with_pad[i], 1e-6);
}

Test(kernels_pool, ceil_mode_window_past_the_end_is_not_counted_as_padding)
{
    /* 1-D [1, 2, 3, 4, 5], kernel 2, stride 2, ceil: the last window holds only 5; with
     * count_include_pad it still divides by 1, since no pad was declared there. */
    float x[5] = {1, 2, 3, 4, 5}, y[3];
    int64_t xd[3] = {1, 1, 5}, yd[3] = {1, 1, 0};
    ol_pool_params p = {.kind = OL_POOL_AVERAGE, .count_include_pad = true, .threads = 1};
    p.win = (ol_window){.spatial = 1, .kernel = {2}, .stride = {2}, .dilation = {1}};
    ol_ktensor xt = view(OL_FLOAT, x, 3, xd);
    cr_assert(ol_window_resolve(&p.win, xd + 2, OL_AUTO_PAD_NOTSET, true, yd + 2));
    cr_assert_eq(yd[2], 3);
    ol_ktensor yt = view(OL_FLOAT, y, 3, yd);
    float scratch[32];
    cr_assert_leq(ol_pool_scratch_bytes(&p, &xt, &yt), sizeof scratch);
    ol_pool(&p, &xt, &yt, NULL, scratch);
    cr_assert_float_eq(y[0], 1.5f, 1e-6);
    cr_assert_float_eq(y[1], 3.5f, 1e-6);
    cr_assert_float_eq(y[2], 5.0f, 1e-6);
}

Test(kernels_pool, lp_norms)
{
    ol_ktensor x = view(OL_FLOAT, X9, 4, XD);
    ol_pool_params p = params_2d(OL_POOL_LP, 2, 1, 0);
    float y[4];
    int64_t dims[4];
    run(&p, &x, y, dims, NULL);
    cr_assert_float_eq(y[0], sqrtf(1 + 4 + 16 + 25), 1e-5);
    p = params_2d(OL_POOL_LP, 2, 1, 0);
    p.p = 3;
    run(&p, &x, y, dims, NULL);
    cr_assert_float_eq(y[3], cbrtf(125 + 216 + 512 + 729), 1e-4);
    p = params_2d(OL_POOL_LP, 3, 1, 1);
    p.p = 1;
    float neg[9];
    for (int i = 0; i < 9; i++)
        neg[i] = -X9[i];
    ol_ktensor xn = view(OL_FLOAT, neg, 4, XD);
    float y9[9];
    run(&p, &xn, y9, dims, NULL);
    cr_assert_float_eq(y9[4], 45, 1e-5);   /* the centre window covers everything */
}

Test(kernels_pool, integer_max_and_fully_padded_windows)
{
    int8_t x[4] = {-5, -7, -3, -9}, y[9];
    int64_t xd[4] = {1, 1, 2, 2}, yd[4] = {1, 1, 3, 3}, indices[9];
    ol_pool_params p = params_2d(OL_POOL_MAX, 1, 1, 0);
    /* Pads of 1 on a 1x1 kernel: the border windows hold only padding. */
    p.win.pad_begin[0] = p.win.pad_begin[1] = 1;
    cr_assert(ol_window_resolve(&p.win, xd + 2, OL_AUTO_PAD_NOTSET, false, yd + 2));
    cr_assert_eq(yd[2], 3);
    ol_ktensor xt = view(OL_INT8, x, 4, xd), yt = view(OL_INT8, y, 4, yd);
    ol_pool(&p, &xt, &yt, indices, NULL);
    cr_assert_eq(y[0], INT8_MIN);
    cr_assert_eq(indices[0], -1);
    cr_assert_eq(y[4], -5);
    cr_assert_eq(indices[4], 0);
    cr_assert_eq(y[8], -9);
    uint8_t ux[4] = {1, 200, 3, 4}, uy[1];
    int64_t uyd[4] = {1, 1, 1, 1};
    ol_pool_params q = params_2d(OL_POOL_MAX, 2, 1, 0);
    ol_ktensor uxt = view(OL_UINT8, ux, 4, xd), uyt = view(OL_UINT8, uy, 4, uyd);
    ol_pool(&q, &uxt, &uyt, NULL, NULL);
    cr_assert_eq(uy[0], 200);
    cr_assert(ol_pool_dtype_supported(OL_POOL_MAX, OL_INT8));
    cr_assert_not(ol_pool_dtype_supported(OL_POOL_AVERAGE, OL_INT8));
}

/* The float32 row path against the float64 general path on strided, dilated, padded windows. */
Test(kernels_pool, row_path_matches_general_path)
{
    enum { H = 9, W = 13 };
    float xf[2 * H * W];
    double xd[2 * H * W];
    for (int i = 0; i < 2 * H * W; i++)
        xf[i] = (float)(xd[i] = sin(i * 0.7) * 10);
    int64_t dims[4] = {1, 2, H, W};
    ol_pool_kind kinds[2] = {OL_POOL_MAX, OL_POOL_AVERAGE};
    for (int kind = 0; kind < 2; kind++)
        for (int include = 0; include < 2; include++) {
            ol_pool_params p = {.kind = kinds[kind], .count_include_pad = include, .threads = 2};
            p.win = (ol_window){.spatial = 2, .kernel = {3, 2}, .stride = {2, 3}, .dilation = {1, 2},
                                .pad_begin = {1, 2}, .pad_end = {2, 1}};
            int64_t yd[4] = {1, 2};
            cr_assert(ol_window_resolve(&p.win, dims + 2, OL_AUTO_PAD_NOTSET, true, yd + 2));
            float yf[2 * H * W];
            double yd64[2 * H * W];
            float scratch[64];
            ol_ktensor xt = view(OL_FLOAT, xf, 4, dims), yt = view(OL_FLOAT, yf, 4, yd);
            ol_ktensor xt64 = view(OL_DOUBLE, xd, 4, dims), yt64 = view(OL_DOUBLE, yd64, 4, yd);
            cr_assert_leq(ol_pool_scratch_bytes(&p, &xt, &yt), sizeof scratch);
            ol_pool(&p, &xt, &yt, NULL, scratch);
            ol_pool(&p, &xt64, &yt64, NULL, NULL);
            for (int64_t i = 0; i < ol_ktensor_numel(&yt); i++)
                cr_assert_float_eq(yf[i], yd64[i], 1e-4, "kind %d include %d y[%lld]", kind, include,
                                   (long long)i);
        }
}

Test(kernels_pool, three_dimensional_average)
{
    double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[1];
    int64_t xd[5] = {1, 1, 2, 2, 2}, yd[5] = {1, 1, 1, 1, 1};
    ol_pool_params p = {.kind = OL_POOL_AVERAGE, .threads = 1};
    p.win = (ol_window){.spatial = 3, .kernel = {2, 2, 2}, .stride = {1, 1, 1}, .dilation = {1, 1, 1}};
    ol_ktensor xt = view(OL_DOUBLE, x, 5, xd), yt = view(OL_DOUBLE, y, 5, yd);
    ol_pool(&p, &xt, &yt, NULL, NULL);
    cr_assert_float_eq(y[0], 4.5, 1e-12);
}

Test(kernels_pool, global_pools)
{
    float x[8] = {1, -2, 3, -4, 5, 6, 7, 8}, y[2];
    int64_t xd[4] = {1, 2, 2, 2}, yd[4] = {1, 2, 1, 1};
    ol_ktensor xt = view(OL_FLOAT, x, 4, xd), yt = view(OL_FLOAT, y, 4, yd);
    ol_global_pool(OL_POOL_AVERAGE, 2, &xt, &yt, 1);
    cr_assert_float_eq(y[0], -0.5f, 1e-6);
    cr_assert_float_eq(y[1], 6.5f, 1e-6);
    ol_global_pool(OL_POOL_MAX, 2, &xt, &yt, 1);
    cr_assert_eq(y[0], 3);
    cr_assert_eq(y[1], 8);
    ol_global_pool(OL_POOL_LP, 2, &xt, &yt, 1);
    cr_assert_float_eq(y[0], sqrtf(30), 1e-5);
    ol_global_pool(OL_POOL_LP, 1, &xt, &yt, 1);
    cr_assert_float_eq(y[0], 10, 1e-5);
    double xd64[4] = {1, 2, 3, 4}, y64[1];
    int64_t d1[3] = {1, 1, 4}, d1y[3] = {1, 1, 1};
    ol_ktensor x64 = view(OL_DOUBLE, xd64, 3, d1), yt64 = view(OL_DOUBLE, y64, 3, d1y);
    ol_global_pool(OL_POOL_AVERAGE, 2, &x64, &yt64, 1);
    cr_assert_float_eq(y64[0], 2.5, 1e-12);
    ol_global_pool(OL_POOL_LP, 3, &x64, &yt64, 1);
    cr_assert_float_eq(y64[0], cbrt(100), 1e-9);
}
