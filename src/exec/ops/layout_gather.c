/* Gather, GatherElements, GatherND, ScatterElements (and the older Scatter) and ScatterND. */
#include <string.h>

#include "exec/ops/layout_internal.h"
#include "kernels/gather.h"
#include "kernels/scatter.h"

/* Checks the indices' type and normalizes them (negative ones count from the end) into scratch
 * memory; limits[i % period] bounds index i. */
static const int64_t *normalize_indices(ol_op_ctx *ctx, const ol_ktensor *indices, const int64_t *limits,
                                        int period)
{
    if (indices->dtype != OL_INT32 && indices->dtype != OL_INT64) {
        ol_op_fail(ctx, OL_ERR_INVALID, "indices must be int32 or int64, got %s",
                   ol_dtype_name(indices->dtype));
        return NULL;
    }
    int64_t n = ol_ktensor_numel(indices);
    int64_t *out = ol_op_scratch(ctx, (size_t)n * sizeof *out + sizeof *out);
    if (!out)
        return NULL;
    int64_t bad = ol_indices_normalize(indices, limits, period > 0 ? period : 1, out);
    if (bad >= 0) {
        int64_t v = indices->dtype == OL_INT32 ? ((const int32_t *)indices->data)[bad]
                                               : ((const int64_t *)indices->data)[bad];
        ol_op_fail(ctx, OL_ERR_INVALID, "index %lld (element %lld of indices) is outside [%lld, %lld)",
                   (long long)v, (long long)bad, (long long)-limits[bad % (period > 0 ? period : 1)],
                   (long long)limits[bad % (period > 0 ? period : 1)]);
        return NULL;
    }
    return out;
}

