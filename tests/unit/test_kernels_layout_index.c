/* Index kernels of the layout family: index normalization, Gather, GatherElements, GatherND,
 * ScatterElements and ScatterND with their reductions. */
#include <criterion/criterion.h>

#include "kernels/gather.h"
#include "kernels/scatter.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

Test(kernels_layout_index, normalize_wraps_negatives_and_finds_the_bad_one)
{
    int32_t raw[4] = {0, -1, 2, -3};
    int64_t out[4];
    ol_ktensor t = view(raw, OL_INT32, 1, DIMS(4));
    cr_assert_eq(ol_indices_normalize(&t, DIMS(3), 1, out), -1);
    const int64_t want[4] = {0, 2, 2, 0};
    cr_assert_arr_eq(out, want, sizeof want);
    raw[2] = 3;   /* == limit: out of range */
    cr_assert_eq(ol_indices_normalize(&t, DIMS(3), 1, out), 2);
    /* tuples of 2 with limits (2, 5) */
    int64_t pairs[4] = {-2, 4, 1, -6};
    ol_ktensor p = view(pairs, OL_INT64, 2, DIMS(2, 2));
    cr_assert_eq(ol_indices_normalize(&p, DIMS(2, 5), 2, out), 3);
}

Test(kernels_layout_index, gather_axis1)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, y[4];   /* [2,3] */
    const int64_t idx[2] = {2, 0};
    ol_ktensor xt = view(x, OL_FLOAT, 2, DIMS(2, 3)), yt = view(y, OL_FLOAT, 2, DIMS(2, 2));
    ol_gather(&xt, 1, idx, 2, &yt);
    const float want[4] = {3, 1, 6, 4};
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_index, gather_elements_axis0)
{
    int8_t x[6] = {1, 2, 3, 4, 5, 6}, y[3];   /* [3,2] */
    const int64_t idx[2] = {2, 0};             /* indices [1,2] */
    ol_ktensor xt = view(x, OL_INT8, 2, DIMS(3, 2)), yt = view(y, OL_INT8, 2, DIMS(1, 2));
    ol_gather_elements(&xt, 0, idx, &yt);
    /* y[0][j] = x[idx[0][j]][j] */
    cr_assert_eq(y[0], 5);
    cr_assert_eq(y[1], 2);
}

Test(kernels_layout_index, gather_nd_with_batch)
{
    /* data [2,2,2], batch_dims 1, indices [2,1] -> y [2,2]: y[b] = data[b][idx[b]] */
    int64_t x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[4];
    const int64_t idx[2] = {1, 0};
    ol_ktensor xt = view(x, OL_INT64, 3, DIMS(2, 2, 2)), yt = view(y, OL_INT64, 2, DIMS(2, 2));
    ol_gather_nd(&xt, 1, idx, 1, 1, &yt);
    const int64_t want[4] = {2, 3, 4, 5};
    cr_assert_arr_eq(y, want, sizeof want);
}

Test(kernels_layout_index, scatter_elements_reductions)
{
    /* data [1,3] = {1, 2, 3}; updates [1,4] at columns {0, 0, 2, 1} */
    const int64_t idx[4] = {0, 0, 2, 1};
    struct {
        ol_scatter_reduction r;
        int32_t want[3];
    } cases[] = {
        {OL_SCATTER_NONE, {20, 40, 30}},
        {OL_SCATTER_ADD, {1 + 10 + 20, 2 + 40, 3 + 30}},
        {OL_SCATTER_MUL, {1 * 10 * 20, 2 * 40, 3 * 30}},
        {OL_SCATTER_MAX, {20, 40, 30}},
        {OL_SCATTER_MIN, {1, 2, 3}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int32_t data[3] = {1, 2, 3}, upd[4] = {10, 20, 30, 40}, y[3];
        ol_ktensor dt = view(data, OL_INT32, 2, DIMS(1, 3)), ut = view(upd, OL_INT32, 2, DIMS(1, 4)),
                   yt = view(y, OL_INT32, 2, DIMS(1, 3));
        ol_scatter_elements(&dt, 1, idx, &ut, cases[c].r, &yt);
        cr_assert_arr_eq(y, cases[c].want, sizeof y, "reduction %d", cases[c].r);
    }
}

Test(kernels_layout_index, scatter_integers_wrap_and_bool_reduces_logically)
{
    int8_t data[1] = {120}, upd[2] = {10, 100};
    const int64_t idx[2] = {0, 0};
    ol_ktensor dt = view(data, OL_INT8, 1, DIMS(1)), ut = view(upd, OL_INT8, 1, DIMS(2));
    ol_scatter_elements(&dt, 0, idx, &ut, OL_SCATTER_ADD, &dt);   /* in place */
    cr_assert_eq(data[0], (int8_t)(120 + 10 + 100 - 256));
    uint8_t b[2] = {0, 1}, bu[2] = {1, 0}, by[2];
    const int64_t bidx[2] = {0, 1};
    ol_ktensor bt = view(b, OL_BOOL, 1, DIMS(2)), but = view(bu, OL_BOOL, 1, DIMS(2)),
               byt = view(by, OL_BOOL, 1, DIMS(2));
    ol_scatter_elements(&bt, 0, bidx, &but, OL_SCATTER_ADD, &byt);
    cr_assert(by[0] == 1 && by[1] == 1);
    ol_scatter_elements(&bt, 0, bidx, &but, OL_SCATTER_MUL, &byt);
    cr_assert(by[0] == 0 && by[1] == 0);
    cr_assert(ol_scatter_reduction_supported(OL_BOOL, OL_SCATTER_MIN));
    cr_assert(!ol_scatter_reduction_supported(OL_FLOAT16, OL_SCATTER_ADD));
    cr_assert(ol_scatter_reduction_supported(OL_FLOAT16, OL_SCATTER_NONE));
}

Test(kernels_layout_index, scatter_nd_rows_with_duplicates)
{
    /* data [3,2]; two updates of row 1, then row 0 */
    double data[6] = {1, 1, 2, 2, 3, 3}, upd[6] = {10, 20, 30, 40, 50, 60}, y[6];
    const int64_t idx[3] = {1, 1, 0};
    ol_ktensor dt = view(data, OL_DOUBLE, 2, DIMS(3, 2)), ut = view(upd, OL_DOUBLE, 2, DIMS(3, 2)),
               yt = view(y, OL_DOUBLE, 2, DIMS(3, 2));
    ol_scatter_nd(&dt, idx, 3, 1, &ut, OL_SCATTER_ADD, &yt);
    const double want[6] = {51, 61, 42, 62, 3, 3};
    cr_assert_arr_eq(y, want, sizeof want);
    ol_scatter_nd(&dt, idx, 3, 1, &ut, OL_SCATTER_NONE, &yt);
    const double last_wins[6] = {50, 60, 30, 40, 3, 3};
    cr_assert_arr_eq(y, last_wins, sizeof last_wins);
}
