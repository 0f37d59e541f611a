/* The broadcasting helper (kernels/broadcast.h): output shapes, plans with merged dimensions, the
 * row cursor, random access, and the threaded driver. */
#include <criterion/criterion.h>
#include <string.h>

#include "kernels/broadcast.h"

static ol_ktensor view(void *data, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    return t;
}

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

Test(kernels_broadcast, shapes_align_right_and_stretch_ones)
{
    int64_t a[4] = {8, 1, 6, 1}, b[3] = {7, 1, 5}, out[OL_KMAX_RANK];
    const int64_t *dims[2] = {a, b};
    int rank = -1;
    cr_assert_eq(ol_broadcast_dims(2, (const int[]){4, 3}, dims, &rank, out), -1);
    cr_assert_eq(rank, 4);
    cr_assert_arr_eq(out, ((int64_t[]){8, 7, 6, 5}), 4 * sizeof(int64_t));
}

Test(kernels_broadcast, shapes_report_the_first_incompatible_input)
{
    int64_t a[2] = {2, 3}, b[1] = {3}, c[2] = {4, 3}, out[OL_KMAX_RANK];
    const int64_t *dims[3] = {a, b, c};
    int rank;
    cr_assert_eq(ol_broadcast_dims(3, (const int[]){2, 1, 2}, dims, &rank, out), 2);
}

Test(kernels_broadcast, zero_sized_dims_broadcast_only_with_one)
{
    int64_t a[2] = {0, 3}, b[2] = {1, 3}, c[1] = {2}, out[OL_KMAX_RANK];
    int rank;
    cr_assert_eq(ol_broadcast_dims(2, (const int[]){2, 2}, (const int64_t *[]){a, b}, &rank, out), -1);
    cr_assert_eq(out[0], 0);
    cr_assert_eq(ol_broadcast_dims(2, (const int[]){2, 1}, (const int64_t *[]){a, c}, &rank, out), 1);
}

Test(kernels_broadcast, tensor_shapes_fold_any_number_of_inputs)
{
    float d = 0;
    ol_ktensor t[6];
    const ol_ktensor *p[6];
    for (int k = 0; k < 6; k++) {
        int64_t dims[3] = {1, 1, 1};
        dims[k % 3] = k + 2;   /* 2, 3, 4 then 5, 6, 7: the second round conflicts */
        t[k] = view(&d, OL_FLOAT, 3, dims);
        p[k] = &t[k];
    }
    int rank;
    int64_t out[OL_KMAX_RANK];
    cr_assert_eq(ol_broadcast_shapes(3, p, &rank, out), -1);
    cr_assert_arr_eq(out, ((int64_t[]){2, 3, 4}), 3 * sizeof(int64_t));
    cr_assert_eq(ol_broadcast_shapes(6, p, &rank, out), 3);
}

Test(kernels_broadcast, broadcasts_to_is_unidirectional)
{
    cr_assert(ol_broadcasts_to(2, DIMS(3, 1), 3, DIMS(2, 3, 4)));
    cr_assert(!ol_broadcasts_to(2, DIMS(3, 4), 2, DIMS(3, 1)));
    cr_assert(!ol_broadcasts_to(3, DIMS(1, 1, 1), 2, DIMS(1, 1)));
    cr_assert(ol_broadcasts_to(0, NULL, 2, DIMS(5, 6)));
}

Test(kernels_broadcast, plan_merges_dims_that_move_together)
{
    /* [N,C,H,W] + [C,1,1]: H and W merge; the bias repeats along them and along N. */
    ol_bcast_plan p;
    const int64_t *dims[2] = {DIMS(2, 3, 4, 5), DIMS(3, 1, 1)};
    cr_assert(ol_bcast_plan_init(&p, 2, (const int[]){4, 3}, dims, 4, DIMS(2, 3, 4, 5)));
    cr_assert_eq(p.rank, 3);
    cr_assert_arr_eq(p.dims, ((int64_t[]){2, 3, 20}), 3 * sizeof(int64_t));
    cr_assert_arr_eq(p.strides[0], ((int64_t[]){60, 20, 1}), 3 * sizeof(int64_t));
    cr_assert_arr_eq(p.strides[1], ((int64_t[]){0, 1, 0}), 3 * sizeof(int64_t));
    cr_assert_eq(p.numel, 120);
}

