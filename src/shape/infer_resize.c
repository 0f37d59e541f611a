/* Resize and its predecessor Upsample: output dims come from `sizes` when given, otherwise from
 * floor(input_dim * scale). */
#include <math.h>
#include <string.h>

#include "shape/infer_internal.h"

/* floor(dim * scale) for one axis; a symbolic dim survives scale 1. */
static ol_status scaled_dim(infer_ctx *c, const ol_dim *in, double scale, ol_dim *out)
{
    if (!(scale > 0) || !isfinite(scale))
        return infer_fail(c, "scale %g must be positive and finite", scale);
    if (!dim_known(in)) {
        *out = scale == 1.0 ? *in : dim_unknown();
        return OL_OK;
    }
    double v = floor((double)in->value * scale);
    if (!(v < 9.2e18))
        return infer_fail(c, "scaled dimension %lld * %g overflows int64", (long long)in->value, scale);
    *out = dim_of((int64_t)v);
    return OL_OK;
}

/* The axes Resize applies its scales or sizes to: the 'axes' attribute (opset 18) or all. */
static ol_status resize_axes(infer_ctx *c, int rank, int *axes, size_t *n)
{
    const int64_t *v;
    size_t count;
    *n = 0;
    ol_status st = infer_attr_ints(c, "axes", &v, &count);
    if (st != OL_OK)
        return st;
    if (!v) {
        for (int d = 0; d < rank; d++)
            axes[d] = d;
        *n = (size_t)rank;
        return OL_OK;
    }
    if (c->opset < 18)
        return infer_fail(c, "attribute 'axes' needs opset 18 (model has %lld)", (long long)c->opset);
    bool mask[OL_MAX_RANK];
    if ((st = infer_axes_to_mask(c, v, count, rank, "axes", mask)) != OL_OK)
        return st;
    for (size_t i = 0; i < count; i++)
        axes[i] = (int)(v[i] < 0 ? v[i] + rank : v[i]);
    *n = count;
    return OL_OK;
}

/* Sizes with keep_aspect_ratio_policy: one scale for all axes, the smallest or largest ratio. */
static ol_status aspect_sizes(infer_ctx *c, bool not_larger, const int *axes, size_t n,
                              const known_ints *sizes, ol_dim *out)
{
    const ol_dim *in = infer_in_dims(c, 0);
    double scale = not_larger ? INFINITY : 0;
    for (size_t i = 0; i < n; i++) {
        if (sizes->v[i].kind != SYM_VALUE || !dim_known(&in[axes[i]]) || in[axes[i]].value == 0) {
            for (size_t k = 0; k < n; k++)
                out[axes[k]] = dim_unknown();
            return OL_OK;
        }
        double ratio = (double)sizes->v[i].value / (double)in[axes[i]].value;
        scale = not_larger ? fmin(scale, ratio) : fmax(scale, ratio);
    }
    for (size_t i = 0; i < n; i++) {
        /* Rounds half up, as the operator's definition says. */
        double v = floor(scale * (double)in[axes[i]].value + 0.5);
        if (!(v < 9.2e18))
            return infer_fail(c, "resized dimension overflows int64");
        out[axes[i]] = dim_of((int64_t)v);
    }
    return OL_OK;
}

