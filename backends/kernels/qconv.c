#include "kernels/qconv.h"

#include <string.h>

#include "kernels/parallel.h"
#include "kernels/qgemm.h"

#define ALIGN 64

static int64_t product(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= v[i];
    return p;
}

static int64_t ceil_div_pos(int64_t a, int64_t b)
{
    return a <= 0 ? 0 : (a + b - 1) / b;
}

static bool is_pointwise(const ol_window *win)
{
    for (int d = 0; d < win->spatial; d++)
        if (win->kernel[d] != 1 || win->stride[d] != 1 || win->pad_begin[d] != 0 || win->pad_end[d] != 0)
            return false;
    return true;
}

/* Rows (c, kh, kw) of a 2-D im2col; each output row is a padded head, a copied or strided middle
 * and a padded tail. */
static void im2col_2d(const uint8_t *x, int64_t channels, const int64_t *in, const ol_window *w,
                      const int64_t *out, uint8_t pad, uint8_t *col, int threads)
{
    int64_t H = in[0], W = in[1], OH = out[0], OW = out[1], KH = w->kernel[0], KW = w->kernel[1];
    int64_t sh = w->stride[0], sw = w->stride[1], dh = w->dilation[0], dw = w->dilation[1];
    int64_t ph = w->pad_begin[0], pw = w->pad_begin[1];
    int64_t rows = channels * KH * KW;
    int nt = ol_kernel_threads(threads);
#pragma omp parallel for num_threads(nt) if (nt > 1 && rows * OH * OW >= 65536) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        int64_t c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;
        uint8_t *row = col + r * OH * OW;
        int64_t iw0 = kw * dw - pw;   /* input column of ow = 0 */
        int64_t lo = iw0 >= 0 ? 0 : ceil_div_pos(-iw0, sw);
        int64_t hi = ceil_div_pos(W - iw0, sw);
        hi = hi > OW ? OW : hi;
        lo = lo > hi ? hi : lo;
        for (int64_t oh = 0; oh < OH; oh++) {
            uint8_t *o = row + oh * OW;
            int64_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) {
                memset(o, pad, (size_t)OW);
                continue;
            }
            const uint8_t *xr = x + (c * H + ih) * W;
            memset(o, pad, (size_t)lo);
            if (sw == 1)
                memcpy(o + lo, xr + lo + iw0, (size_t)(hi - lo));
            else
                for (int64_t ow = lo; ow < hi; ow++)
                    o[ow] = xr[ow * sw + iw0];
            memset(o + hi, pad, (size_t)(OW - hi));
        }
    }
}

/* Any number of spatial axes: rows (c, k...), columns (o...) walked with an odometer. */
static void im2col_nd(const uint8_t *x, int64_t channels, const int64_t *in, const ol_window *w,
                      const int64_t *out, uint8_t pad, uint8_t *col, int threads)
{
    int S = w->spatial;
    int64_t kprod = product(w->kernel, S), oprod = product(out, S), iprod = product(in, S);
    int nt = ol_kernel_threads(threads);
#pragma omp parallel for num_threads(nt) if (nt > 1 && channels * kprod * oprod >= 65536) schedule(static)
    for (int64_t r = 0; r < channels * kprod; r++) {
        const uint8_t *xc = x + (r / kprod) * iprod;
        int64_t base[OL_WINDOW_MAX_SPATIAL], pos[OL_WINDOW_MAX_SPATIAL], k = r % kprod;
        for (int d = S - 1; d >= 0; d--) {
            base[d] = (k % w->kernel[d]) * w->dilation[d] - w->pad_begin[d];
            k /= w->kernel[d];
            pos[d] = 0;
        }
        uint8_t *o = col + r * oprod;
        for (int64_t j = 0; j < oprod; j++) {
            int64_t off = 0;
            bool inside = true;
            for (int d = 0; d < S && inside; d++) {
                int64_t ip = pos[d] * w->stride[d] + base[d];
                inside = ip >= 0 && ip < in[d];
                off = off * in[d] + ip;
            }
            o[j] = inside ? xc[off] : pad;
            for (int d = S - 1; d >= 0 && ++pos[d] == out[d]; d--)
                pos[d] = 0;
        }
    }
}

void ol_im2col_u8(const uint8_t *x, int64_t channels, const int64_t *in, const ol_window *win,
                  const int64_t *out, uint8_t pad, uint8_t *col, int threads)
{
    if (win->spatial == 2) {
        im2col_2d(x, channels, in, win, out, pad, col, threads);
    } else if (win->spatial == 1) {
        /* A 1-D window is a 2-D one of height 1. */
        ol_window w2 = {.spatial = 2};
        w2.kernel[0] = w2.stride[0] = w2.dilation[0] = 1;
        w2.kernel[1] = win->kernel[0], w2.stride[1] = win->stride[0], w2.dilation[1] = win->dilation[0];
        w2.pad_begin[1] = win->pad_begin[0], w2.pad_end[1] = win->pad_end[0];
        int64_t in2[2] = {1, in[0]}, out2[2] = {1, out[0]};
        im2col_2d(x, channels, in2, &w2, out2, pad, col, threads);
    } else {
        im2col_nd(x, channels, in, win, out, pad, col, threads);
    }
}

