/* ConvInteger and QLinearConv: Conv's attributes (kernel_shape, strides, dilations, pads, auto_pad,
 * group) and the quantization parameters' shapes; the convolution runs in kernels/qconv.c. */
#include <string.h>

#include "exec/ops/linear_ops.h"
#include "exec/ops/quant_ops.h"
#include "kernels/qconv.h"
#include "kernels/qtypes.h"

/* Geometry of x [N, C, in...] convolved with w [M, C/group, k...]: fills p's window and group and
 * y's dims [N, M, out...]. */
static ol_status read_geometry(ol_op_ctx *ctx, const ol_ktensor *x, const ol_ktensor *w, ol_qconv_params *p,
                               int64_t *y_dims)
{
    if (x->rank < 3 || w->rank != x->rank || x->rank - 2 > OL_WINDOW_MAX_SPATIAL)
        return ol_op_fail(ctx, OL_ERR_INVALID, "x needs rank >= 3 and w the same rank (have %d and %d)", x->rank,
                          w->rank);
    int spatial = x->rank - 2;
    int64_t group = ol_node_attr_int(ol_op_node(ctx), "group", 1);
    if (group < 1 || x->dims[1] % group != 0 || w->dims[1] * group != x->dims[1] || w->dims[0] % group != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID,
                          "group %lld does not fit %lld input channels and weights [%lld, %lld, ...]",
                          (long long)group, (long long)x->dims[1], (long long)w->dims[0], (long long)w->dims[1]);
    p->group = group;
    ol_auto_pad mode;
    ol_status st = ol_linear_read_window(ctx, spatial, w->dims + 2, &p->win, &mode, NULL);
    if (st != OL_OK)
        return st;
    y_dims[0] = x->dims[0];
    y_dims[1] = w->dims[0];
    for (int d = 0; d < spatial; d++)
        if (p->win.pad_begin[d] < 0 || p->win.pad_end[d] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "pads must be >= 0");
    if (!ol_window_resolve(&p->win, x->dims + 2, mode, false, y_dims + 2))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the kernel is larger than the padded input");
    return OL_OK;
}

/* A zero point or scale that is a scalar (one element) or, where per_channel_ok, one per output
 * channel. */
static bool scalar_or_per_channel(const ol_ktensor *t, int64_t channels, bool per_channel_ok)
{
    int64_t n = ol_ktensor_numel(t);
    return (n == 1 && t->rank <= 1) || (per_channel_ok && t->rank == 1 && n == channels);
}

/* x and w are uint8/int8; x's zero point a scalar, w's a scalar or one per output channel. */
static ol_status check_conv_operands(ol_op_ctx *ctx, const ol_ktensor *x, const ol_ktensor *x_zp,
                                     const ol_ktensor *w, const ol_ktensor *w_zp)
{
    if (!ol_qop_is_8bit(x->dtype) || !ol_qop_is_8bit(w->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "x and w types %s and %s are not supported (uint8/int8)",
                          ol_dtype_name(x->dtype), ol_dtype_name(w->dtype));
    if ((x_zp && x_zp->dtype != x->dtype) || (w_zp && w_zp->dtype != w->dtype))
        return ol_op_fail(ctx, OL_ERR_INVALID, "a zero point's type differs from its input's");
    if (x_zp && !scalar_or_per_channel(x_zp, 0, false))
        return ol_op_fail(ctx, OL_ERR_INVALID, "x_zero_point must be a scalar");
    if (w_zp && !scalar_or_per_channel(w_zp, w->dims[0], true))
        return ol_op_fail(ctx, OL_ERR_INVALID, "w_zero_point must be a scalar or have %lld elements",
                          (long long)w->dims[0]);
    return OL_OK;
}

/* Reserves the kernel's scratch and room for w's zero points as int32, gets the buffer and fills
 * the zero points in. */
static ol_status prepare(ol_op_ctx *ctx, ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *x_zp,
                         const ol_ktensor *w, const ol_ktensor *w_zp, const ol_ktensor *y, bool requantize,
                         void **kernel_scratch)
{
    p->threads = ol_op_threads(ctx);
    p->x_zero_point = x_zp ? ol_qtype_get_int(x_zp->data, x_zp->dtype, 0) : 0;
    ol_qop_scratch sc = {0};
    size_t zp_at = ol_qop_scratch_reserve(&sc, w_zp ? (size_t)ol_ktensor_numel(w_zp) * sizeof(int32_t) : 0);
    size_t kernel_at = ol_qop_scratch_reserve(&sc, ol_qconv_scratch_bytes(p, x, w, y, requantize));
    ol_status st = ol_qop_scratch_get(ctx, &sc);
    if (st != OL_OK)
        return st;
    if (w_zp) {
        int32_t *zps = ol_qop_scratch_at(&sc, zp_at);
        ol_qop_read_zero_points(w_zp, zps);
        p->w_zero_points = zps;
        p->n_w_zero_points = ol_ktensor_numel(w_zp);
    }
    *kernel_scratch = ol_qop_scratch_at(&sc, kernel_at);
    return OL_OK;
}

ol_status ol_run_conv_integer(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *w = ol_op_input(ctx, 1);
    const ol_ktensor *x_zp = ol_op_input(ctx, 2), *w_zp = ol_op_input(ctx, 3);
    if (!x || !w)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    ol_qconv_params p = {0};
    int64_t y_dims[OL_KMAX_RANK];
    ol_status st = read_geometry(ctx, x, w, &p, y_dims);
    if (st != OL_OK || (st = check_conv_operands(ctx, x, x_zp, w, w_zp)) != OL_OK)
        return st;
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT32, x->rank, y_dims);
    if (!y)
        return ol_op_error(ctx)->status;
    void *scratch;
    if ((st = prepare(ctx, &p, x, x_zp, w, w_zp, y, false, &scratch)) != OL_OK)
        return st;
    ol_conv_integer(&p, x, w, y, scratch);
    return OL_OK;
}

