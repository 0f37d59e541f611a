/* Convolutions (Conv, ConvInteger, QLinearConv, ConvTranspose) and pooling. All share the sliding
 * window parameters: kernel_shape, strides, dilations, pads and the deprecated auto_pad. */
#include <string.h>

#include "shape/infer_internal.h"

typedef enum auto_pad {
    PAD_NOTSET,
    PAD_SAME_UPPER,
    PAD_SAME_LOWER,
    PAD_VALID,
} auto_pad;

typedef struct window {
    int n;                       /* spatial rank */
    bool kernel_known;
    int64_t kernel[OL_MAX_RANK];
    int64_t strides[OL_MAX_RANK];
    int64_t dilations[OL_MAX_RANK];
    int64_t pads[2 * OL_MAX_RANK];  /* all begins, then all ends */
    auto_pad pad_mode;
    bool ceil_mode;
} window;

static ol_status read_list(infer_ctx *c, const char *name, size_t want, int64_t min, int64_t dflt,
                           int64_t *out, bool *present)
{
    const int64_t *v;
    size_t n;
    ol_status st = infer_attr_ints(c, name, &v, &n);
    if (st != OL_OK)
        return st;
    if (present)
        *present = v != NULL;
    if (!v) {
        for (size_t i = 0; i < want; i++)
            out[i] = dflt;
        return OL_OK;
    }
    if (n != want)
        return infer_fail(c, "attribute '%s' has %zu values, expected %zu", name, n, want);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < min)
            return infer_fail(c, "attribute '%s' value %lld is below %lld", name, (long long)v[i],
                              (long long)min);
        out[i] = v[i];
    }
    return OL_OK;
}

static ol_status read_auto_pad(infer_ctx *c, auto_pad *mode)
{
    const char *s;
    size_t len;
    ol_status st = infer_attr_string(c, "auto_pad", "NOTSET", &s, &len);
    if (st != OL_OK)
        return st;
    if (infer_bytes_equal(s, len, "NOTSET") || len == 0)
        *mode = PAD_NOTSET;
    else if (infer_bytes_equal(s, len, "SAME_UPPER"))
        *mode = PAD_SAME_UPPER;
    else if (infer_bytes_equal(s, len, "SAME_LOWER"))
        *mode = PAD_SAME_LOWER;
    else if (infer_bytes_equal(s, len, "VALID"))
        *mode = PAD_VALID;
    else
        return infer_fail(c, "unknown auto_pad '%.*s'", (int)len, s);
    return OL_OK;
}

/* `weight_dims` (the kernel's spatial dims, or NULL) stands in for a missing kernel_shape. */
static ol_status read_window(infer_ctx *c, int n, const ol_dim *weight_dims, bool kernel_required,
                             window *w)
{
    if (n < 0 || n > OL_MAX_RANK)
        return infer_fail(c, "spatial rank %d is out of range", n);
    *w = (window){.n = n};
    bool have_kernel;
    ol_status st = read_list(c, "kernel_shape", (size_t)n, 1, 1, w->kernel, &have_kernel);
    if (st != OL_OK)
        return st;
    w->kernel_known = have_kernel;
    if (!have_kernel && kernel_required)
        return infer_fail(c, "attribute 'kernel_shape' is required");
    if (!have_kernel && weight_dims) {
        w->kernel_known = true;
        for (int i = 0; i < n; i++) {
            if (!dim_known(&weight_dims[i]))
                w->kernel_known = false;
            else if (weight_dims[i].value < 1)
                return infer_fail(c, "weight W has kernel size %lld on spatial axis %d",
                                  (long long)weight_dims[i].value, i);
            else
                w->kernel[i] = weight_dims[i].value;
        }
    }
    int64_t ceil_mode;
    if ((st = read_list(c, "strides", (size_t)n, 1, 1, w->strides, NULL)) != OL_OK ||
        (st = read_list(c, "dilations", (size_t)n, 1, 1, w->dilations, NULL)) != OL_OK ||
        (st = read_list(c, "pads", 2 * (size_t)n, 0, 0, w->pads, NULL)) != OL_OK ||
        (st = read_auto_pad(c, &w->pad_mode)) != OL_OK ||
        (st = infer_attr_int(c, "ceil_mode", 0, &ceil_mode)) != OL_OK)
        return st;
    w->ceil_mode = ceil_mode != 0;
    return OL_OK;
}

