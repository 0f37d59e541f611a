/* Ops that only relabel the shape: their output aliases the input's bytes (no copy). */
#include <string.h>

#include "exec/ops/layout_internal.h"
#include "kernels/axis_gather.h"
#include "util/mem.h"

ol_status layout_reshape(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    if (!x)
        return ol_op_error(ctx)->status;
    int64_t shape[OL_KMAX_RANK];
    size_t n;
    if (ol_op_opset(ctx) < 5) {
        const int64_t *attr = ol_node_attr_ints(ol_op_node(ctx), "shape", &n);
        if (!attr)
            return ol_op_fail(ctx, OL_ERR_INVALID, "the shape attribute is missing");
        if (n > OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "shape has rank %zu, above %d", n, OL_KMAX_RANK);
        memcpy(shape, attr, n * sizeof *shape);
    } else {
        const ol_ktensor *s = layout_input(ctx, 1, "shape");
        if (!s || layout_ints(ctx, s, "shape", shape, OL_KMAX_RANK, &n) != OL_OK)
            return ol_op_error(ctx)->status;
    }
    /* allowzero (opset 14): a 0 is a zero-sized dim instead of "copy the input's dim". */
    bool allowzero = ol_op_opset(ctx) >= 14 && ol_node_attr_int(ol_op_node(ctx), "allowzero", 0) != 0;
    int64_t known = 1;
    int inferred = -1;
    for (size_t i = 0; i < n; i++) {
        if (shape[i] == -1) {
            if (inferred >= 0)
                return ol_op_fail(ctx, OL_ERR_INVALID, "shape has more than one -1");
            inferred = (int)i;
            continue;
        }
        if (shape[i] == 0 && !allowzero) {
            if ((int)i >= x->rank)
                return ol_op_fail(ctx, OL_ERR_INVALID, "shape[%zu] is 0 (copy) but the input has rank %d",
                                  i, x->rank);
            shape[i] = x->dims[i];
        }
        if (shape[i] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "shape[%zu] is %lld", i, (long long)shape[i]);
        if (!ol_mul_i64(known, shape[i], &known))
            return ol_op_fail(ctx, OL_ERR_INVALID, "shape overflows");
    }
    int64_t numel = ol_ktensor_numel(x);
    if (inferred >= 0) {
        if (known == 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "cannot infer the -1 dim next to a zero-sized dim");
        if (numel % known != 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "cannot reshape %lld elements with the other dims "
                              "making %lld", (long long)numel, (long long)known);
        shape[inferred] = numel / known;
    } else if (known != numel) {
        return ol_op_fail(ctx, OL_ERR_INVALID, "cannot reshape %lld elements into a shape of %lld",
                          (long long)numel, (long long)known);
    }
    return ol_op_alias_output(ctx, 0, 0, (int)n, shape);
}

ol_status layout_flatten(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "input");
    if (!x)
        return ol_op_error(ctx)->status;
    int64_t axis = ol_node_attr_int(ol_op_node(ctx), "axis", 1);
    if (axis < 0)
        axis += x->rank;   /* negative axes: opset 11 */
    if (axis < 0 || axis > x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is outside [%d, %d]",
                          (long long)ol_node_attr_int(ol_op_node(ctx), "axis", 1), -x->rank, x->rank);
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < x->rank; d++)
        dims[d >= axis] *= x->dims[d];
    return ol_op_alias_output(ctx, 0, 0, 2, dims);
}

/* The axes of Squeeze/Unsqueeze: an attribute before opset 13, the optional input 1 after. */
static ol_status read_axes(ol_op_ctx *ctx, int64_t *axes, size_t *n, bool *given)
{
    *n = 0;
    *given = false;
    if (ol_op_opset(ctx) < 13) {
        const int64_t *attr = ol_node_attr_ints(ol_op_node(ctx), "axes", n);
        if (!attr)
            return OL_OK;
        if (*n > OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_INVALID, "%zu axes given, at most %d", *n, OL_KMAX_RANK);
        memcpy(axes, attr, *n * sizeof *axes);
        *given = true;
        return OL_OK;
    }
    const ol_ktensor *t = ol_op_input(ctx, 1);
    if (!t)
        return OL_OK;
    *given = true;
    return layout_ints(ctx, t, "axes", axes, OL_KMAX_RANK, n);
}