/* ---- the convolution ---- */

typedef struct conv_shape {
    int64_t batch, channels, out_channels, group, ch_per_group, out_per_group;
    int64_t k;            /* GEMM depth: (C / group) * prod(kernel) */
    int64_t in_size;      /* prod(in spatial) */
    int64_t out_size;     /* prod(out spatial) */
    bool pointwise;
} conv_shape;

static conv_shape shape_of(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                           const ol_ktensor *y)
{
    int S = p->win.spatial;
    conv_shape s = {.batch = x->dims[0], .channels = x->dims[1], .out_channels = w->dims[0], .group = p->group};
    s.ch_per_group = s.channels / s.group;
    s.out_per_group = s.out_channels / s.group;
    s.k = s.ch_per_group * product(p->win.kernel, S);
    s.in_size = product(x->dims + 2, S);
    s.out_size = product(y->dims + 2, S);
    s.pointwise = is_pointwise(&p->win);
    return s;
}

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

size_t ol_qconv_scratch_bytes(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                              const ol_ktensor *y, bool requantize)
{
    conv_shape s = shape_of(p, x, w, y);
    if (ol_qconv_is_depthwise(p, x, w)) {
        size_t planes = requantize ? (size_t)ol_kernel_threads(p->threads) * (size_t)s.out_size : 0;
        return ((size_t)ol_qconv_depthwise_weight_slots(s.k * s.channels) + planes) * sizeof(int32_t);
    }
    size_t col = s.pointwise ? 0 : round_up((size_t)(s.k * s.out_size));
    size_t acc = requantize ? round_up((size_t)(s.out_per_group * s.out_size) * sizeof(int32_t)) : 0;
    return col + acc + ol_qgemm_workspace_bytes(s.out_per_group, s.out_size, s.k, p->threads) + ALIGN;
}

static void run(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_requant_params *rq,
                ol_ktensor *y, void *scratch)
{
    if (ol_qconv_is_depthwise(p, x, w)) {
        ol_qconv_depthwise(p, x, w, rq, y, scratch);
        return;
    }
    conv_shape s = shape_of(p, x, w, y);
    char *base = (char *)(((uintptr_t)scratch + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
    uint8_t *col = (uint8_t *)base;
    int32_t *acc = (int32_t *)(base + (s.pointwise ? 0 : round_up((size_t)(s.k * s.out_size))));
    void *workspace = rq ? (char *)acc + round_up((size_t)(s.out_per_group * s.out_size) * sizeof(int32_t))
                         : (void *)acc;
    bool per_channel = p->w_zero_points && p->n_w_zero_points > 1;
    for (int64_t n = 0; n < s.batch; n++)
        for (int64_t g = 0; g < s.group; g++) {
            const uint8_t *xg = (const uint8_t *)x->data + (n * s.channels + g * s.ch_per_group) * s.in_size;
            ol_qgemm_operand b = {.data = xg, .is_signed = x->dtype == OL_INT8, .ld = s.out_size,
                                  .zero_points = &p->x_zero_point, .n_zero_points = 1};
            if (!s.pointwise) {
                ol_im2col_u8(xg, s.ch_per_group, x->dims + 2, &p->win, y->dims + 2, (uint8_t)p->x_zero_point,
                             col, p->threads);
                b.data = col;
            }
            ol_qgemm_operand a = {.data = (const uint8_t *)w->data + g * s.out_per_group * s.k,
                                  .is_signed = w->dtype == OL_INT8, .ld = s.k,
                                  .zero_points = p->w_zero_points ? p->w_zero_points + (per_channel ? g * s.out_per_group : 0)
                                                                  : NULL,
                                  .n_zero_points = per_channel ? s.out_per_group : 1};
            int64_t first_out = (n * s.out_channels + g * s.out_per_group) * s.out_size;
            if (!rq) {
                ol_qgemm(s.out_per_group, s.out_size, s.k, &a, &b, (int32_t *)y->data + first_out, s.out_size,
                         p->threads, workspace);
                continue;
            }
            ol_qgemm(s.out_per_group, s.out_size, s.k, &a, &b, acc, s.out_size, p->threads, workspace);
            /* This group's output channels are rows g * out_per_group onwards of the per-channel
             * parameters. */
            ol_requant_params group_rq = *rq;
            int64_t first_channel = g * s.out_per_group;
            if (rq->n_row_scale > 1)
                group_rq.row_scale = rq->row_scale + first_channel;
            if (rq->row_bias)
                group_rq.row_bias = rq->row_bias + first_channel;
            ol_requantize(acc, s.out_per_group, s.out_size, s.out_size, (uint8_t *)y->data + first_out,
                          s.out_size, &group_rq);
        }
}

void ol_conv_integer(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w, ol_ktensor *y,
                     void *scratch)
{
    run(p, x, w, NULL, y, scratch);
}

void ol_qlinear_conv(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                     const ol_requant_params *rq, ol_ktensor *y, void *scratch)
{
    run(p, x, w, rq, y, scratch);
}
