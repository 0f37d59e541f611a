/* Unary elementwise kernels (kernels/unary.h) and the vectorizable float32 functions under them
 * (kernels/fastmath.h): values against hand-computed results or double-precision libm, special
 * values, parameters, integer forms, and Clip. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <float.h>
#include <string.h>

#include "kernels/fastmath.h"
#include "kernels/unary.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static void run_f32(ol_unary_op op, const ol_unary_params *p, const float *x, float *out, int64_t n)
{
    ol_ktensor xt = view((void *)x, OL_FLOAT, 1, DIMS(n)), ot = view(out, OL_FLOAT, 1, DIMS(n));
    cr_assert(ol_unary(op, p, &xt, &ot, 1), "op %d", op);
}

static void run_f64(ol_unary_op op, const ol_unary_params *p, const double *x, double *out, int64_t n)
{
    ol_ktensor xt = view((void *)x, OL_DOUBLE, 1, DIMS(n)), ot = view(out, OL_DOUBLE, 1, DIMS(n));
    cr_assert(ol_unary(op, p, &xt, &ot, 1), "op %d", op);
}

/* |got - want| within a few float32 ulps of want (or both NaN / the same infinity). */
static void assert_close(float got, double want, double ulps, const char *what, double x)
{
    if (isnan(want)) {
        cr_assert(isnan(got), "%s(%g): got %g, want NaN", what, x, got);
        return;
    }
    if (isinf(want)) {
        cr_assert(got == want, "%s(%g): got %g, want %g", what, x, got, want);
        return;
    }
    double tol = ulps * fmax(fabs(want) * FLT_EPSILON, 1e-45);
    cr_assert(fabs(got - want) <= tol, "%s(%g): got %.9g, want %.9g", what, x, got, want);
}

/* Inputs spanning many magnitudes, both signs, and the edges of exp's range. */
static int sample_inputs(float *x, int max)
{
    int n = 0;
    for (double m = 1e-8; m < 120 && n + 2 <= max; m *= 1.37) {
        x[n++] = (float)m;
        x[n++] = (float)-m;
    }
    return n;
}

Test(kernels_fastmath, exp_tanh_sigmoid_erf_match_double_libm)
{
    float x[128];
    int n = sample_inputs(x, 128);
    for (int i = 0; i < n; i++) {
        double v = x[i];
        if (v < 88.7 && v > -87.3)   /* beyond, exp over- or underflows float32's normal range */
            assert_close(ol_fast_expf(x[i]), exp(v), 2, "exp", v);
        assert_close(ol_fast_tanhf(x[i]), tanh(v), 3, "tanh", v);
        assert_close(ol_fast_sigmoidf(x[i]), 1 / (1 + exp(-v)), 4, "sigmoid", v);
        assert_close(ol_fast_erff(x[i]), erf(v), 8, "erf", v);
    }
}

Test(kernels_fastmath, special_values)
{
    cr_assert(ol_fast_expf(INFINITY) == INFINITY);
    cr_assert(ol_fast_expf(100) == INFINITY);
    cr_assert(ol_fast_expf(-INFINITY) == 0);
    cr_assert(ol_fast_expf(-200) == 0);
    cr_assert(isnan(ol_fast_expf(NAN)));
    cr_assert_float_eq(ol_fast_expf(0), 1.0f, 0);
    float sub = ol_fast_expf(-100);   /* 3.7e-44: subnormal, not flushed */
    cr_assert(sub > 0 && fabs(sub - exp(-100.0)) <= 1.5e-45, "exp(-100) = %g", sub);
    cr_assert(ol_fast_tanhf(INFINITY) == 1 && ol_fast_tanhf(-INFINITY) == -1);
    cr_assert(isnan(ol_fast_tanhf(NAN)));
    cr_assert(ol_fast_sigmoidf(INFINITY) == 1 && ol_fast_sigmoidf(-INFINITY) == 0);
    cr_assert(ol_fast_erff(INFINITY) == 1 && ol_fast_erff(-INFINITY) == -1);
    cr_assert(isnan(ol_fast_erff(NAN)));
}