ol_status layout_squeeze(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    int64_t axes[OL_KMAX_RANK];
    size_t n;
    bool given;
    if (!x || read_axes(ctx, axes, &n, &given) != OL_OK)
        return ol_op_error(ctx)->status;
    bool drop[OL_KMAX_RANK] = {false};
    for (size_t i = 0; i < n; i++) {
        int a;
        if (layout_axis(ctx, axes[i], x->rank, "axis", &a) != OL_OK)
            return ol_op_error(ctx)->status;
        if (x->dims[a] != 1)
            return ol_op_fail(ctx, OL_ERR_INVALID, "cannot squeeze axis %d of size %lld", a,
                              (long long)x->dims[a]);
        drop[a] = true;
    }
    int64_t dims[OL_KMAX_RANK];
    int rank = 0;
    for (int d = 0; d < x->rank; d++)
        if (!(given ? drop[d] : x->dims[d] == 1))
            dims[rank++] = x->dims[d];
    return ol_op_alias_output(ctx, 0, 0, rank, dims);
}

ol_status layout_unsqueeze(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    int64_t axes[OL_KMAX_RANK];
    size_t n;
    bool given;
    if (!x || read_axes(ctx, axes, &n, &given) != OL_OK)
        return ol_op_error(ctx)->status;
    if (!given)
        return ol_op_fail(ctx, OL_ERR_INVALID, "axes are required");
    int rank = x->rank + (int)n;
    if (rank > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output rank %d is above %d", rank, OL_KMAX_RANK);
    bool inserted[OL_KMAX_RANK] = {false};
    for (size_t i = 0; i < n; i++) {
        int a;
        if (layout_axis(ctx, axes[i], rank, "axis", &a) != OL_OK)
            return ol_op_error(ctx)->status;
        if (inserted[a])
            return ol_op_fail(ctx, OL_ERR_INVALID, "axis %d is given twice", a);
        inserted[a] = true;
    }
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0, k = 0; d < rank; d++)
        dims[d] = inserted[d] ? 1 : x->dims[k++];
    return ol_op_alias_output(ctx, 0, 0, rank, dims);
}

ol_status layout_identity(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "input");
    if (!x)
        return ol_op_error(ctx)->status;
    return ol_op_alias_output(ctx, 0, 0, x->rank, x->dims);
}

/* Inference: the output is the input and the optional mask is all ones. Training mode (opset 12
 * input) with a non-zero ratio would need random masks and is refused. */
ol_status layout_dropout(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    if (!x)
        return ol_op_error(ctx)->status;
    const ol_ktensor *ratio_t = ol_op_input(ctx, 1), *training_t = ol_op_input(ctx, 2);
    if (ol_op_opset(ctx) >= 12 && training_t) {
        double training, ratio = 0.5;
        if (layout_scalar(ctx, training_t, "training_mode", &training) != OL_OK ||
            (ratio_t && layout_scalar(ctx, ratio_t, "ratio", &ratio) != OL_OK))
            return ol_op_error(ctx)->status;
        if (training != 0 && ratio != 0)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "training mode with ratio %g (random masks) "
                              "is not supported", ratio);
    }
    if (ol_op_alias_output(ctx, 0, 0, x->rank, x->dims) != OL_OK)
        return ol_op_error(ctx)->status;
    if (!ol_op_output_wanted(ctx, 1))
        return OL_OK;
    /* The mask is bool from opset 10, of the data's type before. */
    ol_dtype mask_type = ol_op_opset(ctx) >= 10 ? OL_BOOL : x->dtype;
    uint8_t one[16];
    if (!layout_value_bytes(mask_type, 1, one))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "a %s mask is not supported", ol_dtype_name(mask_type));
    ol_ktensor *mask = ol_op_output(ctx, 1, mask_type, x->rank, x->dims);
    if (!mask)
        return ol_op_error(ctx)->status;
    ol_fill_elems(mask->data, ol_ktensor_numel(mask), one, ol_elem_size(mask_type));
    return OL_OK;
}
