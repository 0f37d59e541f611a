/* Resize (opset 10+) and Upsample (7-9): the attributes and inputs become per-axis scales, output
 * dims and an ol_resize_params for the kernels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/compare.h"
#include "exec/ops/layout_internal.h"
#include "kernels/axis_gather.h"
#include "kernels/resize.h"

static bool pick(const ol_node *node, const char *attr, const char *dflt, const char *const *names,
                 int count, int *out)
{
    for (int i = 0; i < count; i++)
        if (layout_attr_is(node, attr, dflt, names[i])) {
            *out = i;
            return true;
        }
    return false;
}

/* Reads a float/double tensor (after the float16 conversion) of up to cap values. */
static ol_status read_floats(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, double *out, size_t cap,
                             size_t *n)
{
    int64_t count = ol_ktensor_numel(t);
    if (t->dtype != OL_FLOAT && t->dtype != OL_DOUBLE)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be float, got %s", what, ol_dtype_name(t->dtype));
    if ((uint64_t)count > cap)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %lld values, at most %zu", what, (long long)count, cap);
    for (int64_t i = 0; i < count; i++)
        out[i] = t->dtype == OL_FLOAT ? ((const float *)t->data)[i] : ((const double *)t->data)[i];
    *n = (size_t)count;
    return OL_OK;
}

/* Output dims from scales (floor(in * scale)) or from sizes (then scale = out / in, adjusted by
 * keep_aspect_ratio_policy), over the axes the node resizes. */
static ol_status output_dims(ol_op_ctx *ctx, const ol_ktensor *x, const int *axes, size_t n_axes,
                             const double *scales, const int64_t *sizes, int policy,
                             ol_resize_params *p, int64_t *dims)
{
    for (int d = 0; d < x->rank; d++) {
        dims[d] = x->dims[d];
        p->scales[d] = 1;
    }
    if (scales) {
        for (size_t i = 0; i < n_axes; i++) {
            int a = axes[i];
            double out = floor(scales[i] * (double)x->dims[a]);
            if (!(scales[i] > 0) || !(out < 9e15))
                return ol_op_fail(ctx, OL_ERR_INVALID, "scale %g of axis %d is not a positive size",
                                  scales[i], a);
            p->scales[a] = scales[i];
            dims[a] = (int64_t)out;
        }
        return OL_OK;
    }
    /* policy 0 stretch, 1 not_larger, 2 not_smaller */
    double common = policy == 1 ? INFINITY : 0;
    for (size_t i = 0; i < n_axes; i++) {
        int a = axes[i];
        if (sizes[i] < 0 || x->dims[a] == 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "size %lld for axis %d of extent %lld",
                              (long long)sizes[i], a, (long long)x->dims[a]);
        double s = (double)sizes[i] / (double)x->dims[a];
        p->scales[a] = s;
        dims[a] = sizes[i];
        common = policy == 1 ? fmin(common, s) : fmax(common, s);
    }
    if (policy != 0)
        for (size_t i = 0; i < n_axes; i++) {
            int a = axes[i];
            p->scales[a] = common;
            dims[a] = (int64_t)(common * (double)x->dims[a] + 0.5);   /* round half up */
        }
    return OL_OK;
}

/* Integers go through the double kernel and come back rounded half to even and saturated, like
 * the ONNX reference computes them. */
static ol_status resize_integers(ol_op_ctx *ctx, const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p)
{
    int64_t nx = ol_ktensor_numel(x), ny = ol_ktensor_numel(y);
    double *buf = malloc((size_t)(nx + ny + 1) * sizeof *buf);
    if (!buf)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    ol_ktensor dx = *x, dy = *y;
    dx.dtype = dy.dtype = OL_DOUBLE;
    dx.data = buf;
    dy.data = buf + nx;
    for (int64_t i = 0; i < nx; i++)
        buf[i] = ol_ktensor_get_f64(x, i);
    ol_status st = ol_resize_double(&dx, &dy, p);
    size_t es = ol_elem_size(y->dtype);
    for (int64_t i = 0; st == OL_OK && i < ny; i++)
        layout_value_bytes(y->dtype, nearbyint(buf[nx + i]), (uint8_t *)y->data + (size_t)i * es);
    free(buf);
    return st == OL_OK ? OL_OK : ol_op_fail(ctx, st, "out of memory");
}

