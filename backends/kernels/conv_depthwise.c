/* Depthwise convolution (one filter per channel), float32, direct: GEMM would see a 1-row matrix per
 * channel. Planes are independent, so they are spread over OpenMP threads. Within a plane the
 * interior columns run without bounds checks over contiguous (stride 1) or evenly strided loads. */
#include <stddef.h>

#include "kernels/conv.h"
#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"

/* One output value of a 3x3 filter with every tap bounds-checked (edge columns). */
static float tap3x3_checked(const float *const rows[3], const float *wk, int64_t iw, int64_t W, float acc)
{
    for (int kh = 0; kh < 3; kh++)
        for (int kw = 0; kw < 3; kw++)
            if (iw + kw >= 0 && iw + kw < W)
                acc += wk[kh * 3 + kw] * rows[kh][iw + kw];
    return acc;
}

/* 3x3, dilation 1, stride 1 or 2 (the MobileNet/ShuffleNet/EfficientNet shapes): all nine taps are
 * summed in registers, so each output is stored once. Rows outside the input read `zeros`. */
OL_CPU_CLONES
static void plane_3x3(const float *x, int64_t H, int64_t W, const float *wk, float bias, float *y, int64_t OH,
                      int64_t OW, int64_t stride, int64_t pad_top, int64_t pad_left, const float *zeros)
{
    /* Interior: input columns ow*stride - pad_left + {0,1,2} all inside [0, W). */
    int64_t lo, hi, lo_last, hi_last;
    ol_window_inside(-pad_left, stride, W, OW, &lo, &hi);
    ol_window_inside(2 - pad_left, stride, W, OW, &lo_last, &hi_last);
    if (hi > hi_last)
        hi = hi_last;
    if (lo > hi)
        lo = hi;
    const float w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3], w4 = wk[4], w5 = wk[5], w6 = wk[6],
                w7 = wk[7], w8 = wk[8];
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *rows[3];
        for (int kh = 0; kh < 3; kh++) {
            int64_t ih = oh * stride - pad_top + kh;
            rows[kh] = ih >= 0 && ih < H ? x + ih * W : zeros;
        }
        const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
        float *yr = y + oh * OW;
        for (int64_t ow = 0; ow < lo; ow++)
            yr[ow] = tap3x3_checked(rows, wk, ow * stride - pad_left, W, bias);
        if (stride == 1) {
#pragma omp simd
            for (int64_t ow = lo; ow < hi; ow++) {
                int64_t i = ow - pad_left;
                yr[ow] = bias + w0 * r0[i] + w1 * r0[i + 1] + w2 * r0[i + 2] + w3 * r1[i] + w4 * r1[i + 1] +
                         w5 * r1[i + 2] + w6 * r2[i] + w7 * r2[i + 1] + w8 * r2[i + 2];
            }
        } else {
#pragma omp simd
            for (int64_t ow = lo; ow < hi; ow++) {
                int64_t i = ow * 2 - pad_left;
                yr[ow] = bias + w0 * r0[i] + w1 * r0[i + 1] + w2 * r0[i + 2] + w3 * r1[i] + w4 * r1[i + 1] +
                         w5 * r1[i + 2] + w6 * r2[i] + w7 * r2[i + 1] + w8 * r2[i + 2];
            }
        }
        for (int64_t ow = hi; ow < OW; ow++)
            yr[ow] = tap3x3_checked(rows, wk, ow * stride - pad_left, W, bias);
    }
}

/* Any kernel, stride and dilation: each in-range tap adds its weight times a row of inputs onto the
 * output row, over the columns where that tap is inside the input. */
OL_CPU_CLONES
static void plane_generic(const float *x, int64_t H, int64_t W, const float *wk, float bias, float *y,
                          int64_t OH, int64_t OW, const ol_window *win)
{
    int64_t KW = win->kernel[1], sh = win->stride[0], sw = win->stride[1];
    int64_t dh = win->dilation[0], dw = win->dilation[1];
    for (int64_t oh = 0; oh < OH; oh++) {
        float *yr = y + oh * OW;
        for (int64_t ow = 0; ow < OW; ow++)
            yr[ow] = bias;
        int64_t kh_begin, kh_end;
        ol_window_taps(win, 0, oh, 0, H, &kh_begin, &kh_end);
        for (int64_t kh = kh_begin; kh < kh_end; kh++) {
            const float *xr = x + (oh * sh - win->pad_begin[0] + kh * dh) * W;
            for (int64_t kw = 0; kw < KW; kw++) {
                float wv = wk[kh * KW + kw];
                int64_t offset = kw * dw - win->pad_begin[1], lo, hi;
                ol_window_inside(offset, sw, W, OW, &lo, &hi);
                if (sw == 1) {
#pragma omp simd
                    for (int64_t ow = lo; ow < hi; ow++)
                        yr[ow] += wv * xr[ow + offset];
                } else {
#pragma omp simd
                    for (int64_t ow = lo; ow < hi; ow++)
                        yr[ow] += wv * xr[ow * sw + offset];
                }
            }
        }
    }
}

void ol_conv_depthwise_f32(const ol_conv_params *p, const float *x, const int64_t *x_dims, const float *w,
                           const float *bias, float *y, const int64_t *y_dims, const float *zeros)
{
    const ol_window *win = &p->win;
    int64_t N = x_dims[0], C = x_dims[1], H = x_dims[2], W = x_dims[3], OH = y_dims[2], OW = y_dims[3];
    int64_t KH = win->kernel[0], KW = win->kernel[1];
    bool is_3x3 = KH == 3 && KW == 3 && win->dilation[0] == 1 && win->dilation[1] == 1 &&
                  win->stride[0] == win->stride[1] && (win->stride[0] == 1 || win->stride[0] == 2);
    int threads = ol_kernel_threads(p->threads);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t plane = 0; plane < N * C; plane++) {
        int64_t c = plane % C;
        const float *xp = x + plane * H * W, *wk = w + c * KH * KW;
        float *yp = y + plane * OH * OW, b = bias ? bias[c] : 0.0f;
        if (is_3x3)
            plane_3x3(xp, H, W, wk, b, yp, OH, OW, win->stride[0], win->pad_begin[0], win->pad_begin[1], zeros);
        else
            plane_generic(xp, H, W, wk, b, yp, OH, OW, win);
    }
}
