/* Gemm (transposes, alpha/beta, every bias shape, the single-row path, integers) and MatMul
 * (numpy shapes, batch broadcasting, 1-D operands). */
#include <criterion/criterion.h>
#include <stdint.h>

#include "kernels/gemm.h"

static ol_ktensor view(ol_dtype dtype, void *data, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

/* A = [[1, 2, 3], [4, 5, 6]], B = [[1, 0], [0, 1], [1, 1]]: A x B = [[4, 5], [10, 11]]. */
static float A[6] = {1, 2, 3, 4, 5, 6}, AT[6] = {1, 4, 2, 5, 3, 6};
static float B[6] = {1, 0, 0, 1, 1, 1}, BT[6] = {1, 0, 1, 0, 1, 1};

Test(kernels_gemm, transposes_alpha_and_bias_shapes)
{
    int64_t ad[2] = {2, 3}, atd[2] = {3, 2}, bd[2] = {3, 2}, btd[2] = {2, 3}, yd[2] = {2, 2};
    float y[4];
    ol_ktensor yt = view(OL_FLOAT, y, 2, yd);
    ol_ktensor a = view(OL_FLOAT, A, 2, ad), at = view(OL_FLOAT, AT, 2, atd);
    ol_ktensor b = view(OL_FLOAT, B, 2, bd), bt = view(OL_FLOAT, BT, 2, btd);
    float plain[4] = {4, 5, 10, 11};
    const ol_ktensor *as[2] = {&a, &at}, *bs[2] = {&b, &bt};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            ol_gemm_params p = {.trans_a = ta, .trans_b = tb, .alpha = 1, .beta = 1};
            ol_gemm(&p, as[ta], bs[tb], NULL, &yt);
            for (int i = 0; i < 4; i++)
                cr_assert_float_eq(y[i], plain[i], 1e-6, "transA %d transB %d y[%d]", ta, tb, i);
        }
    /* alpha 0.5, beta 2 with each bias shape. */
    float scalar = 1, row[2] = {1, 2}, col[2] = {10, 20}, full[4] = {1, 2, 3, 4};
    int64_t row_d[1] = {2}, col_d[2] = {2, 1}, full_d[2] = {2, 2}, one_d[1] = {1};
    struct {
        ol_ktensor c;
        float expected[4];
    } cases[] = {
        {view(OL_FLOAT, &scalar, 0, NULL), {4, 4.5f, 7, 7.5f}},
        {view(OL_FLOAT, &scalar, 1, one_d), {4, 4.5f, 7, 7.5f}},
        {view(OL_FLOAT, row, 1, row_d), {4, 6.5f, 7, 9.5f}},
        {view(OL_FLOAT, col, 2, col_d), {22, 22.5f, 45, 45.5f}},
        {view(OL_FLOAT, full, 2, full_d), {4, 6.5f, 11, 13.5f}},
    };
    ol_gemm_params p = {.alpha = 0.5, .beta = 2};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        cr_assert(ol_gemm_bias_broadcasts(&cases[k].c, 2, 2));
        ol_gemm(&p, &a, &b, &cases[k].c, &yt);
        for (int i = 0; i < 4; i++)
            cr_assert_float_eq(y[i], cases[k].expected[i], 1e-6, "case %zu y[%d] = %g", k, i, y[i]);
    }
}

Test(kernels_gemm, bias_broadcast_rules)
{
    float c[6];
    int64_t d3[1] = {3}, d23[2] = {2, 3}, d12[2] = {1, 2}, d3d[3] = {1, 2, 2};
    ol_ktensor v3 = view(OL_FLOAT, c, 1, d3), m23 = view(OL_FLOAT, c, 2, d23), m12 = view(OL_FLOAT, c, 2, d12);
    ol_ktensor r3 = view(OL_FLOAT, c, 3, d3d);
    cr_assert_not(ol_gemm_bias_broadcasts(&v3, 2, 2));
    cr_assert_not(ol_gemm_bias_broadcasts(&m23, 2, 2));
    cr_assert(ol_gemm_bias_broadcasts(&m12, 4, 2));
    cr_assert_not(ol_gemm_bias_broadcasts(&r3, 2, 2));
}

Test(kernels_gemm, single_row_uses_matrix_vector_path)
{
    /* [1, 3] x [3, 2] and its transposed-B form, double. */
    double a[3] = {1, 2, 3}, b[6] = {1, 0, 0, 1, 1, 1}, bt[6] = {1, 0, 1, 0, 1, 1}, y[2], bias[2] = {100, 200};
    int64_t ad[2] = {1, 3}, bd[2] = {3, 2}, btd[2] = {2, 3}, yd[2] = {1, 2}, cd[1] = {2};
    ol_ktensor at = view(OL_DOUBLE, a, 2, ad), b1 = view(OL_DOUBLE, b, 2, bd), b2 = view(OL_DOUBLE, bt, 2, btd);
    ol_ktensor yt = view(OL_DOUBLE, y, 2, yd), ct = view(OL_DOUBLE, bias, 1, cd);
    ol_gemm_params p = {.alpha = 1, .beta = 1};
    ol_gemm(&p, &at, &b1, &ct, &yt);
    cr_assert_float_eq(y[0], 104, 1e-12);
    cr_assert_float_eq(y[1], 205, 1e-12);
    p.trans_b = true;
    ol_gemm(&p, &at, &b2, NULL, &yt);
    cr_assert_float_eq(y[0], 4, 1e-12);
    cr_assert_float_eq(y[1], 5, 1e-12);
}

