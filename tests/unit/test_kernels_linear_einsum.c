/* Einsum: parsing (implicit output order, ellipsis, spaces), diagonals, sums, contractions with
 * operands used in place or packed, broadcasting, integer types and the errors. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/einsum.h"

static ol_ktensor view(ol_dtype dtype, void *data, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

/* Runs `eq` on the given double inputs; checks the output shape and values. */
static void check(const char *eq, int n, ol_ktensor *inputs, int rank, const int64_t *dims, const double *expected)
{
    const ol_ktensor *in[8];
    for (int i = 0; i < n; i++)
        in[i] = &inputs[i];
    ol_einsum_plan plan;
    ol_error err = {0};
    cr_assert_eq(ol_einsum_prepare(eq, strlen(eq), in, n, &plan, &err), OL_OK, "%s: %s", eq, err.message);
    cr_assert_eq(plan.output.n, rank, "%s: rank %d", eq, plan.output.n);
    int64_t out[OL_KMAX_RANK], count = 1;
    ol_einsum_output_dims(&plan, out);
    for (int i = 0; i < rank; i++) {
        cr_assert_eq(out[i], dims[i], "%s: dim %d is %lld", eq, i, (long long)out[i]);
        count *= out[i];
    }
    double *y = malloc((size_t)count * sizeof *y + 8);
    void *scratch = malloc(plan.scratch_bytes + 1);
    ol_ktensor yt = view(inputs[0].dtype, y, rank, out);
    ol_einsum_run(&plan, in, &yt, scratch);
    for (int64_t i = 0; i < count; i++)
        cr_assert_float_eq(y[i], expected[i], 1e-9, "%s: y[%lld] = %g, expected %g", eq, (long long)i, y[i],
                           expected[i]);
    free(y);
    free(scratch);
}

static double M23[6] = {1, 2, 3, 4, 5, 6};   /* [[1, 2, 3], [4, 5, 6]] */
static int64_t D23[2] = {2, 3}, D32[2] = {3, 2}, D33[2] = {3, 3}, D3[1] = {3};

Test(kernels_einsum, single_operand_forms)
{
    ol_ktensor a = view(OL_DOUBLE, M23, 2, D23);
    double t[6] = {1, 4, 2, 5, 3, 6};
    check("ij->ji", 1, &a, 2, D32, t);
    check("ba", 1, &a, 2, D32, t);   /* implicit output is alphabetical: "ab" */
    double rows[2] = {6, 15}, cols[3] = {5, 7, 9}, total = 21;
    int64_t d2[1] = {2};
    check("ij->i", 1, &a, 1, d2, rows);
    check(" i j -> j ", 1, &a, 1, D3, cols);
    check("ij->", 1, &a, 0, NULL, &total);
    check("ij", 1, &a, 2, D23, M23);   /* implicit identity */
    double s[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ol_ktensor sq = view(OL_DOUBLE, s, 2, D33);
    double diag[3] = {1, 5, 9}, trace = 15;
    check("ii->i", 1, &sq, 1, D3, diag);
    check("ii", 1, &sq, 0, NULL, &trace);
    double scalar = 2.5;
    ol_ktensor sc = view(OL_DOUBLE, &scalar, 0, NULL);
    check("->", 1, &sc, 0, NULL, &scalar);
}

Test(kernels_einsum, ellipsis_and_batch_diagonal)
{
    double x[18];
    for (int i = 0; i < 18; i++)
        x[i] = i;
    int64_t d[3] = {2, 3, 3}, out[2] = {2, 3};
    ol_ktensor t = view(OL_DOUBLE, x, 3, d);
    double diag[6] = {0, 4, 8, 9, 13, 17};
    check("...ii->...i", 1, &t, 2, out, diag);
    double traces[2] = {12, 39};
    int64_t o1[1] = {2};
    check("...ii", 1, &t, 1, o1, traces);   /* implicit: ellipsis axes, then none */
}

Test(kernels_einsum, contractions_in_place_transposed_and_packed)
{
    ol_ktensor a = view(OL_DOUBLE, M23, 2, D23);
    double b[6] = {1, 0, 0, 1, 1, 1};   /* [3, 2] */
    ol_ktensor bt = view(OL_DOUBLE, b, 2, D32);
    ol_ktensor ops[2] = {a, bt};
    int64_t d22[2] = {2, 2};
    double ab[4] = {4, 5, 10, 11};
    check("ij,jk->ik", 2, ops, 2, d22, ab);
    double ab_t[4] = {4, 10, 5, 11};
    check("ij,jk->ki", 2, ops, 2, d22, ab_t);   /* result order differs: packed into y */
    ol_ktensor swapped[2] = {bt, a};            /* B^T A^T through transposed in-place operands */
    check("ji,kj->ik", 2, swapped, 2, d22, ab_t);
    /* Inner and outer products of vectors. */
    double u[3] = {1, 2, 3}, v[3] = {4, 5, 6};
    ol_ktensor uv[2] = {view(OL_DOUBLE, u, 1, D3), view(OL_DOUBLE, v, 1, D3)};
    double dot = 32;
    check("i,i", 2, uv, 0, NULL, &dot);
    double outer[9] = {4, 5, 6, 8, 10, 12, 12, 15, 18};
    check("i,j->ij", 2, uv, 2, D33, outer);
    /* A label summed on one side only, while packing. */
    double sum_then[3] = {21 * 4, 21 * 5, 21 * 6};
    ol_ktensor av[2] = {a, view(OL_DOUBLE, v, 1, D3)};
    check("ij,k->k", 2, av, 1, D3, sum_then);
}

Test(kernels_einsum, batched_and_broadcast_ellipsis)
{
    /* [2, 2, 2] x [2, 2, 2] per batch, then the same with the left operand broadcast over the
     * batch (ellipsis of size 1). */
    double a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {1, 0, 0, 1, 2, 0, 0, 2};
    int64_t d[3] = {2, 2, 2};
    ol_ktensor ops[2] = {view(OL_DOUBLE, a, 3, d), view(OL_DOUBLE, b, 3, d)};
    double expected[8] = {1, 2, 3, 4, 10, 12, 14, 16};
    check("bij,bjk->bik", 2, ops, 3, d, expected);
    check("...ij,...jk->...ik", 2, ops, 3, d, expected);
    int64_t d1[3] = {1, 2, 2};
    ol_ktensor bc[2] = {view(OL_DOUBLE, a, 3, d1), view(OL_DOUBLE, b, 3, d)};
    double expected_bc[8] = {1, 2, 3, 4, 2, 4, 6, 8};
    check("...ij,...jk->...ik", 2, bc, 3, d, expected_bc);
}

Test(kernels_einsum, three_operands_and_integers)
{
    int64_t a[4] = {1, 2, 3, 4}, b[4] = {0, 1, 1, 0}, c[4] = {2, 0, 0, 3}, y[4];
    int64_t d[2] = {2, 2};
    ol_ktensor ts[3] = {view(OL_INT64, a, 2, d), view(OL_INT64, b, 2, d), view(OL_INT64, c, 2, d)};
    const ol_ktensor *in[3] = {&ts[0], &ts[1], &ts[2]};
    ol_einsum_plan plan;
    ol_error err = {0};
    const char *eq = "ij,jk,kl->il";
    cr_assert_eq(ol_einsum_prepare(eq, strlen(eq), in, 3, &plan, &err), OL_OK, "%s", err.message);
    char scratch[4096];
    cr_assert_leq(plan.scratch_bytes, sizeof scratch);
    ol_ktensor yt = view(OL_INT64, y, 2, d);
    ol_einsum_run(&plan, in, &yt, scratch);
    /* a b = [[2, 1], [4, 3]]; (a b) c = [[4, 3], [8, 9]]. */
    int64_t expected[4] = {4, 3, 8, 9};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y[i], expected[i], "y[%d] = %lld", i, (long long)y[i]);
}

