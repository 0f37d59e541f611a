/* Concat and Split. */
#include <stdlib.h>
#include <string.h>

#include "exec/ops/layout_internal.h"
#include "kernels/concat.h"

ol_status layout_concat(ol_op_ctx *ctx)
{
    size_t n = ol_op_input_count(ctx), es;
    const ol_ktensor *first = layout_input(ctx, 0, "inputs");
    if (!first || layout_elem_size(ctx, first, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    /* axis became required in opset 4; opset 1 defaulted to 1. */
    const ol_attr *axis_attr = ol_node_attr(ol_op_node(ctx), "axis");
    if (!axis_attr && ol_op_opset(ctx) >= 4)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the axis attribute is missing");
    int axis;
    if (first->rank == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "cannot concatenate scalars");
    if (layout_axis(ctx, axis_attr ? axis_attr->i : 1, first->rank, "axis", &axis) != OL_OK)
        return ol_op_error(ctx)->status;
    const ol_ktensor **xs = malloc(n * sizeof *xs);
    if (!xs)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    int64_t dims[OL_KMAX_RANK];
    memcpy(dims, first->dims, sizeof(int64_t) * (size_t)first->rank);
    dims[axis] = 0;
    ol_status st = OL_OK;
    for (size_t k = 0; k < n && st == OL_OK; k++) {
        const ol_ktensor *x = layout_input(ctx, k, "inputs");
        if (!x) {
            st = ol_op_error(ctx)->status;
            break;
        }
        if (x->dtype != first->dtype || x->rank != first->rank) {
            st = ol_op_fail(ctx, OL_ERR_INVALID, "input %zu is %s of rank %d, input 0 %s of rank %d", k,
                            ol_dtype_name(x->dtype), x->rank, ol_dtype_name(first->dtype), first->rank);
            break;
        }
        for (int d = 0; d < x->rank && st == OL_OK; d++)
            if (d != axis && x->dims[d] != first->dims[d])
                st = ol_op_fail(ctx, OL_ERR_INVALID, "input %zu has %lld along axis %d, input 0 %lld", k,
                                (long long)x->dims[d], d, (long long)first->dims[d]);
        if (st == OL_OK && x->dims[axis] > INT64_MAX - dims[axis])
            st = ol_op_fail(ctx, OL_ERR_INVALID, "the concatenated axis overflows");
        if (st == OL_OK)
            dims[axis] += x->dims[axis];
        xs[k] = x;
    }
    ol_ktensor *y = st == OL_OK ? ol_op_output(ctx, 0, first->dtype, first->rank, dims) : NULL;
    if (y)
        ol_concat(xs, n, axis, y);
    else if (st == OL_OK)
        st = ol_op_error(ctx)->status;
    free(xs);
    return st;
}

/* Extents of the n outputs along the axis of extent `dim`: from the split list (attribute before
 * opset 13, input from 13; opset 1 took either), else equal parts (num_outputs in opset 18 allows
 * a smaller last part). */
static ol_status split_sizes(ol_op_ctx *ctx, int64_t dim, size_t n, int64_t *sizes)
{
    const ol_node *node = ol_op_node(ctx);
    int64_t opset = ol_op_opset(ctx);
    size_t given = 0;
    const int64_t *attr = NULL;
    const ol_ktensor *input = NULL;
    if (opset < 13)
        attr = ol_node_attr_ints(node, "split", &given);
    if (!attr && (opset >= 13 || opset == 1))
        input = ol_op_input(ctx, 1);
    if (input && ol_ktensor_numel(input) == 0)
        input = NULL;   /* an empty split list means equal parts, as when it is omitted */
    if (input) {
        given = (size_t)ol_ktensor_numel(input);
        if (given != n)
            return ol_op_fail(ctx, OL_ERR_INVALID, "split has %zu entries for %zu outputs", given, n);
        if (layout_ints(ctx, input, "split", sizes, n, &given) != OL_OK)
            return ol_op_error(ctx)->status;
    } else if (attr) {
        if (given != n)
            return ol_op_fail(ctx, OL_ERR_INVALID, "split has %zu entries for %zu outputs", given, n);
        memcpy(sizes, attr, n * sizeof *sizes);
    }
    if (input || attr) {
        int64_t sum = 0;
        for (size_t k = 0; k < n; k++) {
            if (sizes[k] < 0 || sizes[k] > dim - sum)
                return ol_op_fail(ctx, OL_ERR_INVALID, "split sizes are negative or exceed the axis "
                                  "extent %lld", (long long)dim);
            sum += sizes[k];
        }
        if (sum != dim)
            return ol_op_fail(ctx, OL_ERR_INVALID, "split sizes sum to %lld, the axis has %lld",
                              (long long)sum, (long long)dim);
        return OL_OK;
    }
    const ol_attr *num = opset >= 18 ? ol_node_attr(node, "num_outputs") : NULL;
    if (num) {
        if (num->i != (int64_t)n)
            return ol_op_fail(ctx, OL_ERR_INVALID, "num_outputs is %lld but the node has %zu outputs",
                              (long long)num->i, n);
        int64_t chunk = (dim + (int64_t)n - 1) / (int64_t)n, last = dim - chunk * (int64_t)(n - 1);
        if (last < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "an axis of %lld cannot be split into %zu parts of "
                              "%lld", (long long)dim, n, (long long)chunk);
        for (size_t k = 0; k < n; k++)
            sizes[k] = k + 1 < n ? chunk : last;
        return OL_OK;
    }
    if (dim % (int64_t)n != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "an axis of %lld cannot be split into %zu equal parts",
                          (long long)dim, n);
    for (size_t k = 0; k < n; k++)
        sizes[k] = dim / (int64_t)n;
    return OL_OK;
}

ol_status layout_split(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "input");
    size_t es, n = ol_op_output_count(ctx);
    int axis;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK ||
        layout_axis(ctx, ol_node_attr_int(ol_op_node(ctx), "axis", 0), x->rank, "axis", &axis) != OL_OK)
        return ol_op_error(ctx)->status;
    if (n == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the node has no outputs");
    int64_t *sizes = malloc(n * sizeof *sizes);
    ol_ktensor **ys = malloc(n * sizeof *ys);
    ol_status st = sizes && ys ? split_sizes(ctx, x->dims[axis], n, sizes)
                               : ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    int64_t dims[OL_KMAX_RANK];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    for (size_t k = 0; k < n && st == OL_OK; k++) {
        dims[axis] = sizes[k];
        ys[k] = ol_op_output(ctx, k, x->dtype, x->rank, dims);
        if (!ys[k])
            st = ol_op_error(ctx)->status;
    }
    if (st == OL_OK)
        ol_split(x, axis, ys, n);
    free(sizes);
    free(ys);
    return st;
}