/* Output size of one spatial axis of a convolution or pooling window. */
static ol_status window_output(infer_ctx *c, const window *w, int i, const ol_dim *in, ol_dim *out)
{
    int64_t k = w->kernel[i], s = w->strides[i], d = w->dilations[i];
    int64_t pb = w->pads[i], pe = w->pads[w->n + i];
    int64_t span, pad_total;
    ol_status st;
    if (!w->kernel_known) {
        *out = dim_unknown();
        return OL_OK;
    }
    /* span = d * (k - 1) + 1, the extent of the dilated kernel. */
    if ((st = infer_checked_mul(c, d, k - 1, &span)) != OL_OK ||
        (st = infer_checked_add(c, span, 1, &span)) != OL_OK ||
        (st = infer_checked_add(c, pb, pe, &pad_total)) != OL_OK)
        return st;
    if (!dim_known(in)) {
        /* A symbolic size survives windows that preserve it: stride 1 with "same" padding. */
        bool same = s == 1 && ((w->pad_mode == PAD_NOTSET && pad_total == span - 1) ||
                               w->pad_mode == PAD_SAME_UPPER || w->pad_mode == PAD_SAME_LOWER ||
                               (w->pad_mode == PAD_VALID && span == 1));
        *out = same ? *in : dim_unknown();
        return OL_OK;
    }
    int64_t size = in->value, total;
    if (w->pad_mode == PAD_SAME_UPPER || w->pad_mode == PAD_SAME_LOWER) {
        *out = dim_of(size / s + (size % s != 0));
        return OL_OK;
    }
    if (w->pad_mode == PAD_VALID)
        pad_total = pb = 0;
    if ((st = infer_checked_add(c, size, pad_total, &total)) != OL_OK)
        return st;
    if (total < span)
        return infer_fail(c, "spatial axis %d: input size %lld with padding %lld is smaller than the "
                          "kernel extent %lld", i, (long long)size, (long long)pad_total, (long long)span);
    int64_t positions = (total - span) / s;
    if (w->ceil_mode && (total - span) % s != 0) {
        positions++;
        /* The last window must start inside the input or its left padding. */
        int64_t last_start;
        if ((st = infer_checked_mul(c, positions, s, &last_start)) != OL_OK)
            return st;
        if (last_start >= size + pb)
            positions--;
    }
    *out = dim_of(positions + 1);
    return OL_OK;
}