ol_status infer_resize(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    int axes[OL_MAX_RANK];
    size_t n_axes;
    if ((st = resize_axes(c, rank, axes, &n_axes)) != OL_OK)
        return st;
    const char *policy, *mode;
    size_t policy_len, mode_len;
    if ((st = infer_attr_string(c, "keep_aspect_ratio_policy", "stretch", &policy, &policy_len)) != OL_OK)
        return st;
    st = infer_attr_string(c, "coordinate_transformation_mode", "half_pixel", &mode, &mode_len);
    if (st != OL_OK)
        return st;
    size_t scales_at = c->opset < 11 ? 1 : 2, sizes_at = 3;
    ol_dim out[OL_MAX_RANK];
    memcpy(out, infer_in_dims(c, 0), (size_t)rank * sizeof *out);
    known_ints sizes;
    double scales[OL_MAX_RANK];
    size_t n_scales = 0;
    bool have_scales = infer_in_const_floats(c, scales_at, scales, OL_MAX_RANK, &n_scales) && n_scales > 0;
    if (c->opset >= 11 && infer_in_present(c, sizes_at) && infer_in_known(c, sizes_at, &sizes) &&
        sizes.n > 0) {
        if (have_scales)
            return infer_fail(c, "takes scales or sizes, not both");
        if (sizes.n != n_axes)
            return infer_fail(c, "sizes has %zu values for %zu axes", sizes.n, n_axes);
        for (size_t i = 0; i < n_axes; i++)
            if (sizes.v[i].kind == SYM_VALUE && sizes.v[i].value < 0)
                return infer_fail(c, "sizes has negative value %lld", (long long)sizes.v[i].value);
        bool not_larger = infer_bytes_equal(policy, policy_len, "not_larger");
        bool not_smaller = infer_bytes_equal(policy, policy_len, "not_smaller");
        if (not_larger || not_smaller) {
            if ((st = aspect_sizes(c, not_larger, axes, n_axes, &sizes, out)) != OL_OK)
                return st;
        } else if (!infer_bytes_equal(policy, policy_len, "stretch")) {
            return infer_fail(c, "unknown keep_aspect_ratio_policy '%.*s'", (int)policy_len, policy);
        } else {
            for (size_t i = 0; i < n_axes; i++)
                out[axes[i]] = infer_dim_from_sym(&sizes.v[i]);
        }
    } else if (have_scales && !infer_bytes_equal(mode, mode_len, "tf_crop_and_resize")) {
        if (n_scales != n_axes)
            return infer_fail(c, "scales has %zu values for %zu axes", n_scales, n_axes);
        for (size_t i = 0; i < n_axes; i++)
            if ((st = scaled_dim(c, &infer_in_dims(c, 0)[axes[i]], scales[i], &out[axes[i]])) != OL_OK)
                return st;
    } else {
        for (size_t i = 0; i < n_axes; i++)
            out[axes[i]] = dim_unknown();
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

ol_status infer_upsample(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    double scales[OL_MAX_RANK];
    size_t n = 0;
    bool known = false;
    if (c->opset < 7) {
        /* Upsample-1 scaled the two trailing axes of a 4-D input. */
        float h, w;
        if ((st = infer_attr_float(c, "height_scale", 1.0f, &h)) != OL_OK ||
            (st = infer_attr_float(c, "width_scale", 1.0f, &w)) != OL_OK)
            return st;
        if (rank != 4)
            return infer_fail(c, "input must have rank 4, not %d", rank);
        scales[0] = scales[1] = 1.0;
        scales[2] = h;
        scales[3] = w;
        n = 4;
        known = true;
    } else if (c->opset < 9) {
        const float *v;
        if ((st = infer_attr_floats(c, "scales", &v, &n)) != OL_OK)
            return st;
        if (!v)
            return infer_fail(c, "attribute 'scales' is required");
        if (n > OL_MAX_RANK)
            return infer_fail(c, "attribute 'scales' has %zu values", n);
        for (size_t i = 0; i < n; i++)
            scales[i] = v[i];
        known = true;
    } else {
        if ((st = infer_in_require(c, 1)) != OL_OK)
            return st;
        known = infer_in_const_floats(c, 1, scales, OL_MAX_RANK, &n);
    }
    if (!known)
        return infer_out_tensor(c, 0, elem, rank);
    if (n != (size_t)rank)
        return infer_fail(c, "scales has %zu values for an input of rank %d", n, rank);
    ol_dim out[OL_MAX_RANK];
    for (int d = 0; d < rank; d++)
        if ((st = scaled_dim(c, &infer_in_dims(c, 0)[d], scales[d], &out[d])) != OL_OK)
            return st;
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}
