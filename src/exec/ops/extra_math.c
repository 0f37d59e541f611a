/* CumProd (opset 26+), LpNormalization (opset 1+), EyeLike (opset 9+) and SwiGLU (opset 28+). */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/cumulative.h"
#include "kernels/element.h"
#include "kernels/lp_norm.h"
#include "kernels/swiglu.h"

ol_status ol_run_cumprod(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0);
    int64_t axis_value;
    size_t n = 0;
    if (!x || !ol_elem_numeric(x->dtype) || x->dtype == OL_BOOL)
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
    ol_cumprod(x, ol_op_dims_product(x, 0, axis), x->rank ? x->dims[axis] : 1,
               ol_op_dims_product(x, axis + 1, x->rank), ol_node_attr_int(node, "exclusive", 0) != 0,
               ol_node_attr_int(node, "reverse", 0) != 0, y->data);
    return OL_OK;
}

ol_status ol_run_lp_normalization(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x || (x->dtype != OL_FLOAT && x->dtype != OL_DOUBLE))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "needs a float32/float16/float64 input");
    int64_t p = ol_node_attr_int(node, "p", 2), axis_value = ol_node_attr_int(node, "axis", -1);
    if (p != 1 && p != 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "p must be 1 or 2, is %lld", (long long)p);
    int axis;
    if (!ol_op_axis(axis_value, x->rank, &axis))
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axis_value,
                          x->rank);
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t outer = ol_op_dims_product(x, 0, axis), inner = ol_op_dims_product(x, axis + 1, x->rank);
    int64_t len = x->rank ? x->dims[axis] : 1;
    if (x->dtype == OL_FLOAT)
        ol_lp_normalize_f32(x->data, y->data, outer, len, inner, (int)p);
    else
        ol_lp_normalize_f64(x->data, y->data, outer, len, inner, (int)p);
    return OL_OK;
}

ol_status ol_run_eye_like(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x || x->rank != 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs a 2-D input");
    ol_dtype dtype = (ol_dtype)ol_node_attr_int(node, "dtype", x->dtype);
    if (!ol_dtype_valid((int)dtype) || !ol_elem_numeric(dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output type %s is not supported",
                          ol_dtype_valid((int)dtype) ? ol_dtype_name(dtype) : "unknown");
    int64_t k = ol_node_attr_int(node, "k", 0);
    ol_ktensor *y = ol_op_output(ctx, 0, dtype, 2, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    memset(y->data, 0, ol_ktensor_nbytes(y));
    int64_t rows = x->dims[0], cols = x->dims[1];
    for (int64_t i = 0; i < rows; i++)
        if (i + k >= 0 && i + k < cols)
            ol_elem_set_f64(y->data, dtype, i * cols + i + k, 1.0);
    return OL_OK;
}

ol_status ol_run_swiglu(ol_op_ctx *ctx)
{
    const ol_ktensor *a = ol_op_input(ctx, 0), *b = ol_op_input(ctx, 1);
    if (!a || !b)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs A and B");
    if ((a->dtype != OL_FLOAT && a->dtype != OL_DOUBLE) || b->dtype != a->dtype)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "A and B must share a float type (float16/32/64)");
    bool same = a->rank == b->rank;
    for (int d = 0; same && d < a->rank; d++)
        same = a->dims[d] == b->dims[d];
    if (!same)
        return ol_op_fail(ctx, OL_ERR_INVALID, "A and B must have identical shapes (no broadcasting)");
    float alpha = ol_node_attr_float(ol_op_node(ctx), "alpha", 1.0f);
    ol_ktensor *y = ol_op_output(ctx, 0, a->dtype, a->rank, a->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (a->dtype == OL_FLOAT)
        ol_swiglu_f32(a->data, b->data, y->data, ol_ktensor_numel(a), alpha);
    else
        ol_swiglu_f64(a->data, b->data, y->data, ol_ktensor_numel(a), alpha);
    return OL_OK;
}