Test(kernels_gemm, integers_wrap_and_scale)
{
    int32_t a[2] = {INT32_MAX, 1}, b[2] = {2, 3}, y[1], c[1] = {5};
    int64_t ad[2] = {1, 2}, bd[2] = {2, 1}, yd[2] = {1, 1}, cd[1] = {1};
    ol_ktensor at = view(OL_INT32, a, 2, ad), bt = view(OL_INT32, b, 2, bd), yt = view(OL_INT32, y, 2, yd);
    ol_ktensor ct = view(OL_INT32, c, 1, cd);
    ol_gemm_params p = {.alpha = 1, .beta = 1};
    ol_gemm(&p, &at, &bt, &ct, &yt);
    cr_assert_eq(y[0], (int32_t)(2u * (uint32_t)INT32_MAX + 3u + 5u));
    int64_t a64[2] = {3, 4}, b64[2] = {5, 6}, y64[1], c64[1] = {10};
    ol_ktensor a6 = view(OL_INT64, a64, 2, ad), b6 = view(OL_INT64, b64, 2, bd), y6 = view(OL_INT64, y64, 2, yd);
    ol_ktensor c6 = view(OL_INT64, c64, 1, cd);
    p = (ol_gemm_params){.alpha = 2, .beta = 0.5};
    ol_gemm(&p, &a6, &b6, &c6, &y6);
    cr_assert_eq(y64[0], 2 * 39 + 5);
}

Test(kernels_gemm, empty_inner_dimension_gives_zeros)
{
    float a[1], b[1], y[4] = {9, 9, 9, 9};
    int64_t ad[2] = {2, 0}, bd[2] = {0, 2}, yd[2] = {2, 2};
    ol_ktensor at = view(OL_FLOAT, a, 2, ad), bt = view(OL_FLOAT, b, 2, bd), yt = view(OL_FLOAT, y, 2, yd);
    ol_gemm_params p = {.alpha = 1, .beta = 1};
    ol_gemm(&p, &at, &bt, NULL, &yt);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y[i], 0);
    int64_t md[2] = {2, 2};
    ol_ktensor ym = view(OL_FLOAT, y, 2, md);
    y[0] = 7;
    ol_matmul(&at, &bt, &ym);
    cr_assert_eq(y[0], 0);
}

/* ---- MatMul ---- */

