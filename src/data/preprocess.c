/* The preprocessing text form and the per-pixel normalization. */
#include "data/preprocess.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const KEYS = "resize, crop, scale, mean, std, layout, channels";

/* A positive integer filling exactly [s, end). */
static bool parse_int(const char *s, const char *end, int64_t *out)
{
    if (s == end || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *stop;
    long long v = strtoll(s, &stop, 10);
    if (errno || stop != end || v <= 0 || v > (1ll << 31))
        return false;
    *out = v;
    return true;
}

static bool parse_float(const char *s, const char *end, float *out)
{
    if (s == end)
        return false;
    errno = 0;
    char *stop;
    double v = strtod(s, &stop);
    if (errno || stop != end || !isfinite(v))
        return false;
    *out = (float)v;
    return true;
}

/* "a:b:c" into up to OL_PREPROCESS_MAX_CHANNELS floats. */
static bool parse_floats(const char *s, const char *end, float *out, int *n)
{
    *n = 0;
    while (true) {
        const char *colon = memchr(s, ':', (size_t)(end - s));
        const char *stop = colon ? colon : end;
        if (*n == OL_PREPROCESS_MAX_CHANNELS || !parse_float(s, stop, &out[*n]))
            return false;
        (*n)++;
        if (!colon)
            return true;
        s = colon + 1;
    }
}

static bool is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

static ol_status parse_item(const char *item, size_t len, ol_preprocess *pp, ol_error *err)
{
    const char *eq = memchr(item, '=', len), *end = item + len;
    if (!eq)
        return ol_fail(err, OL_ERR_ARG, "preprocess: '%.*s' is not KEY=VALUE (keys: %s)", (int)len, item, KEYS);
    size_t klen = (size_t)(eq - item);
    const char *v = eq + 1;
    size_t vlen = (size_t)(end - v);
    bool ok;
    if (is(item, klen, "resize")) {
        ok = parse_int(v, end, &pp->resize);
    } else if (is(item, klen, "crop")) {
        const char *x = memchr(v, 'x', vlen);
        ok = x ? parse_int(v, x, &pp->crop_h) && parse_int(x + 1, end, &pp->crop_w)
               : parse_int(v, end, &pp->crop_h);
        if (ok && !x)
            pp->crop_w = pp->crop_h;
    } else if (is(item, klen, "scale")) {
        ok = parse_float(v, end, &pp->scale) && pp->scale != 0;
    } else if (is(item, klen, "mean")) {
        ok = parse_floats(v, end, pp->mean, &pp->n_mean);
    } else if (is(item, klen, "std")) {
        ok = parse_floats(v, end, pp->std, &pp->n_std);
        for (int i = 0; ok && i < pp->n_std; i++)
            ok = pp->std[i] != 0;
    } else if (is(item, klen, "layout")) {
        ok = is(v, vlen, "nchw") || is(v, vlen, "nhwc");
        pp->layout = is(v, vlen, "nhwc") ? OL_LAYOUT_NHWC : OL_LAYOUT_NCHW;
    } else if (is(item, klen, "channels")) {
        ok = is(v, vlen, "rgb") || is(v, vlen, "bgr") || is(v, vlen, "gray");
        pp->channels = is(v, vlen, "bgr") ? OL_CHANNELS_BGR : is(v, vlen, "gray") ? OL_CHANNELS_GRAY
                                                                                  : OL_CHANNELS_RGB;
    } else {
        return ol_fail(err, OL_ERR_ARG, "preprocess: unknown key '%.*s' (keys: %s)", (int)klen, item, KEYS);
    }
    if (!ok) {
        const char *want = is(item, klen, "resize") ? "a positive integer"
                         : is(item, klen, "crop") ? "SIZE or HEIGHTxWIDTH, positive integers"
                         : is(item, klen, "scale") ? "a non-zero number"
                         : is(item, klen, "layout") ? "nchw or nhwc"
                         : is(item, klen, "channels") ? "rgb, bgr or gray"
                         : "1 to 4 numbers separated by ':'";
        return ol_fail(err, OL_ERR_ARG, "preprocess: bad value '%.*s' for '%.*s' (expected %s%s)", (int)vlen,
                       v, (int)klen, item, want, is(item, klen, "std") ? ", none zero" : "");
    }
    return OL_OK;
}

ol_status ol_preprocess_parse(const char *text, ol_preprocess *out, ol_error *err)
{
    memset(out, 0, sizeof *out);
    out->scale = 1.0f / 255.0f;
    if (!text)
        return OL_OK;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len > 0) {
            ol_status st = parse_item(p, len, out, err);
            if (st != OL_OK)
                return st;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return OL_OK;
}

static bool is_channel_count(int64_t d) { return d == 1 || d == 3 || d == 4; }

ol_status ol_preprocess_layout(const ol_preprocess *pp, const char *what, int rank, const int64_t *dims,
                               ol_pixel_layout *out, ol_error *err)
{
    memset(out, 0, sizeof *out);
    out->channels = 1;
    if (rank == 4) {
        bool last = pp->layout == OL_LAYOUT_NHWC ||
                    (pp->layout == OL_LAYOUT_AUTO && !is_channel_count(dims[1]) && is_channel_count(dims[3]));
        out->channels_last = last;
        out->channels = last ? dims[3] : dims[1];
        out->height = last ? dims[1] : dims[2];
        out->width = last ? dims[2] : dims[3];
        if (out->channels < 0)
            return ol_fail(err, OL_ERR_ARG, "%s: the channel dim (%s) is symbolic; give the data a fixed one",
                           what, last ? "NHWC dim 3" : "NCHW dim 1");
    } else if (rank == 3) {
        out->height = dims[1];
        out->width = dims[2];
    } else if (pp->layout != OL_LAYOUT_AUTO) {
        return ol_fail(err, OL_ERR_ARG, "%s: layout=%s needs a rank-4 input, this one has rank %d", what,
                       pp->layout == OL_LAYOUT_NHWC ? "nhwc" : "nchw", rank);
    }
    for (int k = 0; k < 2; k++) {
        int n = k ? pp->n_std : pp->n_mean;
        if (n > 1 && n != out->channels)
            return ol_fail(err, OL_ERR_ARG, "%s: preprocess gives %d %s values for %lld channel(s)", what, n,
                           k ? "std" : "mean", (long long)out->channels);
    }
    return OL_OK;
}

bool ol_preprocess_dtype_ok(ol_dtype dtype)
{
    return dtype == OL_FLOAT || dtype == OL_DOUBLE || dtype == OL_FLOAT16;
}

void ol_preprocess_normalize(const ol_preprocess *pp, const uint8_t *src, size_t n, int64_t channels,
                             int64_t inner, ol_dtype dtype, void *dst)
{
    /* A table per channel of the 256 possible results, computed in the documented order. */
    bool per_channel = pp->n_mean > 1 || pp->n_std > 1;
    size_t nc = per_channel && channels > 1 ? (size_t)channels : 1;
    if (nc > OL_PREPROCESS_MAX_CHANNELS)
        nc = 1;   /* ol_preprocess_layout refused per-channel values for such inputs */
    float table[OL_PREPROCESS_MAX_CHANNELS][256];
    /* A scale of 1/k for an integer k (1/255, the default) divides by k, as torchvision's ToTensor
     * and numpy's x / 255 do: multiplying by the rounded reciprocal differs in the last bit. */
    double k = 1.0 / (double)pp->scale;
    bool divide = fabs(k - nearbyint(k)) < 1e-4 * fabs(k) && nearbyint(k) != 0;
    for (size_t c = 0; c < nc; c++) {
        float mean = pp->n_mean == 0 ? 0.0f : pp->mean[pp->n_mean == 1 ? 0 : c];
        float sd = pp->n_std == 0 ? 1.0f : pp->std[pp->n_std == 1 ? 0 : c];
        for (int x = 0; x < 256; x++) {
            float v = divide ? (float)x / (float)nearbyint(k) : (float)x * pp->scale;
            table[c][x] = (v - mean) / sd;
        }
    }
    size_t block = (size_t)(inner < 1 ? 1 : inner);
    for (size_t i = 0; i < n; i++) {
        float v = table[nc == 1 ? 0 : (i / block) % nc][src[i]];
        if (dtype == OL_FLOAT)
            ((float *)dst)[i] = v;
        else if (dtype == OL_DOUBLE)
            ((double *)dst)[i] = v;
        else
            ((uint16_t *)dst)[i] = ol_float_to_half(v);
    }
}