/* Shared by Conv, ConvInteger and QLinearConv: X [N, C, ...], W [M, C/group, k...] -> [N, M, ...]. */
static ol_status conv_shape(infer_ctx *c, size_t xi, size_t wi, size_t bi, ol_dtype elem)
{
    ol_status st;
    if ((st = infer_in_require(c, xi)) != OL_OK || (st = infer_in_require(c, wi)) != OL_OK)
        return st;
    int rx = infer_in_rank(c, xi), rw = infer_in_rank(c, wi);
    if (rx >= 0 && rx < 3)
        return infer_fail(c, "input X has rank %d; convolution needs at least 3", rx);
    if (rw >= 0 && rw < 3)
        return infer_fail(c, "weight W has rank %d; convolution needs at least 3", rw);
    if (rx >= 0 && rw >= 0 && rx != rw)
        return infer_fail(c, "input X has rank %d but weight W has rank %d", rx, rw);
    int rank = rx >= 0 ? rx : rw;
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    const ol_dim *x = infer_in_dims(c, xi), *wd = infer_in_dims(c, wi);
    int64_t group;
    if ((st = infer_attr_int(c, "group", 1, &group)) != OL_OK)
        return st;
    if (group < 1)
        return infer_fail(c, "group %lld must be positive", (long long)group);
    window w;
    if ((st = read_window(c, rank - 2, rw >= 0 ? wd + 2 : NULL, false, &w)) != OL_OK)
        return st;
    if (rw >= 0 && w.kernel_known) {
        for (int i = 0; i < w.n; i++)
            if (dim_known(&wd[i + 2]) && wd[i + 2].value != w.kernel[i])
                return infer_fail(c, "kernel_shape[%d] = %lld but weight W has %lld there", i,
                                  (long long)w.kernel[i], (long long)wd[i + 2].value);
    }
    if (rx >= 0 && rw >= 0 && dim_known(&x[1]) && dim_known(&wd[1])) {
        int64_t need;
        if ((st = infer_checked_mul(c, wd[1].value, group, &need)) != OL_OK)
            return st;
        if (need != x[1].value)
            return infer_fail(c, "input X has %lld channels but weight W expects %lld (%lld per group "
                              "x group %lld)", (long long)x[1].value, (long long)need,
                              (long long)wd[1].value, (long long)group);
    }
    if (rw >= 0 && dim_known(&wd[0]) && wd[0].value % group != 0)
        return infer_fail(c, "%lld output channels do not divide into %lld groups",
                          (long long)wd[0].value, (long long)group);
    if (rw >= 0 && infer_in_rank(c, bi) == 1 && dim_known(&wd[0]) && dim_known(&infer_in_dims(c, bi)[0]) &&
        infer_in_dims(c, bi)[0].value != wd[0].value)
        return infer_fail(c, "bias has %lld elements for %lld output channels",
                          (long long)infer_in_dims(c, bi)[0].value, (long long)wd[0].value);
    ol_dim out[OL_MAX_RANK];
    out[0] = rx >= 0 ? x[0] : dim_unknown();
    out[1] = rw >= 0 ? wd[0] : dim_unknown();
    for (int i = 0; i < w.n; i++) {
        if (rx < 0)
            out[i + 2] = dim_unknown();
        else if ((st = window_output(c, &w, i, &x[i + 2], &out[i + 2])) != OL_OK)
            return st;
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

ol_status infer_conv(infer_ctx *c)
{
    return conv_shape(c, 0, 1, 2, infer_in_elem(c, 0));
}

ol_status infer_conv_integer(infer_ctx *c)
{
    return conv_shape(c, 0, 1, (size_t)-1, OL_INT32);
}

ol_status infer_qlinear_conv(infer_ctx *c)
{
    ol_dtype elem = infer_in_elem(c, 7) != OL_UNDEFINED ? infer_in_elem(c, 7) : infer_in_elem(c, 0);
    return conv_shape(c, 0, 3, 8, elem);
}

/* X [N, C, ...], W [C, M/group, k...] -> [N, M, ...]. */
ol_status infer_conv_transpose(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rx = infer_in_rank(c, 0), rw = infer_in_rank(c, 1);
    if ((rx >= 0 && rx < 3) || (rw >= 0 && rw < 3))
        return infer_fail(c, "input X and weight W need rank >= 3 (have %d and %d)", rx, rw);
    if (rx >= 0 && rw >= 0 && rx != rw)
        return infer_fail(c, "input X has rank %d but weight W has rank %d", rx, rw);
    int rank = rx >= 0 ? rx : rw;
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    const ol_dim *x = infer_in_dims(c, 0), *wd = infer_in_dims(c, 1);
    int64_t group;
    if ((st = infer_attr_int(c, "group", 1, &group)) != OL_OK)
        return st;
    if (group < 1)
        return infer_fail(c, "group %lld must be positive", (long long)group);
    window w;
    if ((st = read_window(c, rank - 2, rw >= 0 ? wd + 2 : NULL, false, &w)) != OL_OK)
        return st;
    int n = w.n;
    int64_t out_pad[OL_MAX_RANK];
    if ((st = read_list(c, "output_padding", (size_t)n, 0, 0, out_pad, NULL)) != OL_OK)
        return st;
    const int64_t *out_shape;
    size_t n_out_shape;
    if ((st = infer_attr_ints(c, "output_shape", &out_shape, &n_out_shape)) != OL_OK)
        return st;
    if (out_shape && n_out_shape != (size_t)n && n_out_shape != (size_t)n + 2)
        return infer_fail(c, "attribute 'output_shape' has %zu values for %d spatial axes",
                          n_out_shape, n);
    if (rx >= 0 && rw >= 0 && dim_known(&x[1]) && dim_known(&wd[0]) && x[1].value != wd[0].value)
        return infer_fail(c, "input X has %lld channels but weight W expects %lld",
                          (long long)x[1].value, (long long)wd[0].value);
    ol_dim out[OL_MAX_RANK];
    out[0] = rx >= 0 ? x[0] : dim_unknown();
    out[1] = dim_unknown();
    if (rw >= 0 && dim_known(&wd[1])) {
        int64_t m;
        if ((st = infer_checked_mul(c, wd[1].value, group, &m)) != OL_OK)
            return st;
        out[1] = dim_of(m);
    }
    for (int i = 0; i < n; i++) {
        out[i + 2] = dim_unknown();
        if (out_shape) {
            int64_t v = out_shape[n_out_shape == (size_t)n ? i : i + 2];
            if (v < 0)
                return infer_fail(c, "output_shape value %lld is negative", (long long)v);
            out[i + 2] = dim_of(v);
            continue;
        }
        if (rx < 0 || !dim_known(&x[i + 2]) || !w.kernel_known)
            continue;
        int64_t size = x[i + 2].value, s = w.strides[i], v, span;
        if (w.pad_mode == PAD_SAME_UPPER || w.pad_mode == PAD_SAME_LOWER) {
            if ((st = infer_checked_mul(c, size, s, &v)) != OL_OK)
                return st;
            out[i + 2] = dim_of(v);
            continue;
        }
        int64_t pb = w.pad_mode == PAD_VALID ? 0 : w.pads[i];
        int64_t pe = w.pad_mode == PAD_VALID ? 0 : w.pads[n + i];
        /* s * (size - 1) + output_padding + d * (k - 1) + 1 - pads */
        if ((st = infer_checked_mul(c, w.dilations[i], w.kernel[i] - 1, &span)) != OL_OK ||
            (st = infer_checked_mul(c, s, size - 1, &v)) != OL_OK ||
            (st = infer_checked_add(c, v, out_pad[i], &v)) != OL_OK ||
            (st = infer_checked_add(c, v, span, &v)) != OL_OK ||
            (st = infer_checked_add(c, v, 1, &v)) != OL_OK ||
            (st = infer_checked_sub(c, v, pb, &v)) != OL_OK ||
            (st = infer_checked_sub(c, v, pe, &v)) != OL_OK)
            return st;
        if (v < 0)
            return infer_fail(c, "spatial axis %d would have negative size %lld", i, (long long)v);
        out[i + 2] = dim_of(v);
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

ol_status infer_pool(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    if (rank < 0) {
        if ((st = infer_out_tensor(c, 0, elem, -1)) != OL_OK)
            return st;
        return strcmp(c->node->op_type, "MaxPool") == 0 ? infer_out_tensor(c, 1, OL_INT64, -1) : OL_OK;
    }
    if (rank < 3)
        return infer_fail(c, "input has rank %d; pooling needs at least 3", rank);
    window w;
    if ((st = read_window(c, rank - 2, NULL, true, &w)) != OL_OK)
        return st;
    const ol_dim *x = infer_in_dims(c, 0);
    ol_dim out[OL_MAX_RANK];
    out[0] = x[0];
    out[1] = x[1];
    for (int i = 0; i < w.n; i++)
        if ((st = window_output(c, &w, i, &x[i + 2], &out[i + 2])) != OL_OK)
            return st;
    if ((st = infer_out_tensor_dims(c, 0, elem, rank, out)) != OL_OK)
        return st;
    if (strcmp(c->node->op_type, "MaxPool") == 0)
        return infer_out_tensor_dims(c, 1, OL_INT64, rank, out);  /* Indices */
    return OL_OK;
}

ol_status infer_global_pool(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, infer_in_elem(c, 0), -1);
    if (rank < 2)
        return infer_fail(c, "input has rank %d; global pooling needs at least 2", rank);
    ol_dim out[OL_MAX_RANK];
    out[0] = infer_in_dims(c, 0)[0];
    out[1] = infer_in_dims(c, 0)[1];
    for (int i = 2; i < rank; i++)
        out[i] = dim_of(1);
    return infer_out_tensor_dims(c, 0, infer_in_elem(c, 0), rank, out);
}

ol_status infer_deform_conv(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 2);  /* offset */
    return st != OL_OK ? st : conv_shape(c, 0, 1, 3, infer_in_elem(c, 0));
}

/* X [N, C, D1...] sampled at grid [N, O1..., r] gives [N, C, O1...]. */
ol_status infer_grid_sample(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rx = infer_in_rank(c, 0), rg = infer_in_rank(c, 1);
    if ((rx >= 0 && rx < 3) || (rx >= 0 && rg >= 0 && rx != rg))
        return infer_fail(c, "X (rank %d) and grid (rank %d) need the same rank, at least 3", rx, rg);
    int rank = rx >= 0 ? rx : rg;
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    ol_dim out[OL_MAX_RANK];
    for (int d = 0; d < rank; d++)
        out[d] = dim_unknown();
    if (rx >= 0) {
        out[0] = infer_in_dims(c, 0)[0];
        out[1] = infer_in_dims(c, 0)[1];
    }
    if (rg >= 0) {
        const ol_dim *g = infer_in_dims(c, 1);
        if ((st = infer_dim_unify(c, &out[0], &g[0], "X and grid differ in batch size", &out[0])) != OL_OK)
            return st;
        if (dim_known(&g[rank - 1]) && g[rank - 1].value != rank - 2)
            return infer_fail(c, "grid's last dim is %lld; it must be %d for %d spatial axes",
                              (long long)g[rank - 1].value, rank - 2, rank - 2);
        for (int d = 2; d < rank; d++)
            out[d] = g[d - 1];
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

/* The inverse of MaxPool: output_shape when given, else (in - 1) * stride - pads + kernel. */
ol_status infer_max_unpool(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    known_ints shape;
    if (infer_in_present(c, 2) && infer_in_known(c, 2, &shape)) {
        if (rank >= 0 && shape.n != (size_t)rank)
            return infer_fail(c, "output_shape has %zu values for an input of rank %d", shape.n, rank);
        ol_dim out[OL_MAX_RANK];
        for (size_t i = 0; i < shape.n; i++)
            out[i] = infer_dim_from_sym(&shape.v[i]);
        return infer_out_tensor_dims(c, 0, elem, (int)shape.n, out);
    }
    if (rank < 0 || infer_in_present(c, 2))
        return infer_out_tensor(c, 0, elem, rank);
    if (rank < 3)
        return infer_fail(c, "input has rank %d; unpooling needs at least 3", rank);
    window w;
    if ((st = read_window(c, rank - 2, NULL, true, &w)) != OL_OK)
        return st;
    const ol_dim *x = infer_in_dims(c, 0);
    ol_dim out[OL_MAX_RANK] = {x[0], x[1]};
    for (int i = 0; i < w.n; i++) {
        out[i + 2] = dim_unknown();
        if (!dim_known(&x[i + 2]))
            continue;
        int64_t v;
        if ((st = infer_checked_mul(c, x[i + 2].value - 1, w.strides[i], &v)) != OL_OK ||
            (st = infer_checked_sub(c, v, w.pads[i], &v)) != OL_OK ||
            (st = infer_checked_sub(c, v, w.pads[w.n + i], &v)) != OL_OK ||
            (st = infer_checked_add(c, v, w.kernel[i], &v)) != OL_OK)
            return st;
        if (v < 0)
            return infer_fail(c, "spatial axis %d would have negative size %lld", i, (long long)v);
        out[i + 2] = dim_of(v);
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}