Test(kernels_unary, simple_float_ops)
{
    const float x[5] = {-2.5f, -0.5f, 0, 0.5f, 3.5f};
    float o[5];
    run_f32(OL_UNARY_NEG, NULL, x, o, 5);
    cr_assert_arr_eq(o, ((float[]){2.5f, 0.5f, -0.0f, -0.5f, -3.5f}), sizeof o);
    run_f32(OL_UNARY_ABS, NULL, x, o, 5);
    cr_assert_arr_eq(o, ((float[]){2.5f, 0.5f, 0, 0.5f, 3.5f}), sizeof o);
    run_f32(OL_UNARY_SIGN, NULL, x, o, 5);
    cr_assert_arr_eq(o, ((float[]){-1, -1, 0, 1, 1}), sizeof o);
    run_f32(OL_UNARY_ROUND, NULL, x, o, 5);   /* half to even */
    cr_assert_arr_eq(o, ((float[]){-2, -0.0f, 0, 0, 4}), sizeof o);
    run_f32(OL_UNARY_FLOOR, NULL, x, o, 5);
    cr_assert_arr_eq(o, ((float[]){-3, -1, 0, 0, 3}), sizeof o);
    run_f32(OL_UNARY_CEIL, NULL, x, o, 5);
    cr_assert_arr_eq(o, ((float[]){-2, -0.0f, 0, 1, 4}), sizeof o);
    run_f32(OL_UNARY_RELU, NULL, x, o, 5);
    cr_assert_arr_eq(o, ((float[]){0, 0, 0, 0.5f, 3.5f}), sizeof o);
    run_f32(OL_UNARY_RECIPROCAL, NULL, x, o, 5);
    cr_assert_float_eq(o[0], -0.4f, 1e-7);
    cr_assert(o[2] == INFINITY);
}

Test(kernels_unary, sign_and_relu_keep_nan)
{
    const float x[1] = {NAN};
    float o[1];
    run_f32(OL_UNARY_SIGN, NULL, x, o, 1);
    cr_assert(isnan(o[0]));
    run_f32(OL_UNARY_RELU, NULL, x, o, 1);
    cr_assert(isnan(o[0]));
}

Test(kernels_unary, parameterized_activations)
{
    const float x[4] = {-2, -0.5f, 0.5f, 2};
    float o[4];
    ol_unary_params leaky = {.alpha = 0.1f};
    run_f32(OL_UNARY_LEAKY_RELU, &leaky, x, o, 4);
    cr_assert_arr_eq(o, ((float[]){-0.2f, -0.05f, 0.5f, 2}), sizeof o);
    ol_unary_params hs = {.alpha = 0.2f, .beta = 0.5f};
    run_f32(OL_UNARY_HARD_SIGMOID, &hs, x, o, 4);
    const float hs_want[4] = {0.1f, 0.4f, 0.6f, 0.9f};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(o[i], hs_want[i], 1e-7);
    run_f32(OL_UNARY_HARD_SIGMOID, &hs, (const float[]){-10, 10}, o, 2);
    cr_assert_arr_eq(o, ((float[]){0, 1}), 2 * sizeof(float));
    run_f32(OL_UNARY_HARD_SWISH, NULL, (const float[]){-4, -1, 1, 4}, o, 4);
    cr_assert_float_eq(o[0], 0, 0);
    cr_assert_float_eq(o[1], -1 * (0.5f - 1.0f / 6), 1e-7);
    cr_assert_float_eq(o[2], 1 * (0.5f + 1.0f / 6), 1e-7);
    cr_assert_float_eq(o[3], 4, 0);
    ol_unary_params thr = {.alpha = 0.5f};
    run_f32(OL_UNARY_THRESHOLDED_RELU, &thr, x, o, 4);
    cr_assert_arr_eq(o, ((float[]){0, 0, 0, 2}), sizeof o);   /* 0.5 is not above 0.5 */
    ol_unary_params shrink = {.alpha = 1.0f, .beta = 0.25f};   /* lambd, bias */
    run_f32(OL_UNARY_SHRINK, &shrink, x, o, 4);
    cr_assert_arr_eq(o, ((float[]){-1.75f, 0, 0, 1.75f}), sizeof o);
    run_f32(OL_UNARY_SOFTSIGN, NULL, x, o, 4);
    cr_assert_arr_eq(o, ((float[]){-2.0f / 3, -0.5f / 1.5f, 0.5f / 1.5f, 2.0f / 3}), sizeof o);
}