static ol_status run_resize(ol_op_ctx *ctx, const ol_ktensor *x, const ol_resize_params *p, const int64_t *dims)
{
    for (int d = 0; d < x->rank; d++)
        if (x->dims[d] == 0 && dims[d] > 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "cannot resize the empty axis %d to %lld", d,
                              (long long)dims[d]);
    /* Nearest copies elements of any type; interpolation needs numbers (not bool). */
    uint8_t value[16] = {0};
    bool numeric = layout_value_bytes(x->dtype, p->extrapolation_value, value) && x->dtype != OL_BOOL;
    if (p->mode != OL_RESIZE_NEAREST && !numeric)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "linear/cubic interpolation of %s",
                          ol_dtype_name(x->dtype));
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (p->mode != OL_RESIZE_NEAREST && x->dtype != OL_FLOAT && x->dtype != OL_DOUBLE)
        return resize_integers(ctx, x, y, p);
    ol_status st = p->mode == OL_RESIZE_NEAREST ? ol_resize_nearest(x, y, p, value)
                   : x->dtype == OL_FLOAT      ? ol_resize_float(x, y, p)
                                               : ol_resize_double(x, y, p);
    return st == OL_OK ? OL_OK : ol_op_fail(ctx, st, "out of memory");
}

ol_status layout_resize(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    int64_t opset = ol_op_opset(ctx);
    const ol_ktensor *x = layout_input(ctx, 0, "X");
    size_t es;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    ol_resize_params p = {.cubic_a = -0.75};
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const coords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                         "align_corners", "asymmetric", "tf_crop_and_resize"};
    static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const char *const policies[] = {"stretch", "not_larger", "not_smaller"};
    int mode, coord = OL_COORD_ASYMMETRIC, near = OL_NEAREST_FLOOR, policy = 0;
    if (!pick(node, "mode", "nearest", modes, opset >= 11 ? 3 : 2, &mode))
        return ol_op_fail(ctx, OL_ERR_INVALID, "unknown mode");
    /* Opset 10 had neither attribute: it behaves like Upsample (asymmetric, floor). */
    if (opset >= 11 && (!pick(node, "coordinate_transformation_mode", "half_pixel", coords, 6, &coord) ||
                        !pick(node, "nearest_mode", "round_prefer_floor", nearest, 4, &near)))
        return ol_op_fail(ctx, OL_ERR_INVALID, "unknown coordinate_transformation_mode or nearest_mode");
    if (opset >= 18 && !pick(node, "keep_aspect_ratio_policy", "stretch", policies, 3, &policy))
        return ol_op_fail(ctx, OL_ERR_INVALID, "unknown keep_aspect_ratio_policy");
    p.mode = (ol_resize_mode)mode;
    p.coord = (ol_resize_coord)coord;
    p.nearest = (ol_nearest_rounding)near;
    if (opset >= 11) {
        p.cubic_a = ol_node_attr_float(node, "cubic_coeff_a", -0.75f);
        p.exclude_outside = ol_node_attr_int(node, "exclude_outside", 0) != 0;
        p.extrapolation_value = ol_node_attr_float(node, "extrapolation_value", 0.0f);
    }
    p.antialias = opset >= 18 && ol_node_attr_int(node, "antialias", 0) != 0;
    if (p.antialias && p.mode == OL_RESIZE_NEAREST)
        return ol_op_fail(ctx, OL_ERR_INVALID, "antialias does not apply to nearest mode");

    /* axes (opset 18): the axes that scales/sizes/roi describe; all of them by default. */
    int axes[OL_KMAX_RANK];
    size_t n_axes = (size_t)x->rank, n;
    const int64_t *axes_attr = opset >= 18 ? ol_node_attr_ints(node, "axes", &n) : NULL;
    bool seen[OL_KMAX_RANK] = {false};
    if (axes_attr) {
        if (n > (size_t)x->rank)
            return ol_op_fail(ctx, OL_ERR_INVALID, "%zu axes for rank %d", n, x->rank);
        n_axes = n;
    }
    for (size_t i = 0; i < n_axes; i++) {
        if (!axes_attr) {
            axes[i] = (int)i;
            continue;
        }
        if (layout_axis(ctx, axes_attr[i], x->rank, "axis", &axes[i]) != OL_OK)
            return ol_op_error(ctx)->status;
        if (seen[axes[i]])
            return ol_op_fail(ctx, OL_ERR_INVALID, "axis %d is given twice", axes[i]);
        seen[axes[i]] = true;
    }

    /* Inputs: opset 10 (X, scales); from 11 (X, roi, scales, sizes), one of scales/sizes given. */
    const ol_ktensor *roi_t = opset >= 11 ? ol_op_input(ctx, 1) : NULL;
    const ol_ktensor *scales_t = ol_op_input(ctx, opset >= 11 ? 2 : 1);
    const ol_ktensor *sizes_t = opset >= 11 ? ol_op_input(ctx, 3) : NULL;
    if (scales_t && ol_ktensor_numel(scales_t) == 0)
        scales_t = NULL;
    if (sizes_t && ol_ktensor_numel(sizes_t) == 0)
        sizes_t = NULL;
    if (!scales_t == !sizes_t)
        return ol_op_fail(ctx, OL_ERR_INVALID, "exactly one of scales and sizes must be given");
    double scales[OL_KMAX_RANK], roi[2 * OL_KMAX_RANK];
    int64_t sizes[OL_KMAX_RANK];
    if (scales_t && read_floats(ctx, scales_t, "scales", scales, OL_KMAX_RANK, &n) != OL_OK)
        return ol_op_error(ctx)->status;
    if (sizes_t && layout_ints(ctx, sizes_t, "sizes", sizes, OL_KMAX_RANK, &n) != OL_OK)
        return ol_op_error(ctx)->status;
    if (n != n_axes)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %zu values for %zu axes", scales_t ? "scales" : "sizes",
                          n, n_axes);
    for (int d = 0; d < x->rank; d++) {
        p.roi_start[d] = 0;
        p.roi_end[d] = 1;
    }
    if (p.coord == OL_COORD_TF_CROP_AND_RESIZE && roi_t && ol_ktensor_numel(roi_t) > 0) {
        if (read_floats(ctx, roi_t, "roi", roi, 2 * OL_KMAX_RANK, &n) != OL_OK)
            return ol_op_error(ctx)->status;
        if (n != 2 * n_axes)
            return ol_op_fail(ctx, OL_ERR_INVALID, "roi has %zu values for %zu axes", n, n_axes);
        for (size_t i = 0; i < n_axes; i++) {
            p.roi_start[axes[i]] = roi[i];
            p.roi_end[axes[i]] = roi[n_axes + i];
        }
    }
    int64_t dims[OL_KMAX_RANK];
    if (output_dims(ctx, x, axes, n_axes, scales_t ? scales : NULL, sizes, policy, &p, dims) != OL_OK)
        return ol_op_error(ctx)->status;
    return run_resize(ctx, x, &p, dims);
}

