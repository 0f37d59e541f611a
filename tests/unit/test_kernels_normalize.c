/* Normalization, softmax and reduction kernels on small hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>

#include "kernels/norm.h"
#include "kernels/reduce.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

Test(kernels_norm, batchnorm_folds_statistics)
{
    float x[4] = {1, 2, 3, 4}, y[4];
    const float scale[2] = {2, 1}, bias[2] = {1, 0}, mean[2] = {1, 3}, var[2] = {4, 1};
    ol_batchnorm_f32(x, y, 1, 2, 2, scale, bias, mean, var, 0.0f);
    /* channel 0: (x-1)/2*2+1 ; channel 1: (x-3) */
    cr_assert_float_eq(y[0], 1.0f, 1e-6);
    cr_assert_float_eq(y[1], 2.0f, 1e-6);
    cr_assert_float_eq(y[2], 0.0f, 1e-6);
    cr_assert_float_eq(y[3], 1.0f, 1e-6);
}

/* The clamped form (a fused Relu or Clip): same values, clamped; NaN passes through. */
Test(kernels_norm, batchnorm_clamp_matches_separate_clamp)
{
    enum { N = 2, C = 3, S = 37 };
    float x[N * C * S], y[N * C * S], want[N * C * S];
    const float scale[C] = {2, -1, 0.5f}, bias[C] = {1, 0, -0.25f}, mean[C] = {1, 3, 0}, var[C] = {4, 1, 0.25f};
    for (int i = 0; i < N * C * S; i++)
        x[i] = (float)((i * 37) % 101) / 10.0f - 5.0f;
    x[5] = NAN;
    ol_batchnorm_f32(x, want, N, C, S, scale, bias, mean, var, 1e-5f);
    ol_batchnorm_clamp_f32(x, y, N, C, S, scale, bias, mean, var, 1e-5f, -0.5f, 1.5f);
    for (int i = 0; i < N * C * S; i++) {
        if (i == 5) {
            cr_assert(isnan(y[i]));
            continue;
        }
        float w = want[i] < -0.5f ? -0.5f : want[i] > 1.5f ? 1.5f : want[i];
        cr_assert_float_eq(y[i], w, 1e-5, "y[%d] = %g, want %g", i, y[i], w);
    }
}

Test(kernels_norm, layernorm_rows_and_stats)
{
    float x[4] = {1, 3, 10, 10}, y[4], mean[2], inv[2];
    ol_layernorm_f32(x, y, 2, 2, NULL, NULL, 0.0f, mean, inv);
    cr_assert_float_eq(y[0], -1.0f, 1e-6);
    cr_assert_float_eq(y[1], 1.0f, 1e-6);
    cr_assert_float_eq(mean[0], 2.0f, 1e-6);
    cr_assert_float_eq(inv[0], 1.0f, 1e-6);
    /* a constant row normalizes to 0 with eps keeping it finite */
    ol_layernorm_f32(x + 2, y + 2, 1, 2, NULL, NULL, 1e-5f, NULL, NULL);
    cr_assert_float_eq(y[2], 0.0f, 1e-6);
}

Test(kernels_norm, groupnorm_two_groups)
{
    /* n=1, c=2, spatial=2, groups=2 is instance norm */
    float x[4] = {0, 2, 5, 7}, y[4];
    const float scale[2] = {1, 3}, bias[2] = {0, 1};
    ol_groupnorm_f32(x, y, 1, 2, 2, 2, scale, bias, 0.0f);
    cr_assert_float_eq(y[0], -1.0f, 1e-6);
    cr_assert_float_eq(y[1], 1.0f, 1e-6);
    cr_assert_float_eq(y[2], -2.0f, 1e-6);
    cr_assert_float_eq(y[3], 4.0f, 1e-6);
}

Test(kernels_norm, softmax_middle_axis_and_log_and_hard)
{
    /* shape [1][2][2]: softmax over the middle axis pairs x[0],x[2] and x[1],x[3] */
    float x[4] = {0, 1, 0, 3}, y[4];
    ol_softmax_f32(x, y, 1, 2, 2, OL_SOFTMAX);
    cr_assert_float_eq(y[0], 0.5f, 1e-6);
    cr_assert_float_eq(y[2], 0.5f, 1e-6);
    cr_assert_float_eq(y[1], 1.0f / (1.0f + expf(2.0f)), 1e-6);
    ol_softmax_f32(x, y, 1, 2, 2, OL_LOG_SOFTMAX);
    cr_assert_float_eq(y[0], logf(0.5f), 1e-6);
    ol_softmax_f32(x, y, 1, 2, 2, OL_HARDMAX);
    cr_assert(y[0] == 1.0f && y[2] == 0.0f && y[1] == 0.0f && y[3] == 1.0f);
}