Test(kernels_unary, exponential_activations_match_their_formulas)
{
    const float x[6] = {-20, -2, -0.001f, 0.001f, 1.5f, 30};
    float o[6];
    ol_unary_params elu = {.alpha = 0.7f};
    run_f32(OL_UNARY_ELU, &elu, x, o, 6);
    for (int i = 0; i < 6; i++)
        assert_close(o[i], x[i] < 0 ? 0.7f * expm1((double)x[i]) : x[i], 2, "elu", x[i]);
    ol_unary_params selu = {.alpha = 1.6732632f, .gamma = 1.0507010f};
    run_f32(OL_UNARY_SELU, &selu, x, o, 6);
    for (int i = 0; i < 6; i++) {
        double v = x[i], want = v <= 0 ? 1.0507010f * (1.6732632f * expm1(v)) : 1.0507010f * v;
        assert_close(o[i], want, 3, "selu", v);
    }
    ol_unary_params celu = {.alpha = 2.0f};
    run_f32(OL_UNARY_CELU, &celu, x, o, 6);
    for (int i = 0; i < 6; i++)
        assert_close(o[i], x[i] > 0 ? x[i] : 2 * expm1(x[i] / 2.0), 2, "celu", x[i]);
    run_f32(OL_UNARY_SOFTPLUS, NULL, x, o, 6);
    for (int i = 0; i < 6; i++)
        assert_close(o[i], log1p(exp((double)x[i])), 2, "softplus", x[i]);
    run_f32(OL_UNARY_MISH, NULL, x, o, 6);
    for (int i = 0; i < 6; i++)
        assert_close(o[i], x[i] * tanh(log1p(exp((double)x[i]))), 6, "mish", x[i]);
    ol_unary_params swish = {.alpha = 1.5f};
    run_f32(OL_UNARY_SWISH, &swish, x, o, 6);
    for (int i = 0; i < 6; i++)
        assert_close(o[i], x[i] / (1 + exp(-1.5 * x[i])), 6, "swish", x[i]);
}

Test(kernels_unary, gelu_exact_and_tanh_match_double_formulas)
{
    /* Includes inputs below -3, where 1 + erf(x / sqrt 2) cancels and erfc takes over. */
    float x[600];
    int n = 0;
    for (double v = -9; v <= 9 && n < 600; v += 0.03125)
        x[n++] = (float)v;
    float o[600];
    run_f32(OL_UNARY_GELU, NULL, x, o, n);
    for (int i = 0; i < n; i++) {
        /* Between -3 and 0 the erf form loses what 1 + erf cancels: an absolute error of a few
         * float ulps of 1, scaled by x / 2 (as in other runtimes' vectorized Gelu). */
        double want = 0.5 * x[i] * erfc(-x[i] / sqrt(2.0));
        double tol = 16 * FLT_EPSILON * fabs(want) + (x[i] < 0 ? 0.5 * -x[i] * 4 * FLT_EPSILON : 0);
        cr_assert(fabs(o[i] - want) <= tol, "gelu(%g): got %.9g, want %.9g", x[i], o[i], want);
    }
    run_f32(OL_UNARY_GELU_TANH, NULL, x, o, n);
    for (int i = 0; i < n; i++) {
        double v = x[i], u = sqrt(2 / M_PI) * (v + 0.044715 * v * v * v);
        /* 0.5 v (1 + tanh u), written so that double precision does not cancel either. Rounding
         * 2u to float costs up to |2u| / 2 ulps in e^-2u. */
        assert_close(o[i], v / (1 + exp(-2 * u)), 8 + fabs(2 * u), "gelu_tanh", v);
    }
}

Test(kernels_unary, gelu_runs_in_place_across_blocks)
{
    enum { N = 700 };
    float x[N], want[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(i - 350) / 50;   /* -7 .. 7 */
    run_f32(OL_UNARY_GELU, NULL, x, want, N);
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(N));
    cr_assert(ol_unary(OL_UNARY_GELU, NULL, &xt, &xt, 1));
    cr_assert_arr_eq(x, want, sizeof x);
}

