/* Reduce*, ArgMax/ArgMin, TopK and CumSum: attribute/input rules per opset, then the kernels of
 * backends/kernels/reduce.c. */
#include <string.h>

#include "exec/ops/normalize_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/element.h"
#include "kernels/reduce.h"

typedef struct reduce_name {
    const char *op_type;
    ol_reduce_op op;
    int axes_input_since;   /* opset from which axes is an input instead of an attribute */
} reduce_name;

static const reduce_name REDUCES[] = {
    {"ReduceSum", OL_REDUCE_SUM, 13},         {"ReduceMean", OL_REDUCE_MEAN, 18},
    {"ReduceMax", OL_REDUCE_MAX, 18},         {"ReduceMin", OL_REDUCE_MIN, 18},
    {"ReduceProd", OL_REDUCE_PROD, 18},       {"ReduceL1", OL_REDUCE_L1, 18},
    {"ReduceL2", OL_REDUCE_L2, 18},           {"ReduceLogSum", OL_REDUCE_LOG_SUM, 18},
    {"ReduceLogSumExp", OL_REDUCE_LOG_SUM_EXP, 18}, {"ReduceSumSquare", OL_REDUCE_SUM_SQUARE, 18},
};

ol_status ol_run_reduce(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const reduce_name *r = NULL;
    for (size_t i = 0; i < sizeof REDUCES / sizeof *REDUCES; i++)
        if (strcmp(REDUCES[i].op_type, node->op_type) == 0)
            r = &REDUCES[i];
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!r || !x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    if (!ol_elem_numeric(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(x->dtype));
    int64_t axes[OL_KMAX_RANK];
    size_t n_axes = 0;
    if (ol_op_opset(ctx) >= r->axes_input_since) {
        const ol_ktensor *a = ol_op_input(ctx, 1);
        if (a && !ol_op_read_ints(a, axes, OL_KMAX_RANK, &n_axes))
            return ol_op_fail(ctx, OL_ERR_INVALID, "axes must be a 1-D int64 tensor of at most %d values",
                              OL_KMAX_RANK);
    } else {
        size_t n = 0;
        const int64_t *attr = ol_node_attr_ints(node, "axes", &n);
        if (n > OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_INVALID, "too many axes");
        if (attr)
            memcpy(axes, attr, n * sizeof *axes);
        n_axes = n;
    }
    bool keepdims = ol_node_attr_int(node, "keepdims", 1) != 0;
    uint64_t mask = 0;
    if (n_axes == 0) {
        if (ol_node_attr_int(node, "noop_with_empty_axes", 0)) {
            ol_status st = ol_op_alias_output(ctx, 0, 0, x->rank, x->dims);
            return st;
        }
        mask = x->rank ? (UINT64_C(1) << x->rank) - 1 : 0;
    }
    for (size_t i = 0; i < n_axes; i++) {
        int axis;
        if (!ol_op_axis(axes[i], x->rank, &axis))
            return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d",
                              (long long)axes[i], x->rank);
        mask |= UINT64_C(1) << axis;
    }
    int64_t dims[OL_KMAX_RANK];
    int rank = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!(mask >> d & 1))
            dims[rank++] = x->dims[d];
        else if (keepdims)
            dims[rank++] = 1;
    }
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t n_out = ol_ktensor_numel(y);
    double *acc = ol_op_scratch(ctx, (size_t)(n_out ? n_out : 1) * sizeof *acc);
    if (!acc)
        return ol_op_error(ctx)->status;
    ol_reduce(x, mask, r->op, y, acc);
    return OL_OK;
}