static void expect_shape(const int64_t *ad, int ar, const int64_t *bd, int br, int rank, const int64_t *dims)
{
    float dummy;
    ol_ktensor a = view(OL_FLOAT, &dummy, ar, ad), b = view(OL_FLOAT, &dummy, br, bd);
    int r;
    int64_t out[OL_KMAX_RANK];
    cr_assert(ol_matmul_shape(&a, &b, &r, out));
    cr_assert_eq(r, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(out[i], dims[i], "dim %d: %lld", i, (long long)out[i]);
}

Test(kernels_matmul, numpy_shapes)
{
    int64_t v3[1] = {3}, m34[2] = {3, 4}, b234[3] = {2, 3, 4}, v4[1] = {4}, m43[2] = {4, 3};
    expect_shape(v3, 1, v3, 1, 0, NULL);
    int64_t r1[1] = {4};
    expect_shape(v3, 1, m34, 2, 1, r1);
    int64_t r2[2] = {2, 3};
    expect_shape(b234, 3, v4, 1, 2, r2);
    int64_t r3[3] = {2, 3, 3};
    expect_shape(b234, 3, m43, 2, 3, r3);
    int64_t a4[4] = {3, 1, 3, 4}, b4[3] = {2, 4, 5}, r4[4] = {3, 2, 3, 5};
    expect_shape(a4, 4, b4, 3, 4, r4);

    float dummy;
    int r;
    int64_t out[OL_KMAX_RANK], b3x[3] = {3, 4, 2};
    ol_ktensor a = view(OL_FLOAT, &dummy, 2, m34), bad_inner = view(OL_FLOAT, &dummy, 2, m34);
    cr_assert_not(ol_matmul_shape(&a, &bad_inner, &r, out));
    ol_ktensor ab = view(OL_FLOAT, &dummy, 3, b234), bb = view(OL_FLOAT, &dummy, 3, b3x);
    cr_assert_not(ol_matmul_shape(&ab, &bb, &r, out));   /* batch 2 vs 3 */
    ol_ktensor scalar = view(OL_FLOAT, &dummy, 0, NULL);
    cr_assert_not(ol_matmul_shape(&scalar, &a, &r, out));
}

/* y = a @ b for every batch layout the kernel distinguishes, against a direct loop. */
static void check_matmul(const int64_t *ad, int ar, const int64_t *bd, int br)
{
    double a[256], b[256], y[512], expected[512];
    ol_ktensor at = view(OL_DOUBLE, a, ar, ad), bt = view(OL_DOUBLE, b, br, bd);
    for (int64_t i = 0; i < ol_ktensor_numel(&at); i++)
        a[i] = (double)((i * 7) % 11) - 5;
    for (int64_t i = 0; i < ol_ktensor_numel(&bt); i++)
        b[i] = (double)((i * 5) % 13) - 6;
    int rank;
    int64_t yd[OL_KMAX_RANK];
    cr_assert(ol_matmul_shape(&at, &bt, &rank, yd));
    ol_ktensor yt = view(OL_DOUBLE, y, rank, yd);
    ol_matmul(&at, &bt, &yt);
    /* Reference with both operands as 4-D [b0, b1, M, K] / [b0, b1, K, N] broadcast views. */
    int64_t A4[4] = {1, 1, 1, 1}, B4[4] = {1, 1, 1, 1};
    for (int i = 0; i < ar; i++)
        A4[4 - ar + i] = ad[i];
    if (br == 1) {
        B4[2] = bd[0];
    } else {
        for (int i = 0; i < br; i++)
            B4[4 - br + i] = bd[i];
    }
    int64_t M = A4[2], K = A4[3], N = B4[3], Y0 = A4[0] > B4[0] ? A4[0] : B4[0], Y1 = A4[1] > B4[1] ? A4[1] : B4[1];
    int64_t at_ = 0;
    for (int64_t i0 = 0; i0 < Y0; i0++)
        for (int64_t i1 = 0; i1 < Y1; i1++)
            for (int64_t m = 0; m < M; m++)
                for (int64_t n = 0; n < N; n++) {
                    double acc = 0;
                    int64_t ab = ((A4[0] == 1 ? 0 : i0) * A4[1] + (A4[1] == 1 ? 0 : i1)) * M * K;
                    int64_t bb = ((B4[0] == 1 ? 0 : i0) * B4[1] + (B4[1] == 1 ? 0 : i1)) * K * N;
                    for (int64_t k = 0; k < K; k++)
                        acc += a[ab + m * K + k] * b[bb + k * N + n];
                    expected[at_++] = acc;
                }
    cr_assert_eq(at_, ol_ktensor_numel(&yt));
    for (int64_t i = 0; i < at_; i++)
        cr_assert_float_eq(y[i], expected[i], 1e-9, "y[%lld] = %g, expected %g", (long long)i, y[i], expected[i]);
}

Test(kernels_matmul, batch_layouts_match_reference)
{
    int64_t a1[4] = {2, 3, 3, 4}, b1[2] = {4, 2};
    check_matmul(a1, 4, b1, 2);   /* batch folds into rows */
    int64_t a2[2] = {3, 4}, b2[3] = {3, 4, 5};
    check_matmul(a2, 2, b2, 3);   /* one left matrix */
    int64_t a3[3] = {2, 3, 4}, b3[3] = {2, 4, 2};
    check_matmul(a3, 3, b3, 3);   /* equal batches */
    int64_t a4[4] = {3, 1, 2, 4}, b4[4] = {1, 2, 4, 2};
    check_matmul(a4, 4, b4, 4);   /* broadcast both ways */
    int64_t a5[1] = {4}, b5[3] = {2, 4, 3};
    check_matmul(a5, 1, b5, 3);   /* 1-D left */
    int64_t a6[3] = {2, 3, 4}, b6[1] = {4};
    check_matmul(a6, 3, b6, 1);   /* 1-D right */
}

Test(kernels_matmul, float32_and_int64)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {1, 0, -1}, y[2];
    int64_t ad[2] = {2, 3}, bd[1] = {3}, yd[1] = {2};
    ol_ktensor at = view(OL_FLOAT, a, 2, ad), bt = view(OL_FLOAT, b, 1, bd), yt = view(OL_FLOAT, y, 1, yd);
    ol_matmul(&at, &bt, &yt);
    cr_assert_float_eq(y[0], -2, 1e-6);
    cr_assert_float_eq(y[1], -2, 1e-6);
    int64_t ai[4] = {1, 2, 3, 4}, bi[4] = {5, 6, 7, 8}, yi[4];
    int64_t sq[2] = {2, 2};
    ol_ktensor a6 = view(OL_INT64, ai, 2, sq), b6 = view(OL_INT64, bi, 2, sq), y6 = view(OL_INT64, yi, 2, sq);
    ol_matmul(&a6, &b6, &y6);
    cr_assert_eq(yi[0], 19);
    cr_assert_eq(yi[1], 22);
    cr_assert_eq(yi[2], 43);
    cr_assert_eq(yi[3], 50);
    cr_assert_not(ol_gemm_dtype_supported(OL_INT8));
}
