/* Slice, Pad, Tile and Expand: copies through per-axis index maps. */
#include <string.h>

#include "exec/ops/layout_internal.h"
#include "kernels/slice.h"
#include "util/mem.h"

/* Slice's starts/ends/axes/steps: attributes before opset 10, inputs 1-4 after. */
static ol_status slice_list(ol_op_ctx *ctx, const char *name, size_t input, int64_t *out, size_t *n,
                            bool *given)
{
    *given = false;
    if (ol_op_opset(ctx) < 10) {
        const int64_t *attr = ol_node_attr_ints(ol_op_node(ctx), name, n);
        if (!attr)
            return OL_OK;
        if (*n > OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %zu values, at most %d", name, *n, OL_KMAX_RANK);
        memcpy(out, attr, *n * sizeof *out);
        *given = true;
        return OL_OK;
    }
    const ol_ktensor *t = ol_op_input(ctx, input);
    if (!t)
        return OL_OK;
    *given = true;
    return layout_ints(ctx, t, name, out, OL_KMAX_RANK, n);
}

ol_status layout_slice(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    size_t es;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    int64_t starts[OL_KMAX_RANK], ends[OL_KMAX_RANK], axes[OL_KMAX_RANK], steps[OL_KMAX_RANK];
    size_t n_starts = 0, n_ends = 0, n_axes = 0, n_steps = 0;
    bool has_starts, has_ends, has_axes, has_steps;
    if (slice_list(ctx, "starts", 1, starts, &n_starts, &has_starts) != OL_OK ||
        slice_list(ctx, "ends", 2, ends, &n_ends, &has_ends) != OL_OK ||
        slice_list(ctx, "axes", 3, axes, &n_axes, &has_axes) != OL_OK ||
        slice_list(ctx, "steps", 4, steps, &n_steps, &has_steps) != OL_OK)
        return ol_op_error(ctx)->status;
    if (!has_starts || !has_ends)
        return ol_op_fail(ctx, OL_ERR_INVALID, "starts and ends are required");
    if (n_ends != n_starts || (has_axes && n_axes != n_starts) || (has_steps && n_steps != n_starts))
        return ol_op_fail(ctx, OL_ERR_INVALID, "starts, ends, axes and steps differ in length");
    if (n_starts > (size_t)x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%zu axes sliced in a tensor of rank %d", n_starts, x->rank);
    int64_t first[OL_KMAX_RANK], step[OL_KMAX_RANK], dims[OL_KMAX_RANK];
    bool seen[OL_KMAX_RANK] = {false};
    for (int d = 0; d < x->rank; d++) {
        first[d] = 0;
        step[d] = 1;
        dims[d] = x->dims[d];
    }
    for (size_t i = 0; i < n_starts; i++) {
        int a;
        if (layout_axis(ctx, has_axes ? axes[i] : (int64_t)i, x->rank, "axis", &a) != OL_OK)
            return ol_op_error(ctx)->status;
        if (seen[a])
            return ol_op_fail(ctx, OL_ERR_INVALID, "axis %d is sliced twice", a);
        seen[a] = true;
        step[a] = has_steps ? steps[i] : 1;
        if (step[a] == 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "step of axis %d is 0", a);
        ol_slice_axis(x->dims[a], starts[i], ends[i], step[a], &first[a], &dims[a]);
    }
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (ol_slice(x, y, first, step) != OL_OK)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

static bool pad_mode(const ol_node *node, ol_pad_mode *mode)
{
    static const struct {
        const char *name;
        ol_pad_mode mode;
    } modes[] = {{"constant", OL_PAD_CONSTANT}, {"reflect", OL_PAD_REFLECT}, {"edge", OL_PAD_EDGE},
                 {"wrap", OL_PAD_WRAP}};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (layout_attr_is(node, "mode", "constant", modes[i].name)) {
            *mode = modes[i].mode;
            return true;
        }
    return false;
}

/* The pads as begin/end per axis: attribute "paddings" (opset 1) or "pads" (2-10), input 1 from 11
 * with the optional axes input 3 (opset 18) saying which axes they cover. */
static ol_status pad_amounts(ol_op_ctx *ctx, int rank, int64_t *begin, int64_t *end)
{
    int64_t pads[2 * OL_KMAX_RANK], axes[OL_KMAX_RANK];
    size_t n, n_axes = (size_t)rank;
    int64_t opset = ol_op_opset(ctx);
    if (opset < 11) {
        const int64_t *attr = ol_node_attr_ints(ol_op_node(ctx), opset < 2 ? "paddings" : "pads", &n);
        if (!attr)
            return ol_op_fail(ctx, OL_ERR_INVALID, "the pads attribute is missing");
        if (n > 2 * OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_INVALID, "pads has %zu values for rank %d", n, rank);
        memcpy(pads, attr, n * sizeof *pads);
    } else {
        const ol_ktensor *t = layout_input(ctx, 1, "pads");
        if (!t || layout_ints(ctx, t, "pads", pads, 2 * OL_KMAX_RANK, &n) != OL_OK)
            return ol_op_error(ctx)->status;
    }
    const ol_ktensor *axes_t = opset >= 18 ? ol_op_input(ctx, 3) : NULL;
    if (axes_t && layout_ints(ctx, axes_t, "axes", axes, OL_KMAX_RANK, &n_axes) != OL_OK)
        return ol_op_error(ctx)->status;
    if (n != 2 * n_axes)
        return ol_op_fail(ctx, OL_ERR_INVALID, "pads has %zu values for %zu axes", n, n_axes);
    for (int d = 0; d < rank; d++)
        begin[d] = end[d] = 0;
    bool seen[OL_KMAX_RANK] = {false};
    for (size_t i = 0; i < n_axes; i++) {
        int a = (int)i;
        if (axes_t && layout_axis(ctx, axes[i], rank, "axis", &a) != OL_OK)
            return ol_op_error(ctx)->status;
        if (seen[a])
            return ol_op_fail(ctx, OL_ERR_INVALID, "axis %d is padded twice", a);
        seen[a] = true;
        begin[a] = pads[i];
        end[a] = pads[i + n_axes];
    }
    return OL_OK;
}

ol_status layout_pad(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "data");
    size_t es;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    ol_pad_mode mode;
    if (!pad_mode(ol_op_node(ctx), &mode))
        return ol_op_fail(ctx, OL_ERR_INVALID, "mode must be constant, reflect, edge or wrap");
    int64_t begin[OL_KMAX_RANK], end[OL_KMAX_RANK], dims[OL_KMAX_RANK];
    if (pad_amounts(ctx, x->rank, begin, end) != OL_OK)
        return ol_op_error(ctx)->status;
    for (int d = 0; d < x->rank; d++) {
        /* Negative pads crop; bounding the pads first keeps the sum from overflowing. */
        bool fits = begin[d] >= -x->dims[d] && end[d] >= -x->dims[d] && begin[d] <= INT32_MAX &&
                    end[d] <= INT32_MAX;
        dims[d] = fits ? x->dims[d] + begin[d] + end[d] : -1;
        if (dims[d] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "pads %lld, %lld do not fit axis %d of size %lld",
                              (long long)begin[d], (long long)end[d], d, (long long)x->dims[d]);
        if (mode != OL_PAD_CONSTANT && x->dims[d] == 0 && dims[d] > 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "cannot pad the empty axis %d in this mode", d);
    }
    /* The constant: attribute "value" before opset 11, optional scalar input 2 after. */
    uint8_t fill[16] = {0};
    if (ol_op_opset(ctx) < 11) {
        if (!layout_value_bytes(x->dtype, ol_node_attr_float(ol_op_node(ctx), "value", 0.0f), fill) &&
            mode == OL_PAD_CONSTANT)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "constant padding of %s", ol_dtype_name(x->dtype));
    } else {
        const ol_ktensor *value = ol_op_input(ctx, 2);
        if (value && ol_ktensor_numel(value) > 0) {
            if (value->dtype != x->dtype || ol_ktensor_numel(value) != 1)
                return ol_op_fail(ctx, OL_ERR_INVALID, "constant_value must be one %s",
                                  ol_dtype_name(x->dtype));
            if (es > sizeof fill)
                return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "elements of %zu bytes", es);
            memcpy(fill, value->data, es);
        }
    }
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (ol_pad(x, y, begin, mode, fill) != OL_OK)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

ol_status layout_tile(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "input"), *r = layout_input(ctx, 1, "repeats");
    size_t es, n;
    int64_t repeats[OL_KMAX_RANK], dims[OL_KMAX_RANK];
    if (!x || !r || layout_elem_size(ctx, x, &es) != OL_OK ||
        layout_ints(ctx, r, "repeats", repeats, OL_KMAX_RANK, &n) != OL_OK)
        return ol_op_error(ctx)->status;
    if (n != (size_t)x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "repeats has %zu values for rank %d", n, x->rank);
    for (int d = 0; d < x->rank; d++)
        if (repeats[d] < 0 || !ol_mul_i64(x->dims[d], repeats[d], &dims[d]))
            return ol_op_fail(ctx, OL_ERR_INVALID, "repeats[%d] = %lld is negative or overflows", d,
                              (long long)repeats[d]);
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (ol_tile(x, y) != OL_OK)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

ol_status layout_expand(ol_op_ctx *ctx)
{
    const ol_ktensor *x = layout_input(ctx, 0, "input"), *s = layout_input(ctx, 1, "shape");
    size_t es, n;
    int64_t shape[OL_KMAX_RANK];
    if (!x || !s || layout_elem_size(ctx, x, &es) != OL_OK ||
        layout_ints(ctx, s, "shape", shape, OL_KMAX_RANK, &n) != OL_OK)
        return ol_op_error(ctx)->status;
    int rank = x->rank > (int)n ? x->rank : (int)n;
    /* Numpy broadcasting, aligned at the last axis; x is viewed with leading 1s. */
    ol_ktensor view = *x;
    view.rank = rank;
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0; d < rank; d++) {
        int xi = d - (rank - x->rank), si = d - (rank - (int)n);
        int64_t a = xi >= 0 ? x->dims[xi] : 1, b = si >= 0 ? shape[si] : 1;
        view.dims[d] = a;
        if (b < 0 || (a != b && a != 1 && b != 1))
            return ol_op_fail(ctx, OL_ERR_INVALID, "cannot broadcast size %lld to %lld at axis %d",
                              (long long)a, (long long)b, d);
        dims[d] = a == 1 ? b : a;
    }
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (ol_expand(&view, y) != OL_OK)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}