Test(kernels_broadcast, plan_of_equal_shapes_is_one_row)
{
    ol_bcast_plan p;
    const int64_t *dims[2] = {DIMS(4, 1, 6), DIMS(4, 1, 6)};
    cr_assert(ol_bcast_plan_init(&p, 2, (const int[]){3, 3}, dims, 3, DIMS(4, 1, 6)));
    cr_assert_eq(p.rank, 1);
    cr_assert_eq(p.dims[0], 24);
    cr_assert_eq(ol_bcast_inner_stride(&p, 0), 1);
    cr_assert_eq(ol_bcast_inner_stride(&p, 1), 1);
}

Test(kernels_broadcast, plan_of_a_scalar_output_has_one_element)
{
    ol_bcast_plan p;
    const int64_t *dims[1] = {NULL};
    cr_assert(ol_bcast_plan_init(&p, 1, (const int[]){0}, dims, 0, NULL));
    cr_assert_eq(p.rank, 1);
    cr_assert_eq(p.numel, 1);
    cr_assert_eq(ol_bcast_row_length(&p), 1);
}

Test(kernels_broadcast, plan_refuses_inputs_that_do_not_fit_the_output)
{
    ol_bcast_plan p;
    const int64_t *dims[2] = {DIMS(2, 3), DIMS(4)};
    cr_assert(!ol_bcast_plan_init(&p, 2, (const int[]){2, 1}, dims, 2, DIMS(2, 3)));
    cr_assert(!ol_bcast_plan_init(&p, 0, (const int[]){2}, dims, 2, DIMS(2, 3)));
    cr_assert(!ol_bcast_plan_init(&p, OL_BCAST_MAX_INPUTS + 1, (const int[]){2, 2, 2, 2, 2},
                                  (const int64_t *[]){DIMS(2, 3), DIMS(2, 3), DIMS(2, 3), DIMS(2, 3),
                                                      DIMS(2, 3)}, 2, DIMS(2, 3)));
}

Test(kernels_broadcast, cursor_and_random_access_agree)
{
    /* [2,1,3] with [4,1] -> [2,4,3]: nothing merges. */
    ol_bcast_plan p;
    const int64_t *dims[2] = {DIMS(2, 1, 3), DIMS(4, 1)};
    cr_assert(ol_bcast_plan_init(&p, 2, (const int[]){3, 2}, dims, 3, DIMS(2, 4, 3)));
    cr_assert_eq(p.rank, 3);
    int64_t len = ol_bcast_row_length(&p), rows = p.numel / len;
    ol_bcast_cursor c;
    ol_bcast_cursor_seek(&p, &c, 0);
    for (int64_t r = 0; r < rows; r++, ol_bcast_cursor_next(&p, &c)) {
        int64_t n = r / 4, h = r % 4;
        cr_assert_eq(c.offset[0], n * 3, "row %lld", (long long)r);
        cr_assert_eq(c.offset[1], h, "row %lld", (long long)r);
        for (int64_t w = 0; w < len; w++) {
            cr_assert_eq(ol_bcast_input_offset(&p, 0, r * len + w), n * 3 + w);
            cr_assert_eq(ol_bcast_input_offset(&p, 1, r * len + w), h);
        }
    }
    ol_bcast_cursor_seek(&p, &c, 6);   /* n = 1, h = 2 */
    cr_assert_eq(c.offset[0], 3);
    cr_assert_eq(c.offset[1], 2);
}

/* Row function: out = 100 * a + b on int32. */
static void combine_row(void *out, const void *const *in, const int64_t *s, int64_t n, const void *params)
{
    const int32_t *a = in[0], *b = in[1];
    int32_t *o = out;
    int32_t scale = *(const int32_t *)params;
    for (int64_t i = 0; i < n; i++)
        o[i] = scale * a[i * s[0]] + b[i * s[1]];
}

