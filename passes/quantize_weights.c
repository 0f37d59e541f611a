/* Weights and biases of quantized layers: symmetric int8 weights with one scale per output
 * channel (or one per tensor), int32 biases at the scale the integer accumulator has
 * (input_scale * weight_scale), and float constants read by requantizing ops (Add, Mul, Concat)
 * quantized like the activations they meet. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quantize.h"

/* Element i of float32 data that may sit unaligned in a decoded protobuf. */
static float element(const void *data, int64_t i)
{
    float f;
    memcpy(&f, (const char *)data + i * (int64_t)sizeof f, sizeof f);
    return f;
}

/* Slices along `axis`: count, and the elements per slice before/after it. */
static void slicing(const ol_tensor *t, int axis, int64_t *channels, int64_t *outer, int64_t *inner)
{
    *channels = axis < 0 ? 1 : t->dims[axis];
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < t->rank; d++) {
        if (axis < 0 || d > axis)
            *inner *= t->dims[d];
        else if (d < axis)
            *outer *= t->dims[d];
    }
}

ol_status qz_weight_int8(const ol_tensor *w, int axis, ol_tensor **q, ol_tensor **scale, ol_error *err)
{
    *q = *scale = NULL;
    int64_t channels, outer, inner;
    slicing(w, axis, &channels, &outer, &inner);
    const void *x = w->data;
    *q = ol_tensor_create(OL_INT8, w->rank, w->dims, err);
    *scale = ol_tensor_create(OL_FLOAT, axis < 0 ? 0 : 1, &channels, err);
    int8_t *qd = *q ? ol_tensor_mutable_data(*q, err) : NULL;
    float *sd = *scale ? ol_tensor_mutable_data(*scale, err) : NULL;
    if (!qd || !sd) {
        ol_tensor_destroy(*q);
        ol_tensor_destroy(*scale);
        *q = *scale = NULL;
        return err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    for (int64_t c = 0; c < channels; c++) {
        double m = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                double v = fabs((double)element(x, (o * channels + c) * inner + i));
                if (v > m && isfinite(v))
                    m = v;
            }
        float s = (float)(m / 127.0);
        sd[c] = s > 0 ? s : 1.0f;
        ol_qparams p = {.scale = sd[c], .zero_point = 0};
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t k = (o * channels + c) * inner + i;
                qd[k] = (int8_t)ol_quantize_value(element(x, k), p, -127, 127);
            }
    }
    return OL_OK;
}

ol_status qz_bias_int32(const ol_tensor *b, float input_scale, const ol_tensor *weight_scale,
                        ol_tensor **q, ol_tensor **scale, size_t *clamped, ol_error *err)
{
    *q = *scale = NULL;
    int64_t n = ol_tensor_numel(b), ns = ol_tensor_numel(weight_scale);
    const void *x = b->data, *ws = weight_scale->data;
    *q = ol_tensor_create(OL_INT32, b->rank, b->dims, err);
    *scale = ol_tensor_create(OL_FLOAT, weight_scale->rank, weight_scale->dims, err);
    int32_t *qd = *q ? ol_tensor_mutable_data(*q, err) : NULL;
    float *sd = *scale ? ol_tensor_mutable_data(*scale, err) : NULL;
    if (!qd || !sd) {
        ol_tensor_destroy(*q);
        ol_tensor_destroy(*scale);
        *q = *scale = NULL;
        return err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    /* The scale is computed in float32, as the runtime computes input_scale * weight_scale. */
    for (int64_t c = 0; c < ns; c++)
        sd[c] = input_scale * element(ws, c);
    for (int64_t i = 0; i < n; i++) {
        float s = sd[ns == 1 ? 0 : i];
        double v = s > 0 ? nearbyint((double)element(x, i) / (double)s) : 0;
        if (!(v >= INT32_MIN && v <= INT32_MAX)) {
            (*clamped)++;
            v = isnan(v) ? 0 : (v < 0 ? INT32_MIN : INT32_MAX);
        }
        qd[i] = (int32_t)v;
    }
    return OL_OK;
}

ol_status qz_constant_activation(const ol_tensor *c, const qz_options *options, ol_tensor **q,
                                 ol_qparams *params, ol_error *err)
{
    int64_t n = ol_tensor_numel(c);
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = element(c->data, i);
        if (isfinite(v)) {
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    }
    *params = ol_qparams_from_range(lo, hi, options->activations, options->symmetric);
    int32_t qmin, qmax;
    ol_qrange(options->activations, false, &qmin, &qmax);
    *q = ol_tensor_create(options->activations, c->rank, c->dims, err);
    void *qd = *q ? ol_tensor_mutable_data(*q, err) : NULL;
    if (!qd) {
        ol_tensor_destroy(*q);
        *q = NULL;
        return err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t v = ol_quantize_value(element(c->data, i), *params, qmin, qmax);
        if (options->activations == OL_UINT8)
            ((uint8_t *)qd)[i] = (uint8_t)v;
        else
            ((int8_t *)qd)[i] = (int8_t)v;
    }
    return OL_OK;
}
