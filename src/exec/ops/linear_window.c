/* Window attributes shared by convolution and pooling nodes. */
#include <limits.h>
#include <string.h>

#include "exec/ops/linear_ops.h"

/* An INTS attribute of exactly `n` values into out; absent leaves `dflt` in every slot. */
static ol_status read_ints(ol_op_ctx *ctx, const char *name, int n, int64_t dflt, int64_t *out, bool *given)
{
    size_t count;
    const int64_t *v = ol_node_attr_ints(ol_op_node(ctx), name, &count);
    if (given)
        *given = v != NULL;
    if (!v) {
        for (int i = 0; i < n; i++)
            out[i] = dflt;
        return OL_OK;
    }
    if (count != (size_t)n)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %zu values, %d expected", name, count, n);
    memcpy(out, v, (size_t)n * sizeof *out);
    return OL_OK;
}

static ol_status read_auto_pad(ol_op_ctx *ctx, ol_auto_pad *mode)
{
    size_t len;
    const char *s = ol_node_attr_string(ol_op_node(ctx), "auto_pad", &len);
    static const struct {
        const char *name;
        ol_auto_pad mode;
    } modes[] = {{"NOTSET", OL_AUTO_PAD_NOTSET}, {"", OL_AUTO_PAD_NOTSET},
                 {"SAME_UPPER", OL_AUTO_PAD_SAME_UPPER}, {"SAME_LOWER", OL_AUTO_PAD_SAME_LOWER},
                 {"VALID", OL_AUTO_PAD_VALID}};
    *mode = OL_AUTO_PAD_NOTSET;
    if (!s)
        return OL_OK;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (strlen(modes[i].name) == len && memcmp(modes[i].name, s, len) == 0) {
            *mode = modes[i].mode;
            return OL_OK;
        }
    return ol_op_fail(ctx, OL_ERR_INVALID, "auto_pad '%.*s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID",
                      (int)(len > 32 ? 32 : len), s);
}

ol_status ol_linear_read_window(ol_op_ctx *ctx, int spatial, const int64_t *kernel, ol_window *w,
                                ol_auto_pad *mode, bool *pads_given)
{
    if (spatial < 1 || spatial > OL_WINDOW_MAX_SPATIAL)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input needs at least one spatial axis");
    memset(w, 0, sizeof *w);
    w->spatial = spatial;
    bool has_kernel;
    ol_status st = read_ints(ctx, "kernel_shape", spatial, 0, w->kernel, &has_kernel);
    if (st != OL_OK)
        return st;
    if (kernel && has_kernel && memcmp(kernel, w->kernel, (size_t)spatial * sizeof *kernel) != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "kernel_shape does not match the weights");
    if (kernel)
        memcpy(w->kernel, kernel, (size_t)spatial * sizeof *kernel);
    else if (!has_kernel)
        return ol_op_fail(ctx, OL_ERR_INVALID, "kernel_shape is required");
    int64_t pads[2 * OL_WINDOW_MAX_SPATIAL];
    if ((st = read_ints(ctx, "strides", spatial, 1, w->stride, NULL)) != OL_OK ||
        (st = read_ints(ctx, "dilations", spatial, 1, w->dilation, NULL)) != OL_OK ||
        (st = read_ints(ctx, "pads", 2 * spatial, 0, pads, pads_given)) != OL_OK ||
        (st = read_auto_pad(ctx, mode)) != OL_OK)
        return st;
    for (int d = 0; d < spatial; d++) {
        if (w->kernel[d] < 1 || w->stride[d] < 1 || w->dilation[d] < 1)
            return ol_op_fail(ctx, OL_ERR_INVALID, "kernel_shape, strides and dilations must be positive");
        w->pad_begin[d] = pads[d];
        w->pad_end[d] = pads[spatial + d];
    }
    return OL_OK;
}

ol_status ol_linear_check_blas_dims(ol_op_ctx *ctx, const int64_t *values, int n)
{
    for (int i = 0; i < n; i++)
        if (values[i] > INT_MAX)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "a matrix dimension of %lld exceeds the BLAS limit",
                              (long long)values[i]);
    return OL_OK;
}
