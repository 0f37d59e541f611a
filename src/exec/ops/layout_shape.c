/* Ops whose output depends on shapes or attributes only: Shape, Size, Constant, ConstantOfShape. */
#include <string.h>

#include "exec/ops/layout_internal.h"
#include "kernels/axis_gather.h"

ol_status layout_shape(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    if (!x)
        return ol_op_error(ctx)->status;
    /* start/end (opset 15) select a range of the dims; negative ones count from the end and both
     * are clamped to [0, rank]. */
    int64_t start = ol_node_attr_int(ol_op_node(ctx), "start", 0);
    int64_t end = ol_node_attr_int(ol_op_node(ctx), "end", x->rank);
    start = start < 0 ? start + x->rank : start;
    end = end < 0 ? end + x->rank : end;
    start = start < 0 ? 0 : start > x->rank ? x->rank : start;
    end = end < start ? start : end > x->rank ? x->rank : end;
    int64_t n = end - start;
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT64, 1, &n);
    if (!y)
        return ol_op_error(ctx)->status;
    if (n)
        memcpy(y->data, x->dims + start, (size_t)n * sizeof(int64_t));
    return OL_OK;
}

ol_status layout_size(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    if (!x)
        return ol_op_error(ctx)->status;
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT64, 0, NULL);
    if (!y)
        return ol_op_error(ctx)->status;
    *(int64_t *)y->data = ol_ktensor_numel(x);
    return OL_OK;
}

static ol_status output_bytes(ol_op_ctx *ctx, ol_dtype dtype, int rank, const int64_t *dims,
                              const void *data, size_t nbytes)
{
    ol_ktensor *y = ol_op_output(ctx, 0, dtype, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (ol_ktensor_nbytes(y) != nbytes)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the tensor holds %zu bytes for %zu expected", nbytes,
                          ol_ktensor_nbytes(y));
    if (nbytes)
        memcpy(y->data, data, nbytes);
    return OL_OK;
}

/* Exactly one of value (a tensor), value_float(s) or value_int(s) (opset 12); strings and sparse
 * tensors are not supported. */
ol_status layout_constant(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_tensor *t = ol_node_attr_tensor(node, "value");
    const ol_attr *a;
    if (t) {
        if (t->dtype == OL_STRING || ol_elem_size(t->dtype) == 0)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s constants are not supported",
                              ol_dtype_name(t->dtype));
        if (t->rank > OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "constant of rank %d", t->rank);
        return output_bytes(ctx, t->dtype, t->rank, t->dims, t->data, t->nbytes);
    }
    if ((a = ol_node_attr(node, "value_float")) && a->type == OL_ATTR_FLOAT)
        return output_bytes(ctx, OL_FLOAT, 0, NULL, &a->f, sizeof a->f);
    if ((a = ol_node_attr(node, "value_int")) && a->type == OL_ATTR_INT)
        return output_bytes(ctx, OL_INT64, 0, NULL, &a->i, sizeof a->i);
    if ((a = ol_node_attr(node, "value_floats")) && a->type == OL_ATTR_FLOATS) {
        int64_t n = (int64_t)a->n;
        return output_bytes(ctx, OL_FLOAT, 1, &n, a->floats, a->n * sizeof(float));
    }
    if ((a = ol_node_attr(node, "value_ints")) && a->type == OL_ATTR_INTS) {
        int64_t n = (int64_t)a->n;
        return output_bytes(ctx, OL_INT64, 1, &n, a->ints, a->n * sizeof(int64_t));
    }
    return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "only value, value_float(s) and value_int(s) constants "
                      "are supported");
}

ol_status layout_constant_of_shape(ol_op_ctx *ctx)
{
    const ol_ktensor *s = layout_input(ctx, 0, "input");
    int64_t dims[OL_KMAX_RANK];
    size_t rank;
    if (!s || layout_ints(ctx, s, "shape", dims, OL_KMAX_RANK, &rank) != OL_OK)
        return ol_op_error(ctx)->status;
    for (size_t d = 0; d < rank; d++)
        if (dims[d] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "shape[%zu] is %lld", d, (long long)dims[d]);
    /* value: a one-element tensor giving the type and the value; float32 0 by default. */
    const ol_tensor *value = ol_node_attr_tensor(ol_op_node(ctx), "value");
    static const float zero = 0;
    ol_dtype dtype = value ? value->dtype : OL_FLOAT;
    size_t es = ol_elem_size(dtype);
    if (!es || (value && (ol_tensor_numel(value) != 1 || value->nbytes < es)))
        return ol_op_fail(ctx, OL_ERR_INVALID, "value must be one numeric element");
    ol_ktensor *y = ol_op_output(ctx, 0, dtype, (int)rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_fill_elems(y->data, ol_ktensor_numel(y), value ? value->data : &zero, es);
    return OL_OK;
}
