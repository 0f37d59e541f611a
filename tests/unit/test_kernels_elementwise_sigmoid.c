/* The AVX-512 sigmoid/SiLU rows (kernels/sigmoid_x86.h) against double precision and against the
 * portable fastmath.h function the unfused ops use: odd row lengths (masked tails), bias and sum
 * inputs, the far tails, infinities and NaN. Skipped where the CPU lacks AVX-512. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/fastmath.h"
#include "kernels/sigmoid_x86.h"

static double sigmoid(double v)
{
    return 1 / (1 + exp(-v));
}

/* Values from -120 to 120, denser near 0. */
static float sample(int i, int n)
{
    double t = (double)(2 * i - n) / n;   /* -1 .. 1 */
    return (float)(t * t * t * 120.0);
}

Test(kernels_sigmoid_x86, rows_match_double_precision)
{
    if (!ol_sigmoid_avx512_available())
        cr_skip_test("no AVX-512");
    enum { N = 4099 };
    float *y = malloc(N * sizeof *y), *sum = malloc(N * sizeof *sum), *in = malloc(N * sizeof *in);
    for (int swish = 0; swish < 2; swish++) {
        for (int i = 0; i < N; i++) {
            sum[i] = (float)(i % 7) * 0.125f - 0.375f;
            y[i] = in[i] = sample(i, N);
        }
        ol_sigmoid_row_avx512(y, N, 0.25f, sum, swish);
        for (int i = 0; i < N; i++) {
            float v = (in[i] + 0.25f) + sum[i];   /* what the row computes before the activation */
            double want = swish ? v * sigmoid(v) : sigmoid(v);
            float portable = swish ? v * ol_fast_sigmoidf(v) : ol_fast_sigmoidf(v);
            double tol = 8 * FLT_EPSILON * fabs(want) + 1e-37;
            cr_assert(fabs(y[i] - want) <= tol, "%s(%.9g) = %.9g, want %.9g", swish ? "silu" : "sigmoid", v, y[i],
                      want);
            cr_assert(fabs(y[i] - portable) <= 8 * FLT_EPSILON * fabs(portable) + 1e-37,
                      "%s(%.9g) = %.9g, portable %.9g", swish ? "silu" : "sigmoid", v, y[i], portable);
        }
    }
    free(y);
    free(sum);
    free(in);
}

Test(kernels_sigmoid_x86, special_values_and_short_rows)
{
    if (!ol_sigmoid_avx512_available())
        cr_skip_test("no AVX-512");
    float y[5] = {INFINITY, -INFINITY, NAN, 0.0f, 42.0f};
    ol_sigmoid_row_avx512(y, 4, 0.0f, NULL, false);   /* the fifth value is past the row */
    cr_assert_eq(y[0], 1.0f);
    cr_assert_eq(y[1], 0.0f);
    cr_assert(isnan(y[2]));
    cr_assert_eq(y[3], 0.5f);
    cr_assert_eq(y[4], 42.0f);
    float z[3] = {INFINITY, NAN, -1.0f};
    ol_sigmoid_row_avx512(z, 3, 0.0f, NULL, true);
    cr_assert_eq(z[0], INFINITY);
    cr_assert(isnan(z[1]));
    cr_assert_float_eq(z[2], -1.0 * sigmoid(-1.0), 4 * FLT_EPSILON);
}