Test(kernels_unary, libm_ops_in_both_widths)
{
    const double xd[3] = {0.25, 0.5, 0.75};
    const float xf[3] = {0.25f, 0.5f, 0.75f};
    double od[3];
    float of[3];
    struct { ol_unary_op op; double (*f)(double); } ops[] = {
        {OL_UNARY_SQRT, sqrt}, {OL_UNARY_EXP, exp}, {OL_UNARY_LOG, log}, {OL_UNARY_SIN, sin},
        {OL_UNARY_COS, cos}, {OL_UNARY_TAN, tan}, {OL_UNARY_ASIN, asin}, {OL_UNARY_ACOS, acos},
        {OL_UNARY_ATAN, atan}, {OL_UNARY_SINH, sinh}, {OL_UNARY_COSH, cosh}, {OL_UNARY_ASINH, asinh},
        {OL_UNARY_ATANH, atanh}, {OL_UNARY_ERF, erf}, {OL_UNARY_TANH, tanh},
    };
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        run_f64(ops[k].op, NULL, xd, od, 3);
        run_f32(ops[k].op, NULL, xf, of, 3);
        for (int i = 0; i < 3; i++) {
            cr_assert_float_eq(od[i], ops[k].f(xd[i]), 1e-15, "op %d", ops[k].op);
            assert_close(of[i], ops[k].f(xd[i]), 8, "op", xd[i]);
        }
    }
    run_f64(OL_UNARY_ACOSH, NULL, (const double[]){1, 2, 3}, od, 3);
    cr_assert_float_eq(od[1], acosh(2.0), 1e-15);
    run_f64(OL_UNARY_SIGMOID, NULL, xd, od, 3);
    cr_assert_float_eq(od[0], 1 / (1 + exp(-0.25)), 1e-15);
}

Test(kernels_unary, nan_and_inf_tests)
{
    const float x[4] = {NAN, INFINITY, -INFINITY, 1};
    uint8_t o[4];
    ol_ktensor xt = view((void *)x, OL_FLOAT, 1, DIMS(4)), ot = view(o, OL_BOOL, 1, DIMS(4));
    cr_assert(ol_unary(OL_UNARY_IS_NAN, NULL, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((uint8_t[]){1, 0, 0, 0}), sizeof o);
    ol_unary_params both = {.detect_negative = true, .detect_positive = true};
    cr_assert(ol_unary(OL_UNARY_IS_INF, &both, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((uint8_t[]){0, 1, 1, 0}), sizeof o);
    ol_unary_params neg_only = {.detect_negative = true};
    cr_assert(ol_unary(OL_UNARY_IS_INF, &neg_only, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((uint8_t[]){0, 0, 1, 0}), sizeof o);
    ol_ktensor wrong = view(o, OL_UINT8, 1, DIMS(4));
    cr_assert(!ol_unary(OL_UNARY_IS_NAN, NULL, &xt, &wrong, 1));
}

Test(kernels_unary, integer_forms)
{
    int8_t x[4] = {-128, -3, 0, 5}, o[4];
    ol_ktensor xt = view(x, OL_INT8, 1, DIMS(4)), ot = view(o, OL_INT8, 1, DIMS(4));
    cr_assert(ol_unary(OL_UNARY_NEG, NULL, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){-128, 3, 0, -5}), sizeof o);   /* -(-128) wraps */
    cr_assert(ol_unary(OL_UNARY_ABS, NULL, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){-128, 3, 0, 5}), sizeof o);
    cr_assert(ol_unary(OL_UNARY_SIGN, NULL, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){-1, -1, 0, 1}), sizeof o);
    cr_assert(ol_unary(OL_UNARY_RELU, NULL, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){0, 0, 0, 5}), sizeof o);
    cr_assert(ol_unary(OL_UNARY_BIT_NOT, NULL, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){127, 2, -1, -6}), sizeof o);
    ol_unary_params shrink = {.alpha = 2.0f, .beta = 1.0f};
    cr_assert(ol_unary(OL_UNARY_SHRINK, &shrink, &xt, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){-127, -2, 0, 4}), sizeof o);
    uint16_t u[2] = {0, 7}, uo[2];
    ol_ktensor ut = view(u, OL_UINT16, 1, DIMS(2)), uot = view(uo, OL_UINT16, 1, DIMS(2));
    cr_assert(ol_unary(OL_UNARY_SIGN, NULL, &ut, &uot, 1));
    cr_assert_arr_eq(uo, ((uint16_t[]){0, 1}), sizeof uo);
    cr_assert(ol_unary(OL_UNARY_BIT_NOT, NULL, &ut, &uot, 1));
    cr_assert_arr_eq(uo, ((uint16_t[]){0xffff, 0xfff8}), sizeof uo);
    uint8_t b[3] = {0, 1, 1}, bo[3];
    ol_ktensor bt = view(b, OL_BOOL, 1, DIMS(3)), bot = view(bo, OL_BOOL, 1, DIMS(3));
    cr_assert(ol_unary(OL_UNARY_NOT, NULL, &bt, &bot, 1));
    cr_assert_arr_eq(bo, ((uint8_t[]){1, 0, 0}), sizeof bo);
}