Test(kernels_broadcast, run_visits_every_output_element_once)
{
    int32_t a[2 * 3] = {1, 2, 3, 4, 5, 6}, b[4] = {10, 20, 30, 40}, out[2 * 4 * 3];
    ol_ktensor at = view(a, OL_INT32, 3, DIMS(2, 1, 3)), bt = view(b, OL_INT32, 2, DIMS(4, 1));
    ol_ktensor ot = view(out, OL_INT32, 3, DIMS(2, 4, 3));
    const ol_ktensor *ins[2] = {&at, &bt};
    ol_bcast_plan p;
    cr_assert(ol_bcast_plan_tensors(&p, 2, ins, &ot));
    const int32_t scale = 100;
    ol_bcast_run(&p, out, 4, (const void *[]){a, b}, (size_t[]){4, 4}, combine_row, &scale, 1);
    for (int n = 0; n < 2; n++)
        for (int h = 0; h < 4; h++)
            for (int w = 0; w < 3; w++)
                cr_assert_eq(out[(n * 4 + h) * 3 + w], 100 * a[n * 3 + w] + b[h]);
}

Test(kernels_broadcast, threaded_run_matches_single_thread)
{
    /* Above the 64Ki threshold, with rows split between threads mid-row. */
    enum { R = 301, C = 997 };
    static int32_t a[R * C], b[C], one[R * C], many[R * C];
    for (int i = 0; i < R * C; i++)
        a[i] = i;
    for (int i = 0; i < C; i++)
        b[i] = -i;
    ol_ktensor at = view(a, OL_INT32, 2, DIMS(R, C)), bt = view(b, OL_INT32, 1, DIMS(C));
    ol_ktensor ot = view(one, OL_INT32, 2, DIMS(R, C));
    ol_bcast_plan p;
    cr_assert(ol_bcast_plan_tensors(&p, 2, (const ol_ktensor *[]){&at, &bt}, &ot));
    const int32_t scale = 3;
    memset(many, 0xff, sizeof many);
    ol_bcast_run(&p, one, 4, (const void *[]){a, b}, (size_t[]){4, 4}, combine_row, &scale, 1);
    ol_bcast_run(&p, many, 4, (const void *[]){a, b}, (size_t[]){4, 4}, combine_row, &scale, 7);
    cr_assert_arr_eq(one, many, sizeof one);
    cr_assert_eq(one[5 * C + 7], 3 * (5 * C + 7) - 7);
}

Test(kernels_broadcast, run_of_an_empty_output_calls_nothing)
{
    int32_t a[1] = {0}, out[1] = {42};
    ol_ktensor at = view(a, OL_INT32, 2, DIMS(0, 3)), ot = view(out, OL_INT32, 2, DIMS(0, 3));
    ol_bcast_plan p;
    cr_assert(ol_bcast_plan_tensors(&p, 1, (const ol_ktensor *[]){&at}, &ot));
    cr_assert_eq(p.numel, 0);
    const int32_t scale = 1;
    ol_bcast_run(&p, out, 4, (const void *[]){a, a}, (size_t[]){4, 4}, combine_row, &scale, 4);
    cr_assert_eq(out[0], 42);
}

typedef struct range_log {
    int64_t covered[200000 / 8];
    int64_t count;
} range_log;

static void mark_range(int64_t start, int64_t end, void *ctx)
{
    range_log *log = ctx;
    cr_assert_eq(start % 8, 0, "piece starts at %lld", (long long)start);
    for (int64_t i = start; i < end; i += 8)
        __atomic_fetch_add(&log->covered[i / 8], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&log->count, end - start, __ATOMIC_RELAXED);
}

Test(kernels_broadcast, parallel_ranges_cover_once_and_respect_alignment)
{
    static range_log log;
    memset(&log, 0, sizeof log);
    ol_parallel_ranges(200000, 8, 3, mark_range, &log);
    cr_assert_eq(log.count, 200000);
    for (int i = 0; i < 200000 / 8; i++)
        cr_assert_eq(log.covered[i], 1, "block %d", i);
}
