/* Range, Trilu, OneHot and NonZero. */
#include <math.h>
#include <string.h>

#include "exec/compare.h"
#include "exec/ops/layout_internal.h"
#include "kernels/axis_gather.h"
#include "kernels/generate.h"

static bool is_integer_type(ol_dtype t)
{
    return t == OL_INT16 || t == OL_INT32 || t == OL_INT64;
}

static int64_t int_scalar(const ol_ktensor *t)
{
    switch (t->dtype) {
    case OL_INT16: return *(const int16_t *)t->data;
    case OL_INT32: return *(const int32_t *)t->data;
    default: return *(const int64_t *)t->data;
    }
}

ol_status layout_range(ol_op_ctx *ctx)
{
    const ol_ktensor *start = layout_input(ctx, 0, "start"), *limit = layout_input(ctx, 1, "limit"),
                     *delta = layout_input(ctx, 2, "delta");
    if (!start || !limit || !delta)
        return ol_op_error(ctx)->status;
    ol_dtype t = start->dtype;
    if (limit->dtype != t || delta->dtype != t)
        return ol_op_fail(ctx, OL_ERR_INVALID, "start, limit and delta differ in type");
    if (t != OL_FLOAT && t != OL_DOUBLE && !is_integer_type(t))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s ranges", ol_dtype_name(t));
    if (ol_ktensor_numel(start) != 1 || ol_ktensor_numel(limit) != 1 || ol_ktensor_numel(delta) != 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "start, limit and delta must be scalars");
    int64_t count;
    if (is_integer_type(t)) {
        if (int_scalar(delta) == 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "delta is 0");
        count = ol_range_count_int(int_scalar(start), int_scalar(limit), int_scalar(delta));
    } else {
        double s = ol_ktensor_get_f64(start, 0), l = ol_ktensor_get_f64(limit, 0),
               d = ol_ktensor_get_f64(delta, 0);
        if (d == 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "delta is 0");
        count = ol_range_count(s, l, d);
    }
    if (count < 0 || count > (INT64_MAX >> 4))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the range has no representable length");
    ol_ktensor *y = ol_op_output(ctx, 0, t, 1, &count);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_range(start, delta, y);
    return OL_OK;
}

ol_status layout_trilu(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "input"), *k_t = ol_op_input(ctx, 1);
    size_t es;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    if (x->rank < 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input must have rank >= 2, got %d", x->rank);
    int64_t k = 0;
    size_t n;
    if (k_t && layout_ints(ctx, k_t, "k", &k, 1, &n) != OL_OK)
        return ol_op_error(ctx)->status;
    /* Diagonals beyond the matrix all give the same result; clamping keeps i + k from overflowing. */
    int64_t reach = x->dims[x->rank - 2] + x->dims[x->rank - 1];
    k = k < -reach ? -reach : k > reach ? reach : k;
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_trilu(x, y, k, ol_node_attr_int(ol_op_node(ctx), "upper", 1) != 0);
    return OL_OK;
}

ol_status layout_onehot(ol_op_ctx *ctx)
{
    const ol_ktensor *idx = layout_input(ctx, 0, "indices"), *depth_t = layout_input(ctx, 1, "depth"),
                     *values = layout_input(ctx, 2, "values");
    double depth_v;
    size_t es;
    if (!idx || !depth_t || !values || layout_scalar(ctx, depth_t, "depth", &depth_v) != OL_OK ||
        layout_elem_size(ctx, values, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    if (ol_ktensor_numel(values) != 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "values must hold [off, on], got %lld elements",
                          (long long)ol_ktensor_numel(values));
    if (!(depth_v >= 0 && depth_v < 1e12))
        return ol_op_fail(ctx, OL_ERR_INVALID, "depth %g is not a valid size", depth_v);
    int64_t depth = (int64_t)depth_v;
    int rank = idx->rank + 1, axis;
    if (rank > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output rank %d is above %d", rank, OL_KMAX_RANK);
    if (layout_axis(ctx, ol_node_attr_int(ol_op_node(ctx), "axis", -1), rank, "axis", &axis) != OL_OK)
        return ol_op_error(ctx)->status;
    /* Indices may be of any numeric type; negative ones count from depth, and values that are not
     * integers in [-depth, depth) select nothing. */
    int64_t n = ol_ktensor_numel(idx), outer = 1, inner = 1;
    int64_t *norm = ol_op_scratch(ctx, (size_t)n * sizeof *norm + sizeof *norm);
    if (!norm)
        return ol_op_error(ctx)->status;
    for (int64_t i = 0; i < n; i++) {
        double v = ol_ktensor_get_f64(idx, i);
        if (v < 0)
            v += (double)depth;
        norm[i] = v >= 0 && v < (double)depth && v == floor(v) ? (int64_t)v : -1;
    }
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0, k = 0; d < rank; d++) {
        if (d == axis) {
            dims[d] = depth;
            continue;
        }
        dims[d] = idx->dims[k++];
        *(d < axis ? &outer : &inner) *= dims[d];
    }
    ol_ktensor *y = ol_op_output(ctx, 0, values->dtype, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    const uint8_t *v = values->data;
    ol_onehot(norm, outer, depth, inner, v, v + es, y);
    return OL_OK;
}

ol_status layout_nonzero(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "X");
    size_t es;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    int64_t count = ol_nonzero_count(x);
    int64_t dims[2] = {x->rank > 0 ? x->rank : 1, count};
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT64, 2, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_nonzero(x, count, y->data);
    return OL_OK;
}
