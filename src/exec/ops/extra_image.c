/* Col2Im (opset 18+, float32/float16/float64) and MaxUnpool (opset 9+, any byte-sized type). */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/axis_gather.h"
#include "kernels/col2im.h"
#include "kernels/max_unpool.h"

/* Reads an ints attribute of exactly n values into out, or fills `dflt` when it is absent. */
static ol_status ints_attr(ol_op_ctx *ctx, const char *name, size_t n, int64_t dflt, int64_t *out)
{
    size_t len = 0;
    const int64_t *v = ol_node_attr_ints(ol_op_node(ctx), name, &len);
    if (v && len != n)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %zu values, expected %zu", name, len, n);
    for (size_t i = 0; i < n; i++)
        out[i] = v ? v[i] : dflt;
    return OL_OK;
}

ol_status ol_run_col2im(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x || x->rank != 3)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input must be [N, C * prod(block_shape), L]");
    if (x->dtype != OL_FLOAT && x->dtype != OL_DOUBLE)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input of type %s is not supported", ol_dtype_name(x->dtype));
    ol_col2im_params p = {.n = x->dims[0]};
    size_t n_image = 0, n_block = 0;
    if (!ol_op_read_ints(ol_op_input(ctx, 1), p.image, OL_COL2IM_MAX_SPATIAL, &n_image) ||
        !ol_op_read_ints(ol_op_input(ctx, 2), p.block, OL_COL2IM_MAX_SPATIAL, &n_block) || n_image != n_block ||
        n_image == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "image_shape and block_shape must be integer vectors of one length "
                          "(1 to %d)", OL_COL2IM_MAX_SPATIAL);
    p.spatial = (int)n_image;
    int64_t pads[2 * OL_COL2IM_MAX_SPATIAL], kernel = 1;
    if (ints_attr(ctx, "dilations", n_image, 1, p.dilations) != OL_OK ||
        ints_attr(ctx, "strides", n_image, 1, p.strides) != OL_OK ||
        ints_attr(ctx, "pads", 2 * n_image, 0, pads) != OL_OK)
        return ol_op_error(ctx)->status;
    for (int d = 0; d < p.spatial; d++) {
        p.pads_begin[d] = pads[d];
        p.pads_end[d] = pads[p.spatial + d];
        if (p.image[d] < 0 || p.block[d] <= 0 || p.dilations[d] <= 0 || p.strides[d] <= 0 || pads[d] < 0 ||
            p.pads_end[d] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "image, block, dilation, stride or pad of dim %d is invalid", d);
        kernel *= p.block[d];
    }
    if (x->dims[1] % kernel != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input dim 1 (%lld) is not a multiple of the block size %lld",
                          (long long)x->dims[1], (long long)kernel);
    p.c = x->dims[1] / kernel;
    int64_t per_dim[OL_COL2IM_MAX_SPATIAL];
    int64_t n_cols = ol_col2im_blocks(&p, per_dim);
    if (n_cols != x->dims[2])
        return ol_op_fail(ctx, OL_ERR_INVALID, "input has %lld columns, the image and block shapes make %lld",
                          (long long)x->dims[2], (long long)n_cols);
    int64_t dims[OL_COL2IM_MAX_SPATIAL + 2] = {p.n, p.c};
    memcpy(dims + 2, p.image, sizeof(int64_t) * n_image);
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, p.spatial + 2, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (x->dtype == OL_FLOAT)
        ol_col2im_f32(&p, x->data, y->data);
    else
        ol_col2im_f64(&p, x->data, y->data);
    return OL_OK;
}

ol_status ol_run_max_unpool(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *indices = ol_op_input(ctx, 1), *shape = ol_op_input(ctx, 2);
    if (!x || !indices || x->rank < 3)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs X [N, C, spatial...] and indices");
    size_t esize = ol_elem_size(x->dtype);
    if (!esize)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "X of type %s is not supported", ol_dtype_name(x->dtype));
    bool same = indices->dtype == OL_INT64 && indices->rank == x->rank;
    for (int d = 0; same && d < x->rank; d++)
        same = indices->dims[d] == x->dims[d];
    if (!same)
        return ol_op_fail(ctx, OL_ERR_INVALID, "indices must be int64 with X's shape");
    size_t spatial = (size_t)x->rank - 2, n_kernel = 0;
    const int64_t *kernel = ol_node_attr_ints(ol_op_node(ctx), "kernel_shape", &n_kernel);
    if (!kernel || n_kernel != spatial)
        return ol_op_fail(ctx, OL_ERR_INVALID, "kernel_shape must have %zu values", spatial);
    int64_t strides[OL_KMAX_RANK], pads[2 * OL_KMAX_RANK], full[OL_KMAX_RANK] = {x->dims[0], x->dims[1]};
    if (ints_attr(ctx, "strides", spatial, 1, strides) != OL_OK ||
        ints_attr(ctx, "pads", 2 * spatial, 0, pads) != OL_OK)
        return ol_op_error(ctx)->status;
    for (size_t d = 0; d < spatial; d++) {
        full[2 + d] = (x->dims[2 + d] - 1) * strides[d] - pads[d] - pads[spatial + d] + kernel[d];
        if (full[2 + d] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "the unpooled size of spatial dim %zu is negative", d);
    }
    int64_t dims[OL_KMAX_RANK];
    memcpy(dims, full, sizeof(int64_t) * (size_t)x->rank);
    if (shape) {
        size_t n = 0;
        if (!ol_op_read_ints(shape, dims, OL_KMAX_RANK, &n) || n != (size_t)x->rank)
            return ol_op_fail(ctx, OL_ERR_INVALID, "output_shape must list %d dims", x->rank);
        for (int d = 0; d < x->rank; d++)
            if (dims[d] < full[d] || (d < 2 && dims[d] != full[d]))
                return ol_op_fail(ctx, OL_ERR_INVALID, "output_shape dim %d (%lld) is smaller than the unpooled "
                                  "%lld or changes N/C", d, (long long)dims[d], (long long)full[d]);
    }
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t bad = ol_max_unpool(x->data, indices->data, ol_ktensor_numel(x), esize, full, dims, x->rank, y->data);
    if (bad >= 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "index %lld at position %lld is outside the unpooled tensor",
                          (long long)((const int64_t *)indices->data)[bad], (long long)bad);
    return OL_OK;
}