ol_status layout_upsample(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = layout_input(ctx, 0, "X");
    size_t es, n;
    if (!x || layout_elem_size(ctx, x, &es) != OL_OK)
        return ol_op_error(ctx)->status;
    /* linear also under its old names bilinear/trilinear */
    static const char *const modes[] = {"nearest", "linear", "bilinear", "trilinear"};
    int mode;
    if (!pick(node, "mode", "nearest", modes, 4, &mode))
        return ol_op_fail(ctx, OL_ERR_INVALID, "unknown mode");
    ol_resize_params p = {.mode = mode ? OL_RESIZE_LINEAR : OL_RESIZE_NEAREST,
                          .coord = OL_COORD_ASYMMETRIC, .nearest = OL_NEAREST_FLOOR};
    double scales[OL_KMAX_RANK];
    /* scales: attribute before opset 9, input 1 from 9 */
    if (ol_op_opset(ctx) < 9) {
        const ol_attr *a = ol_node_attr(node, "scales");
        if (!a || a->type != OL_ATTR_FLOATS)
            return ol_op_fail(ctx, OL_ERR_INVALID, "the scales attribute is missing");
        n = a->n;
        if (n > OL_KMAX_RANK)
            return ol_op_fail(ctx, OL_ERR_INVALID, "scales has %zu values", n);
        for (size_t i = 0; i < n; i++)
            scales[i] = a->floats[i];
    } else {
        const ol_ktensor *t = layout_input(ctx, 1, "scales");
        if (!t || read_floats(ctx, t, "scales", scales, OL_KMAX_RANK, &n) != OL_OK)
            return ol_op_error(ctx)->status;
    }
    if (n != (size_t)x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "scales has %zu values for rank %d", n, x->rank);
    int axes[OL_KMAX_RANK];
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0; d < x->rank; d++)
        axes[d] = d;
    if (output_dims(ctx, x, axes, n, scales, NULL, 0, &p, dims) != OL_OK)
        return ol_op_error(ctx)->status;
    return run_resize(ctx, x, &p, dims);
}
