/* GridSample (opset 16: 4-D, modes bilinear/nearest/bicubic; opset 20+: any spatial rank, modes
 * linear/nearest/cubic) and AffineGrid (opset 20+), float32 (float16 through the executor). */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "kernels/grid_sample.h"

static bool attr_is(const char *s, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

static ol_status read_modes(ol_op_ctx *ctx, ol_grid_sample_params *p)
{
    const ol_node *node = ol_op_node(ctx);
    bool old = ol_op_opset(ctx) < 20;
    size_t len = 0;
    const char *mode = ol_node_attr_string(node, "mode", &len);
    if (!mode)
        p->mode = OL_GRID_LINEAR;
    else if (attr_is(mode, len, "nearest"))
        p->mode = OL_GRID_NEAREST;
    else if (attr_is(mode, len, old ? "bilinear" : "linear"))
        p->mode = OL_GRID_LINEAR;
    else if (attr_is(mode, len, old ? "bicubic" : "cubic"))
        p->mode = OL_GRID_CUBIC;
    else
        return ol_op_fail(ctx, OL_ERR_INVALID, "mode '%.*s' is not supported in opset %lld", (int)len, mode,
                          (long long)ol_op_opset(ctx));
    const char *padding = ol_node_attr_string(node, "padding_mode", &len);
    if (!padding || attr_is(padding, len, "zeros"))
        p->padding = OL_GRID_ZEROS;
    else if (attr_is(padding, len, "border"))
        p->padding = OL_GRID_BORDER;
    else if (attr_is(padding, len, "reflection"))
        p->padding = OL_GRID_REFLECTION;
    else
        return ol_op_fail(ctx, OL_ERR_INVALID, "padding_mode '%.*s' is not zeros, border or reflection",
                          (int)len, padding);
    p->align_corners = ol_node_attr_int(node, "align_corners", 0) != 0;
    return OL_OK;
}

ol_status ol_run_grid_sample(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *grid = ol_op_input(ctx, 1);
    if (!x || !grid)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs X and grid");
    if (x->dtype != OL_FLOAT || grid->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "X of type %s and grid of type %s are not supported "
                          "(float32/float16 only)", ol_dtype_name(x->dtype), ol_dtype_name(grid->dtype));
    int spatial = x->rank - 2;
    if (spatial < 1 || spatial > OL_GRID_MAX_SPATIAL)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "X of rank %d is not supported (3 to %d)", x->rank,
                          OL_GRID_MAX_SPATIAL + 2);
    if (ol_op_opset(ctx) < 20 && x->rank != 4)
        return ol_op_fail(ctx, OL_ERR_INVALID, "opset %lld GridSample takes 4-D inputs", (long long)ol_op_opset(ctx));
    if (grid->rank != x->rank || grid->dims[0] != x->dims[0] || grid->dims[x->rank - 1] != spatial)
        return ol_op_fail(ctx, OL_ERR_INVALID, "grid must be [%lld, spatial..., %d]", (long long)x->dims[0],
                          spatial);
    ol_grid_sample_params p = {.n = x->dims[0], .c = x->dims[1], .spatial = spatial};
    if (read_modes(ctx, &p) != OL_OK)
        return ol_op_error(ctx)->status;
    int64_t dims[OL_KMAX_RANK] = {x->dims[0], x->dims[1]};
    for (int d = 0; d < spatial; d++) {
        p.in_dims[d] = x->dims[2 + d];
        p.out_dims[d] = dims[2 + d] = grid->dims[1 + d];
    }
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    /* Sampling an empty input reads nothing: every position is padding. */
    bool empty = ol_ktensor_numel(x) == 0;
    if (empty)
        memset(y->data, 0, ol_ktensor_nbytes(y));
    else
        ol_grid_sample_f32(&p, x->data, grid->data, y->data);
    return OL_OK;
}

ol_status ol_run_affine_grid(ol_op_ctx *ctx)
{
    const ol_ktensor *theta = ol_op_input(ctx, 0), *size = ol_op_input(ctx, 1);
    if (!theta || !size)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs theta and size");
    if (theta->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "theta of type %s is not supported (float32/float16 only)",
                          ol_dtype_name(theta->dtype));
    if (size->dtype != OL_INT64 || size->rank != 1 || (size->dims[0] != 4 && size->dims[0] != 5))
        return ol_op_fail(ctx, OL_ERR_INVALID, "size must be int64 [N, C, H, W] or [N, C, D, H, W]");
    const int64_t *sz = size->data;
    int spatial = (int)size->dims[0] - 2;
    if (theta->rank != 3 || theta->dims[0] != sz[0] || theta->dims[1] != spatial || theta->dims[2] != spatial + 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "theta must be [%lld, %d, %d]", (long long)sz[0], spatial,
                          spatial + 1);
    int64_t dims[5] = {sz[0]};
    for (int d = 0; d < spatial; d++) {
        if (sz[2 + d] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "size has a negative dimension");
        dims[1 + d] = sz[2 + d];
    }
    dims[1 + spatial] = spatial;
    ol_ktensor *grid = ol_op_output(ctx, 0, OL_FLOAT, spatial + 2, dims);
    if (!grid)
        return ol_op_error(ctx)->status;
    ol_affine_grid_f32(theta->data, sz[0], spatial, sz + 2, ol_node_attr_int(ol_op_node(ctx), "align_corners", 0),
                       grid->data);
    return OL_OK;
}