Test(kernels_norm, softmax_large_values_do_not_overflow)
{
    float x[2] = {1000, 1000}, y[2];
    ol_softmax_f32(x, y, 1, 2, 1, OL_SOFTMAX);
    cr_assert_float_eq(y[0], 0.5f, 1e-6);
}

Test(kernels_reduce, sum_over_middle_axis_int64_exact)
{
    int64_t x[6] = {1, 2, 3, 4, 5, 6}, y[2];
    const int64_t dims[3] = {1, 3, 2}, ydims[1] = {2};
    ol_ktensor tx = view(x, OL_INT64, 3, dims), ty = view(y, OL_INT64, 1, ydims);
    double acc[2];
    ol_reduce(&tx, 1u << 1 | 1u << 0, OL_REDUCE_SUM, &ty, acc);
    cr_assert_eq(y[0], 9);
    cr_assert_eq(y[1], 12);
}

Test(kernels_reduce, trailing_fast_path_matches_generic)
{
    float x[6] = {1, -2, 3, 4, 5, -6}, y[2];
    const int64_t dims[2] = {2, 3}, ydims[1] = {2};
    ol_ktensor tx = view(x, OL_FLOAT, 2, dims), ty = view(y, OL_FLOAT, 1, ydims);
    double acc[2];
    ol_reduce(&tx, 1u << 1, OL_REDUCE_MEAN, &ty, acc);
    cr_assert_float_eq(y[0], 2.0f / 3.0f, 1e-6);
    cr_assert_float_eq(y[1], 1.0f, 1e-6);
    ol_reduce(&tx, 1u << 1, OL_REDUCE_MAX, &ty, acc);
    cr_assert_float_eq(y[0], 3.0f, 1e-6);
    ol_reduce(&tx, 1u << 1, OL_REDUCE_L1, &ty, acc);   /* generic path */
    cr_assert_float_eq(y[1], 15.0f, 1e-6);
}

Test(kernels_reduce, log_sum_exp_is_stable)
{
    float x[2] = {1000, 1000}, y[1];
    const int64_t dims[1] = {2}, ydims[1] = {1};
    ol_ktensor tx = view(x, OL_FLOAT, 1, dims), ty = view(y, OL_FLOAT, 1, ydims);
    double acc[1];
    ol_reduce(&tx, 1, OL_REDUCE_LOG_SUM_EXP, &ty, acc);
    cr_assert_float_eq(y[0], 1000.0f + logf(2.0f), 1e-3);
}

Test(kernels_reduce, argmax_ties_and_select_last)
{
    float x[4] = {3, 1, 3, 0};
    const int64_t dims[1] = {4};
    ol_ktensor tx = view(x, OL_FLOAT, 1, dims);
    int64_t out;
    ol_argreduce(&tx, 1, 4, 1, true, false, &out);
    cr_assert_eq(out, 0);
    ol_argreduce(&tx, 1, 4, 1, true, true, &out);
    cr_assert_eq(out, 2);
    ol_argreduce(&tx, 1, 4, 1, false, false, &out);
    cr_assert_eq(out, 3);
}

Test(kernels_reduce, topk_smallest_sorted_with_ties)
{
    int32_t x[5] = {5, 1, 4, 1, 2}, values[3];
    int64_t indices[3];
    const int64_t dims[1] = {5};
    ol_ktensor tx = view(x, OL_INT32, 1, dims);
    ol_topk_item work[5];
    ol_topk(&tx, 1, 5, 1, 3, false, values, indices, work);
    cr_assert(values[0] == 1 && values[1] == 1 && values[2] == 2);
    cr_assert(indices[0] == 1 && indices[1] == 3 && indices[2] == 4);
}

Test(kernels_reduce, cumsum_exclusive_reverse)
{
    int32_t x[4] = {1, 2, 3, 4}, y[4];
    const int64_t dims[1] = {4};
    ol_ktensor tx = view(x, OL_INT32, 1, dims);
    ol_cumsum(&tx, 1, 4, 1, true, true, y);
    cr_assert(y[0] == 9 && y[1] == 7 && y[2] == 4 && y[3] == 0);
    ol_cumsum(&tx, 1, 4, 1, false, false, y);
    cr_assert(y[0] == 1 && y[3] == 10);
}