Test(kernels_unary, support_follows_the_ops_dtypes)
{
    cr_assert(ol_unary_supported(OL_UNARY_EXP, OL_DOUBLE));
    cr_assert(!ol_unary_supported(OL_UNARY_EXP, OL_INT32));
    cr_assert(!ol_unary_supported(OL_UNARY_EXP, OL_FLOAT16));
    cr_assert(!ol_unary_supported(OL_UNARY_NEG, OL_UINT8));
    cr_assert(ol_unary_supported(OL_UNARY_ABS, OL_UINT64));
    cr_assert(!ol_unary_supported(OL_UNARY_NOT, OL_INT8));
    cr_assert(!ol_unary_supported(OL_UNARY_BIT_NOT, OL_FLOAT));
    cr_assert_eq(ol_unary_result_dtype(OL_UNARY_IS_INF, OL_DOUBLE), OL_BOOL);
}

Test(kernels_unary, large_inputs_split_across_threads)
{
    enum { N = 100003 };
    static float x[N], one[N], many[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(i % 2001 - 1000) / 100;
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(N));
    ol_ktensor t1 = view(one, OL_FLOAT, 1, DIMS(N)), t4 = view(many, OL_FLOAT, 1, DIMS(N));
    cr_assert(ol_unary(OL_UNARY_SIGMOID, NULL, &xt, &t1, 1));
    cr_assert(ol_unary(OL_UNARY_SIGMOID, NULL, &xt, &t4, 4));
    cr_assert_arr_eq(one, many, sizeof one);
    assert_close(one[N - 1], 1 / (1 + exp(-(double)x[N - 1])), 4, "sigmoid", x[N - 1]);
}

Test(kernels_clip, bounds_of_the_inputs_type)
{
    float x[5] = {-3, -1, 0, 2, NAN}, lo = -1.5f, hi = 1, o[5];
    ol_ktensor xt = view(x, OL_FLOAT, 1, DIMS(5)), ot = view(o, OL_FLOAT, 1, DIMS(5));
    cr_assert(ol_clip(&xt, &lo, &hi, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){-1.5f, -1, 0, 1}), 4 * sizeof(float));
    cr_assert(isnan(o[4]));
    cr_assert(ol_clip(&xt, NULL, &hi, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){-3, -1, 0, 1}), 4 * sizeof(float));
    cr_assert(ol_clip(&xt, &lo, NULL, &ot, 1));
    cr_assert_arr_eq(o, ((float[]){-1.5f, -1, 0, 2}), 4 * sizeof(float));
}

Test(kernels_clip, min_above_max_gives_max)
{
    int8_t x[3] = {-100, 0, 100}, lo = 10, hi = 5, o[3];
    ol_ktensor xt = view(x, OL_INT8, 1, DIMS(3)), ot = view(o, OL_INT8, 1, DIMS(3));
    cr_assert(ol_clip(&xt, &lo, &hi, &ot, 1));
    cr_assert_arr_eq(o, ((int8_t[]){5, 5, 5}), sizeof o);
}

Test(kernels_clip, unbounded_integers_keep_their_extremes)
{
    uint64_t x[2] = {0, UINT64_MAX}, o[2];
    int64_t y[2] = {INT64_MIN, INT64_MAX}, yo[2];
    ol_ktensor xt = view(x, OL_UINT64, 1, DIMS(2)), ot = view(o, OL_UINT64, 1, DIMS(2));
    ol_ktensor yt = view(y, OL_INT64, 1, DIMS(2)), yot = view(yo, OL_INT64, 1, DIMS(2));
    cr_assert(ol_clip(&xt, NULL, NULL, &ot, 1));
    cr_assert_arr_eq(o, x, sizeof o);
    cr_assert(ol_clip(&yt, NULL, NULL, &yot, 1));
    cr_assert_arr_eq(yo, y, sizeof yo);
    cr_assert(!ol_clip_supported(OL_FLOAT16));
    cr_assert(!ol_clip_supported(OL_BOOL));
}
