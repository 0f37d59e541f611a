/* Channel conversion, resizing and center crop of 8-bit images, following PIL (Pillow's
 * libImaging/Resample.c and Convert.c) and torchvision's Resize/CenterCrop so that a model sees the
 * same pixels it was trained on. The resampler is PIL's: a triangle filter whose support widens with
 * the downscaling factor (antialiasing), a horizontal then a vertical pass, each rounding to 8 bits,
 * with weights in 22-bit fixed point. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"

#define PRECISION_BITS (32 - 8 - 2)

ol_status ol_image_convert(ol_image *image, int channels, ol_error *err)
{
    if (image->channels == channels)
        return OL_OK;
    size_t n = (size_t)(image->height * image->width);
    uint8_t *out = malloc(n * (size_t)channels);
    if (!out)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory converting an image");
    const uint8_t *in = image->pixels;
    for (size_t i = 0; i < n; i++) {
        if (channels == 3) {
            out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = in[i];
        } else {   /* PIL's L24: L = R * 299/1000 + G * 587/1000 + B * 114/1000, in 16-bit fixed point */
            uint32_t r = in[3 * i], g = in[3 * i + 1], b = in[3 * i + 2];
            out[i] = (uint8_t)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
        }
    }
    free(image->pixels);
    image->pixels = out;
    image->channels = channels;
    return OL_OK;
}

static double triangle(double x)
{
    x = x < 0 ? -x : x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* PIL's precompute_coeffs + normalize_coeffs_8bpc: for each output index, the first input index,
 * how many follow, and their fixed-point weights (ksize per output). */
typedef struct coeffs {
    int ksize;
    int *bounds;   /* [2 * out]: first, count */
    int *k;        /* [out * ksize] */
} coeffs;

static bool coeffs_make(int64_t in_size, int64_t out_size, coeffs *c)
{
    double scale = (double)in_size / (double)out_size, filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->bounds = malloc((size_t)out_size * 2 * sizeof *c->bounds);
    c->k = calloc((size_t)out_size * (size_t)c->ksize, sizeof *c->k);
    double *pre = malloc((size_t)c->ksize * sizeof *pre);
    if (!c->bounds || !c->k || !pre) {
        free(pre);
        return false;
    }
    for (int64_t xx = 0; xx < out_size; xx++) {
        double center = ((double)xx + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0)
            xmin = 0;
        if (xmax > in_size)
            xmax = (int)in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            pre[x] = triangle(((double)x + xmin - center + 0.5) * ss);
            ww += pre[x];
        }
        int *k = c->k + xx * c->ksize;
        for (int x = 0; x < xmax; x++) {
            double w = ww != 0.0 ? pre[x] / ww : pre[x];
            k[x] = w < 0 ? (int)(-0.5 + w * (1 << PRECISION_BITS)) : (int)(0.5 + w * (1 << PRECISION_BITS));
        }
        c->bounds[2 * xx] = xmin;
        c->bounds[2 * xx + 1] = xmax;
    }
    free(pre);
    return true;
}

static void coeffs_free(coeffs *c)
{
    free(c->bounds);
    free(c->k);
}

static uint8_t clip8(int v)
{
    if (v >= (1 << PRECISION_BITS << 8))
        return 255;
    if (v <= 0)
        return 0;
    return (uint8_t)(v >> PRECISION_BITS);
}

/* One pass along x (stride_along = channels, lines are rows) or along y (stride_along = row
 * bytes, lines are columns), from `in` (length in_len along the axis) to `out` (c->bounds' length). */
static void resample(const uint8_t *in, uint8_t *out, int64_t n_lines, int64_t out_len, int channels,
                     int64_t in_line_step, int64_t in_step, int64_t out_line_step, int64_t out_step,
                     const coeffs *c)
{
    for (int64_t line = 0; line < n_lines; line++)
        for (int64_t o = 0; o < out_len; o++) {
            const int *k = c->k + o * c->ksize;
            int first = c->bounds[2 * o], count = c->bounds[2 * o + 1];
            for (int ch = 0; ch < channels; ch++) {
                int acc = 1 << (PRECISION_BITS - 1);
                const uint8_t *p = in + line * in_line_step + (int64_t)first * in_step + ch;
                for (int i = 0; i < count; i++)
                    acc += p[(int64_t)i * in_step] * k[i];
                out[line * out_line_step + o * out_step + ch] = clip8(acc);
            }
        }
}

ol_status ol_image_resize(ol_image *image, int64_t height, int64_t width, ol_error *err)
{
    if (height < 1 || width < 1)
        return ol_fail(err, OL_ERR_ARG, "cannot resize a %lldx%lld image to %lldx%lld", (long long)image->width,
                       (long long)image->height, (long long)width, (long long)height);
    if (height == image->height && width == image->width)
        return OL_OK;
    int ch = image->channels;
    coeffs cx = {0}, cy = {0};
    uint8_t *tmp = NULL, *out = NULL;
    bool ok = coeffs_make(image->width, width, &cx) && coeffs_make(image->height, height, &cy);
    const uint8_t *src = image->pixels;
    int64_t src_w = image->width;
    /* Horizontal pass first (only when the width changes), then vertical, as PIL. */
    if (ok && width != image->width) {
        ok = (tmp = malloc((size_t)(image->height * width * ch))) != NULL;
        if (ok)
            resample(src, tmp, image->height, width, ch, src_w * ch, ch, width * ch, ch, &cx);
        src = tmp;
        src_w = width;
    }
    if (ok && height != image->height) {
        ok = (out = malloc((size_t)(height * width * ch))) != NULL;
        if (ok)
            resample(src, out, width, height, ch, ch, src_w * ch, ch, width * ch, &cy);
    } else if (ok) {
        out = tmp;
        tmp = NULL;
    }
    coeffs_free(&cx);
    coeffs_free(&cy);
    free(tmp);
    if (!ok)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory resizing an image to %lldx%lld", (long long)width,
                       (long long)height);
    free(image->pixels);
    image->pixels = out;
    image->height = height;
    image->width = width;
    return OL_OK;
}

ol_status ol_image_resize_shorter(ol_image *image, int64_t shorter, ol_error *err)
{
    int64_t h = image->height, w = image->width;
    if (h <= w)
        return ol_image_resize(image, shorter, (int64_t)((double)shorter * (double)w / (double)h), err);
    return ol_image_resize(image, (int64_t)((double)shorter * (double)h / (double)w), shorter, err);
}

ol_status ol_image_center_crop(ol_image *image, int64_t height, int64_t width, ol_error *err)
{
    if (height > image->height || width > image->width)
        return ol_fail(err, OL_ERR_ARG, "crop %lldx%lld is larger than the %lldx%lld image", (long long)width,
                       (long long)height, (long long)image->width, (long long)image->height);
    if (height == image->height && width == image->width)
        return OL_OK;
    /* torchvision: int(round((size - crop) / 2.0)); Python rounds half to even, as rint does. */
    int64_t top = (int64_t)rint((double)(image->height - height) / 2.0);
    int64_t left = (int64_t)rint((double)(image->width - width) / 2.0);
    size_t row = (size_t)(width * image->channels);
    uint8_t *out = malloc((size_t)height * row);
    if (!out)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory cropping an image");
    for (int64_t y = 0; y < height; y++)
        memcpy(out + (size_t)y * row, image->pixels + ((top + y) * image->width + left) * image->channels, row);
    free(image->pixels);
    image->pixels = out;
    image->height = height;
    image->width = width;
    return OL_OK;
}