ol_status layout_gather(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data"), *idx = layout_input(ctx, 1, "indices");
    size_t es;
    int axis;
    if (!x || !idx || layout_elem_size(ctx, x, &es) != OL_OK ||
        layout_axis(ctx, ol_node_attr_int(ol_op_node(ctx), "axis", 0), x->rank, "axis", &axis) != OL_OK)
        return ol_op_error(ctx)->status;
    int rank = x->rank - 1 + idx->rank;
    if (rank > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output rank %d is above %d", rank, OL_KMAX_RANK);
    const int64_t *indices = normalize_indices(ctx, idx, &x->dims[axis], 1);
    if (!indices)
        return ol_op_error(ctx)->status;
    int64_t dims[OL_KMAX_RANK];
    int r = 0;
    for (int d = 0; d < axis; d++)
        dims[r++] = x->dims[d];
    for (int d = 0; d < idx->rank; d++)
        dims[r++] = idx->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        dims[r++] = x->dims[d];
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_gather(x, axis, indices, ol_ktensor_numel(idx), y);
    return OL_OK;
}

/* GatherElements/ScatterElements: indices of data's rank, no larger than data outside `axis`. */
static ol_status check_element_indices(ol_op_ctx *ctx, const ol_ktensor *data, const ol_ktensor *idx,
                                       int axis)
{
    if (idx->rank != data->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "indices have rank %d, data %d", idx->rank, data->rank);
    for (int d = 0; d < data->rank; d++)
        if (d != axis && idx->dims[d] > data->dims[d])
            return ol_op_fail(ctx, OL_ERR_INVALID, "indices have %lld along axis %d, data only %lld",
                              (long long)idx->dims[d], d, (long long)data->dims[d]);
    return OL_OK;
}

ol_status layout_gather_elements(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data"), *idx = layout_input(ctx, 1, "indices");
    size_t es;
    int axis;
    if (!x || !idx || layout_elem_size(ctx, x, &es) != OL_OK ||
        layout_axis(ctx, ol_node_attr_int(ol_op_node(ctx), "axis", 0), x->rank, "axis", &axis) != OL_OK ||
        check_element_indices(ctx, x, idx, axis) != OL_OK)
        return ol_op_error(ctx)->status;
    const int64_t *indices = normalize_indices(ctx, idx, &x->dims[axis], 1);
    ol_ktensor *y = indices ? ol_op_output(ctx, 0, x->dtype, idx->rank, idx->dims) : NULL;
    if (!y)
        return ol_op_error(ctx)->status;
    ol_gather_elements(x, axis, indices, y);
    return OL_OK;
}

ol_status layout_gather_nd(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data"), *idx = layout_input(ctx, 1, "indices");
    size_t es;
    if (!x || !idx || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    int64_t b = ol_op_opset(ctx) >= 12 ? ol_node_attr_int(ol_op_node(ctx), "batch_dims", 0) : 0;
    if (x->rank < 1 || idx->rank < 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "data and indices must have rank >= 1");
    int64_t depth = idx->dims[idx->rank - 1];
    if (b < 0 || b >= idx->rank || b >= x->rank || depth > x->rank - b)
        return ol_op_fail(ctx, OL_ERR_INVALID, "batch_dims %lld and index depth %lld do not fit data of "
                          "rank %d and indices of rank %d", (long long)b, (long long)depth, x->rank, idx->rank);
    for (int d = 0; d < b; d++)
        if (idx->dims[d] != x->dims[d])
            return ol_op_fail(ctx, OL_ERR_INVALID, "batch axis %d has %lld indices for %lld data", d,
                              (long long)idx->dims[d], (long long)x->dims[d]);
    int rank = idx->rank - 1 + x->rank - (int)(b + depth);
    if (rank > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output rank %d is above %d", rank, OL_KMAX_RANK);
    int64_t dims[OL_KMAX_RANK], n_tuples = 1;
    int r = 0;
    for (int d = 0; d < idx->rank - 1; d++) {
        dims[r++] = idx->dims[d];
        if (d >= b)
            n_tuples *= idx->dims[d];
    }
    for (int d = (int)(b + depth); d < x->rank; d++)
        dims[r++] = x->dims[d];
    const int64_t *indices = normalize_indices(ctx, idx, &x->dims[b], (int)depth);
    ol_ktensor *y = indices ? ol_op_output(ctx, 0, x->dtype, rank, dims) : NULL;
    if (!y)
        return ol_op_error(ctx)->status;
    ol_gather_nd(x, (int)b, indices, n_tuples, (int)depth, y);
    return OL_OK;
}

/* reduction (opset 16: none/add/mul, 18: max/min). */
static ol_status scatter_reduction(ol_op_ctx *ctx, const ol_ktensor *data, ol_scatter_reduction *out)
{
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    const ol_node *node = ol_op_node(ctx);
    bool known = false;
    for (int r = 0; r < 5 && !known; r++)
        if (layout_attr_is(node, "reduction", "none", names[r])) {
            *out = (ol_scatter_reduction)r;
            known = true;
        }
    if (!known)
        return ol_op_fail(ctx, OL_ERR_INVALID, "reduction must be none, add, mul, max or min");
    if (!ol_scatter_reduction_supported(data->dtype, *out))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "reduction %s on %s", names[*out],
                          ol_dtype_name(data->dtype));
    return OL_OK;
}

ol_status layout_scatter_elements(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data"), *idx = layout_input(ctx, 1, "indices"),
                     *upd = layout_input(ctx, 2, "updates");
    int axis;
    ol_scatter_reduction reduction;
    if (!x || !idx || !upd || scatter_reduction(ctx, x, &reduction) != OL_OK ||
        layout_axis(ctx, ol_node_attr_int(ol_op_node(ctx), "axis", 0), x->rank, "axis", &axis) != OL_OK ||
        check_element_indices(ctx, x, idx, axis) != OL_OK)
        return ol_op_error(ctx)->status;
    bool same = upd->dtype == x->dtype && upd->rank == idx->rank;
    for (int d = 0; same && d < idx->rank; d++)
        same = upd->dims[d] == idx->dims[d];
    if (!same)
        return ol_op_fail(ctx, OL_ERR_INVALID, "updates must have the indices' shape and the data's type");
    const int64_t *indices = normalize_indices(ctx, idx, &x->dims[axis], 1);
    ol_ktensor *y = indices ? ol_op_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (!y)
        return ol_op_error(ctx)->status;
    ol_scatter_elements(x, axis, indices, upd, reduction, y);
    return OL_OK;
}

ol_status layout_scatter_nd(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data"), *idx = layout_input(ctx, 1, "indices"),
                     *upd = layout_input(ctx, 2, "updates");
    ol_scatter_reduction reduction;
    if (!x || !idx || !upd || scatter_reduction(ctx, x, &reduction) != OL_OK)
        return ol_op_error(ctx)->status;
    if (idx->rank < 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "indices must have rank >= 1");
    int64_t depth = idx->dims[idx->rank - 1];
    if (depth > x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "index tuples of %lld for data of rank %d",
                          (long long)depth, x->rank);
    /* updates: indices.shape[:-1] + data.shape[depth:] */
    int expected_rank = idx->rank - 1 + x->rank - (int)depth;
    bool same = upd->dtype == x->dtype && upd->rank == expected_rank;
    int64_t n_tuples = 1;
    for (int d = 0; d < idx->rank - 1; d++) {
        same = same && upd->dims[d] == idx->dims[d];
        n_tuples *= idx->dims[d];
    }
    for (int d = (int)depth; same && d < x->rank; d++)
        same = upd->dims[idx->rank - 1 + d - depth] == x->dims[d];
    if (!same)
        return ol_op_fail(ctx, OL_ERR_INVALID, "updates must be indices.shape[:-1] + data.shape[%lld:] "
                          "of the data's type", (long long)depth);
    const int64_t *indices = normalize_indices(ctx, idx, x->dims, (int)depth);
    ol_ktensor *y = indices ? ol_op_output(ctx, 0, x->dtype, x->rank, x->dims) : NULL;
    if (!y)
        return ol_op_error(ctx)->status;
    ol_scatter_nd(x, indices, n_tuples, (int)depth, upd, reduction, y);
    return OL_OK;
}
