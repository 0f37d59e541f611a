/* Transpose, DepthToSpace and SpaceToDepth. */
#include "exec/ops/layout_internal.h"
#include "kernels/transpose.h"
#include "util/mem.h"

ol_status layout_transpose(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    size_t es;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    size_t n;
    const int64_t *attr = ol_node_attr_ints(ol_op_node(ctx), "perm", &n);
    int perm[OL_KMAX_RANK];
    bool seen[OL_KMAX_RANK] = {false};
    if (attr && n != (size_t)x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "perm has %zu entries for rank %d", n, x->rank);
    for (int i = 0; i < x->rank; i++) {
        int64_t p = attr ? attr[i] : x->rank - 1 - i;   /* default: reverse the axes */
        if (p < 0 || p >= x->rank || seen[p])
            return ol_op_fail(ctx, OL_ERR_INVALID, "perm is not a permutation of 0..%d", x->rank - 1);
        seen[p] = true;
        perm[i] = (int)p;
    }
    int64_t dims[OL_KMAX_RANK];
    for (int i = 0; i < x->rank; i++)
        dims[i] = x->dims[perm[i]];
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_transpose(x, y, perm);
    return OL_OK;
}

static ol_status read_block(ol_op_ctx *ctx, const ol_ktensor **x, int64_t *b)
{
    size_t es;
    *x = layout_input(ctx, 0, "input");
    if (!*x || layout_elem_size(ctx, *x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    if ((*x)->rank != 4)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input must be 4-D [N, C, H, W], got rank %d", (*x)->rank);
    *b = ol_node_attr_int(ol_op_node(ctx), "blocksize", 0);
    if (*b <= 0 || *b > (int64_t)1 << 20)
        return ol_op_fail(ctx, OL_ERR_INVALID, "blocksize %lld is not a positive size", (long long)*b);
    return OL_OK;
}

ol_status layout_depth_to_space(ol_op_ctx *ctx)
{
    const ol_ktensor *x;
    int64_t b;
    if (read_block(ctx, &x, &b) != OL_OK)
        return ol_op_error(ctx)->status;
    if (x->dims[1] % (b * b) != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "channels %lld are not a multiple of blocksize^2 %lld",
                          (long long)x->dims[1], (long long)(b * b));
    /* mode (opset 11): DCR (depth-column-row, the default) or CRD. */
    bool crd = layout_attr_is(ol_op_node(ctx), "mode", "DCR", "CRD");
    if (!crd && !layout_attr_is(ol_op_node(ctx), "mode", "DCR", "DCR"))
        return ol_op_fail(ctx, OL_ERR_INVALID, "mode must be DCR or CRD");
    int64_t height, width;
    if (!ol_mul_i64(x->dims[2], b, &height) || !ol_mul_i64(x->dims[3], b, &width))
        return ol_op_fail(ctx, OL_ERR_INVALID, "output height or width overflows");
    int64_t dims[4] = {x->dims[0], x->dims[1] / (b * b), height, width};
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, 4, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_depth_to_space(x, y, b, crd);
    return OL_OK;
}

ol_status layout_space_to_depth(ol_op_ctx *ctx)
{
    const ol_ktensor *x;
    int64_t b;
    if (read_block(ctx, &x, &b) != OL_OK)
        return ol_op_error(ctx)->status;
    if (x->dims[2] % b != 0 || x->dims[3] % b != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "height %lld and width %lld must be multiples of "
                          "blocksize %lld", (long long)x->dims[2], (long long)x->dims[3], (long long)b);
    int64_t channels;
    if (!ol_mul_i64(x->dims[1], b * b, &channels))
        return ol_op_fail(ctx, OL_ERR_INVALID, "output channels overflow");
    int64_t dims[4] = {x->dims[0], channels, x->dims[2] / b, x->dims[3] / b};
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, 4, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_space_to_depth(x, y, b);
    return OL_OK;
}