Test(kernels_einsum, float32_batch_matmul)
{
    float a[12], b[12], y[8];
    for (int i = 0; i < 12; i++) {
        a[i] = (float)i;
        b[i] = (float)(i % 3);
    }
    int64_t ad[3] = {2, 2, 3}, bd[3] = {2, 3, 2}, yd[3] = {2, 2, 2};
    ol_ktensor ts[2] = {view(OL_FLOAT, a, 3, ad), view(OL_FLOAT, b, 3, bd)};
    const ol_ktensor *in[2] = {&ts[0], &ts[1]};
    ol_einsum_plan plan;
    ol_error err = {0};
    cr_assert_eq(ol_einsum_prepare("bij,bjk->bik", 12, in, 2, &plan, &err), OL_OK, "%s", err.message);
    /* Both operands are in place and the product lands in y: no scratch at all. */
    cr_assert_eq(plan.scratch_bytes, 0);
    ol_ktensor yt = view(OL_FLOAT, y, 3, yd);
    ol_einsum_run(&plan, in, &yt, NULL);
    for (int bi = 0; bi < 2; bi++)
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 2; k++) {
                float acc = 0;
                for (int j = 0; j < 3; j++)
                    acc += a[bi * 6 + i * 3 + j] * b[bi * 6 + j * 2 + k];
                cr_assert_float_eq(y[bi * 4 + i * 2 + k], acc, 1e-5);
            }
}

static void expect_error(const char *eq, int n, ol_ktensor *inputs, const char *needle)
{
    const ol_ktensor *in[8];
    for (int i = 0; i < n; i++)
        in[i] = &inputs[i];
    ol_einsum_plan plan;
    ol_error err = {0};
    cr_assert_neq(ol_einsum_prepare(eq, strlen(eq), in, n, &plan, &err), OL_OK, "%s was accepted", eq);
    cr_assert(strstr(err.message, needle), "%s: message '%s' lacks '%s'", eq, err.message, needle);
}

Test(kernels_einsum, errors)
{
    ol_ktensor a = view(OL_DOUBLE, M23, 2, D23);
    ol_ktensor two[2] = {a, a};
    expect_error("ij,jk->ik", 1, &a, "more terms");
    expect_error("ij", 2, two, "terms for 2 inputs");
    expect_error("ijk->i", 1, &a, "3 labels for a rank-2");
    expect_error("i->i", 1, &a, "1 labels for a rank-2");
    expect_error("ij->ik", 1, &a, "in no input");
    expect_error("ij->ii", 1, &a, "repeated");
    expect_error("i1->i", 1, &a, "not a label");
    expect_error("i..j->i", 1, &a, "ellipsis");
    expect_error("ij,ij->ij", 2, (ol_ktensor[]){a, view(OL_DOUBLE, M23, 2, D32)}, "sizes");
    expect_error("ii->i", 1, &a, "repeated label");
    float f[6];
    expect_error("ij,ij", 2, (ol_ktensor[]){a, view(OL_FLOAT, f, 2, D23)}, "mix");
}
