#include "kernels/reduce.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/element.h"

static double reduce_init(ol_reduce_op op)
{
    switch (op) {
    case OL_REDUCE_MAX: return -INFINITY;
    case OL_REDUCE_MIN: return INFINITY;
    case OL_REDUCE_PROD: return 1.0;
    default: return 0.0;
    }
}

static double reduce_step(ol_reduce_op op, double acc, double v)
{
    switch (op) {
    case OL_REDUCE_MAX: return v > acc || isnan(v) ? v : acc;
    case OL_REDUCE_MIN: return v < acc || isnan(v) ? v : acc;
    case OL_REDUCE_PROD: return acc * v;
    case OL_REDUCE_L1: return acc + fabs(v);
    case OL_REDUCE_L2:
    case OL_REDUCE_SUM_SQUARE: return acc + v * v;
    default: return acc + v;
    }
}

static double reduce_finish(ol_reduce_op op, double acc, double count, double max)
{
    switch (op) {
    case OL_REDUCE_MEAN: return acc / count;
    case OL_REDUCE_L2: return sqrt(acc);
    case OL_REDUCE_LOG_SUM: return log(acc);
    case OL_REDUCE_LOG_SUM_EXP: return max + log(acc);
    default: return acc;
    }
}

/* For each input axis, the stride of the matching output element (0 for reduced axes). */
static void output_strides(const ol_ktensor *x, uint64_t axes, int64_t *ostride)
{
    int64_t s = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        if (axes >> d & 1) {
            ostride[d] = 0;
        } else {
            ostride[d] = s;
            s *= x->dims[d];
        }
    }
}

/* One pass over x in memory order, folding each element into its output's accumulator. */
static void accumulate(const ol_ktensor *x, const int64_t *ostride, ol_reduce_op op, double *acc,
                       const double *shift)
{
    int64_t n = ol_ktensor_numel(x), idx[OL_KMAX_RANK] = {0}, out = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = ol_elem_get_f64(x->data, x->dtype, i);
        if (shift)
            v = exp(v - shift[out]);
        acc[out] = reduce_step(op, acc[out], v);
        for (int d = x->rank - 1; d >= 0; d--) {
            out += ostride[d];
            if (++idx[d] < x->dims[d])
                break;
            out -= ostride[d] * x->dims[d];
            idx[d] = 0;
        }
    }
}

/* Float32 over a trailing block of axes: rows of contiguous memory, summed in double. */
static bool reduce_trailing_f32(const ol_ktensor *x, uint64_t axes, ol_reduce_op op, ol_ktensor *y)
{
    if (x->dtype != OL_FLOAT || (op != OL_REDUCE_SUM && op != OL_REDUCE_MEAN && op != OL_REDUCE_MAX &&
                                 op != OL_REDUCE_MIN && op != OL_REDUCE_SUM_SQUARE))
        return false;
    int first = x->rank;
    while (first > 0 && (axes >> (first - 1) & 1))
        first--;
    for (int d = 0; d < first; d++)
        if (axes >> d & 1)
            return false;
    int64_t rows = 1, cols = 1;
    for (int d = 0; d < first; d++)
        rows *= x->dims[d];
    for (int d = first; d < x->rank; d++)
        cols *= x->dims[d];
    const float *src = x->data;
    float *dst = y->data;
#pragma omp parallel for if (rows * cols > 262144)
    for (int64_t r = 0; r < rows; r++) {
        const float *row = src + r * cols;
        double acc = reduce_init(op);
        for (int64_t c = 0; c < cols; c++)
            acc = reduce_step(op, acc, row[c]);
        dst[r] = (float)reduce_finish(op, acc, (double)cols, 0);
    }
    return true;
}

void ol_reduce(const ol_ktensor *x, uint64_t axes, ol_reduce_op op, ol_ktensor *y, double *acc)
{
    if (reduce_trailing_f32(x, axes, op, y))
        return;
    int64_t ostride[OL_KMAX_RANK], n_out = ol_ktensor_numel(y), count = 1;
    output_strides(x, axes, ostride);
    for (int d = 0; d < x->rank; d++)
        if (axes >> d & 1)
            count *= x->dims[d];
    double *max = NULL;
    if (op == OL_REDUCE_LOG_SUM_EXP && n_out > 0) {
        /* Subtract the max before exp so large inputs do not overflow. */
        max = malloc((size_t)n_out * sizeof *max);
        for (int64_t i = 0; max && i < n_out; i++)
            max[i] = -INFINITY;
        if (max)
            accumulate(x, ostride, OL_REDUCE_MAX, max, NULL);
        for (int64_t i = 0; max && i < n_out; i++)
            if (isinf(max[i]))
                max[i] = 0;
    }
    for (int64_t i = 0; i < n_out; i++)
        acc[i] = reduce_init(op);
    accumulate(x, ostride, op, acc, max);
    for (int64_t i = 0; i < n_out; i++) {
        /* Integer sums go through the double accumulator, exact below 2^53. */
        ol_elem_set_f64(y->data, y->dtype, i, reduce_finish(op, acc[i], (double)count, max ? max[i] : 0));
    }
    free(max);
}

void ol_argreduce(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, bool max,
                  bool select_last, int64_t *out)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * axis * inner + in, best = 0;
            double best_v = ol_elem_get_f64(x->data, x->dtype, base);
            for (int64_t a = 1; a < axis; a++) {
                double v = ol_elem_get_f64(x->data, x->dtype, base + a * inner);
                bool better = max ? (select_last ? v >= best_v : v > best_v)
                                  : (select_last ? v <= best_v : v < best_v);
                if (better) {
                    best = a;
                    best_v = v;
                }
            }
            out[o * inner + in] = best;
        }
}

static int by_value_desc(const void *a, const void *b)
{
    const ol_topk_item *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int by_value_asc(const void *a, const void *b)
{
    const ol_topk_item *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void ol_topk(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, int64_t k, bool largest,
             void *values, int64_t *indices, ol_topk_item *work)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * axis * inner + in;
            for (int64_t a = 0; a < axis; a++)
                work[a] = (ol_topk_item){ol_elem_get_f64(x->data, x->dtype, base + a * inner), a};
            qsort(work, (size_t)axis, sizeof *work, largest ? by_value_desc : by_value_asc);
            for (int64_t j = 0; j < k; j++) {
                int64_t dst = o * k * inner + j * inner + in;
                /* Copy the element itself, so int64 values stay exact. */
                size_t esize = ol_dtype_bits(x->dtype) / 8;
                memcpy((char *)values + dst * esize,
                       (const char *)x->data + (base + work[j].index * inner) * esize, esize);
                indices[dst] = work[j].index;
            }
        }
}

void ol_cumsum(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, bool exclusive,
               bool reverse, void *y)
{
    bool exact = !ol_elem_is_float(x->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double acc = 0;
            int64_t iacc = 0;
            for (int64_t step = 0; step < axis; step++) {
                int64_t a = reverse ? axis - 1 - step : step, i = o * axis * inner + a * inner + in;
                double v = exact ? 0 : ol_elem_get_f64(x->data, x->dtype, i);
                int64_t iv = exact ? ol_elem_get_i64(x->data, x->dtype, i) : 0;
                if (!exclusive) {
                    acc += v;
                    iacc += iv;
                }
                if (exact)
                    ol_elem_set_i64(y, x->dtype, i, iacc);
                else
                    ol_elem_set_f64(y, x->dtype, i, acc);
                if (exclusive) {
                    acc += v;
                    iacc += iv;
                }
            }
        }
}