/* Splits x at `axis` into [outer][axis][inner] and computes the reduced output shape. */
static bool split_axis(ol_op_ctx *ctx, const ol_ktensor *x, int64_t axis_attr, bool keepdims, int *axis,
                       int64_t *outer, int64_t *inner, int64_t *dims, int *rank)
{
    if (!ol_op_axis(axis_attr, x->rank, axis)) {
        ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axis_attr, x->rank);
        return false;
    }
    *outer = ol_op_dims_product(x, 0, *axis);
    *inner = ol_op_dims_product(x, *axis + 1, x->rank);
    *rank = 0;
    for (int d = 0; d < x->rank; d++)
        if (d != *axis)
            dims[(*rank)++] = x->dims[d];
        else if (keepdims)
            dims[(*rank)++] = 1;
    return true;
}

static ol_status run_argreduce(ol_op_ctx *ctx, bool max)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x || !ol_elem_numeric(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "needs a numeric input");
    int axis, rank;
    int64_t outer, inner, dims[OL_KMAX_RANK];
    if (!split_axis(ctx, x, ol_node_attr_int(node, "axis", 0), ol_node_attr_int(node, "keepdims", 1) != 0,
                    &axis, &outer, &inner, dims, &rank))
        return ol_op_error(ctx)->status;
    if (x->dims[axis] == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "cannot take the arg%s of an empty axis", max ? "max" : "min");
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT64, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_argreduce(x, outer, x->dims[axis], inner, max, ol_node_attr_int(node, "select_last_index", 0) != 0,
                 y->data);
    return OL_OK;
}

ol_status ol_run_argmax(ol_op_ctx *ctx) { return run_argreduce(ctx, true); }
ol_status ol_run_argmin(ol_op_ctx *ctx) { return run_argreduce(ctx, false); }

ol_status ol_run_topk(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x || !ol_elem_numeric(x->dtype) || ol_dtype_bits(x->dtype) < 8)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "needs a numeric input");
    int64_t k;
    if (ol_op_opset(ctx) >= 10) {
        size_t n = 0;
        if (!ol_op_read_ints(ol_op_input(ctx, 1), &k, 1, &n) || n != 1)
            return ol_op_fail(ctx, OL_ERR_INVALID, "K must be a one-element int64 tensor");
    } else {
        k = ol_node_attr_int(node, "k", -1);
    }
    int axis, rank;
    int64_t outer, inner, dims[OL_KMAX_RANK];
    if (!split_axis(ctx, x, ol_node_attr_int(node, "axis", -1), true, &axis, &outer, &inner, dims, &rank))
        return ol_op_error(ctx)->status;
    int64_t len = x->dims[axis];
    if (k < 0 || k > len)
        return ol_op_fail(ctx, OL_ERR_INVALID, "K = %lld is outside 0..%lld", (long long)k, (long long)len);
    dims[axis] = k;
    ol_ktensor *values = ol_op_output(ctx, 0, x->dtype, rank, dims);
    ol_ktensor *indices = values ? ol_op_output(ctx, 1, OL_INT64, rank, dims) : NULL;
    ol_topk_item *work = indices ? ol_op_scratch(ctx, (size_t)(len ? len : 1) * sizeof *work) : NULL;
    if (!work)
        return ol_op_error(ctx)->status;
    bool largest = ol_op_opset(ctx) < 11 || ol_node_attr_int(node, "largest", 1) != 0;
    ol_topk(x, outer, len, inner, k, largest, values->data, indices->data, work);
    return OL_OK;
}

ol_status ol_run_cumsum(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0);
    int64_t axis_value;
    size_t n = 0;
    if (!x || !ol_elem_numeric(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "needs a numeric input");
    if (!ol_op_read_ints(ol_op_input(ctx, 1), &axis_value, 1, &n) || n != 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis must be a one-element integer tensor");
    int axis;
    if (!ol_op_axis(axis_value, x->rank, &axis))
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axis_value,
                          x->rank);
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_cumsum(x, ol_op_dims_product(x, 0, axis), x->dims[axis], ol_op_dims_product(x, axis + 1, x->rank),
              ol_node_attr_int(node, "exclusive", 0) != 0, ol_node_attr_int(node, "reverse", 0) != 0, y->data);
    return OL_OK;
}