ol_status ol_run_qlinear_conv(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *x_scale = ol_op_input(ctx, 1), *x_zp = ol_op_input(ctx, 2);
    const ol_ktensor *w = ol_op_input(ctx, 3), *w_scale = ol_op_input(ctx, 4), *w_zp = ol_op_input(ctx, 5);
    const ol_ktensor *y_scale = ol_op_input(ctx, 6), *y_zp = ol_op_input(ctx, 7), *bias = ol_op_input(ctx, 8);
    if (!x || !w || !x_scale || !w_scale || !y_scale)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    ol_qconv_params p = {0};
    int64_t y_dims[OL_KMAX_RANK];
    ol_status st = read_geometry(ctx, x, w, &p, y_dims);
    if (st != OL_OK || (st = check_conv_operands(ctx, x, x_zp, w, w_zp)) != OL_OK)
        return st;
    int64_t channels = w->dims[0];
    if (x_scale->dtype != OL_FLOAT || w_scale->dtype != OL_FLOAT || y_scale->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "scales must be float32");
    if (!scalar_or_per_channel(x_scale, 0, false) || !scalar_or_per_channel(y_scale, 0, false) ||
        !scalar_or_per_channel(w_scale, channels, true))
        return ol_op_fail(ctx, OL_ERR_INVALID,
                          "x_scale and y_scale must be scalars, w_scale a scalar or one per output channel");
    if (y_zp && !scalar_or_per_channel(y_zp, 0, false))
        return ol_op_fail(ctx, OL_ERR_INVALID, "y_zero_point must be a scalar");
    if (bias && (bias->dtype != OL_INT32 || bias->rank != 1 || bias->dims[0] != channels))
        return ol_op_fail(ctx, OL_ERR_INVALID, "B must be int32 with %lld elements", (long long)channels);
    /* The output takes y_zero_point's type (x's type when it is omitted). */
    ol_dtype out_type = y_zp ? y_zp->dtype : x->dtype;
    if (!ol_qop_is_8bit(out_type))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output type %s is not supported (uint8/int8)",
                          ol_dtype_name(out_type));
    ol_ktensor *y = ol_op_output(ctx, 0, out_type, x->rank, y_dims);
    if (!y)
        return ol_op_error(ctx)->status;
    void *scratch;
    if ((st = prepare(ctx, &p, x, x_zp, w, w_zp, y, true, &scratch)) != OL_OK)
        return st;
    ol_requant_params rq = {.row_scale = w_scale->data, .n_row_scale = ol_ktensor_numel(w_scale),
                            .col_scale = x_scale->data, .n_col_scale = 1,
                            .out_scale = *(const float *)y_scale->data,
                            .out_zero_point = y_zp ? ol_qtype_get_int(y_zp->data, y_zp->dtype, 0) : 0,
                            .scale_precision = OL_FLOAT, .row_bias = bias ? bias->data : NULL,
                            .out_signed = out_type == OL_INT8, .threads = ol_op_threads(ctx)};
    ol_qlinear_conv(&p, x, w, &rq, y, scratch);
    return OL_OK;
}
