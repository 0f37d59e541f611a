/* Depthwise convolution (one filter per channel), float32, direct: GEMM would see a 1-row matrix per
 * channel. Planes are independent, so they are spread over OpenMP threads. Within a plane the
 * interior columns run without bounds checks over contiguous (stride 1) or evenly strided loads. */
#include <stddef.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"

/* One output value of a 3x3 filter with every tap bounds-checked (edge columns). Inlined so it is
 * compiled for the caller's instruction set: a call from an AVX clone into SSE code cost a 4x
 * slowdown (AVX/SSE transitions). */
static inline __attribute__((always_inline)) float tap3x3_checked(const float *const rows[3], const float *wk,
                                                                  int64_t iw, int64_t W, float acc)
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

/* Where the phase decomposition puts a tap: phase plane and flat offset within it. */
typedef struct phased_geometry {
    int64_t sh, sw, Hq, Wq;      /* strides; rows and columns of each phase plane */
} phased_geometry;

static phased_geometry phased(const ol_window *win, const int64_t *out)
{
    phased_geometry g = {.sh = win->stride[0], .sw = win->stride[1]};
    int64_t reach_h = (win->kernel[0] - 1) * win->dilation[0] / g.sh;
    int64_t reach_w = (win->kernel[1] - 1) * win->dilation[1] / g.sw;
    g.Wq = out[1] + reach_w;
    g.Hq = out[0] + reach_h + 1;   /* one spare row: the extended columns of the last rows read past */
    return g;
}

/* Floats of one thread's workspace for the phased path: the phase planes and the accumulator. */
static int64_t phased_floats(const ol_window *win, const int64_t *out)
{
    phased_geometry g = phased(win, out);
    return g.sh * g.sw * g.Hq * g.Wq + out[0] * g.Wq;
}

/* Where tap t = (kh, kw) reads in the workspace: its phase plane plus the row/column shift. */
static void phased_tap_offsets(const ol_window *win, const int64_t *out, int64_t *offset)
{
    phased_geometry g = phased(win, out);
    for (int64_t kh = 0; kh < win->kernel[0]; kh++)
        for (int64_t kw = 0; kw < win->kernel[1]; kw++) {
            int64_t rh = kh * win->dilation[0], rw = kw * win->dilation[1];
            offset[kh * win->kernel[1] + kw] =
                ((rh % g.sh) * g.sw + rw % g.sw) * g.Hq * g.Wq + (rh / g.sh) * g.Wq + rw / g.sw;
        }
}

/* Any kernel, stride and dilation. The zero-padded plane is split into stride x stride phase planes
 * (phase (a, b) holds padded rows a, a+sh, ... and columns b, b+sw, ...), which turns every tap into
 * a contiguous read: with the output computed on an extended grid as wide as a phase plane, tap
 * (kh, kw) adds w * phase[j + offset] to acc[j] for every flat position j at once, one long
 * vectorized loop per tap however small the image. The extra columns are dropped at the end. */
OL_CPU_CLONES
static void plane_phased(const float *x, int64_t H, int64_t W, const float *wk, float bias, float *y,
                         int64_t OH, int64_t OW, const ol_window *win, const int64_t *tap_offset, float *work)
{
    int64_t out[2] = {OH, OW};
    phased_geometry g = phased(win, out);
    int64_t plane = g.Hq * g.Wq, n = OH * g.Wq, Wq = g.Wq;
    float *acc = work + g.sh * g.sw * plane;
    /* The phase planes' padding was zeroed once for all planes (ol_conv_depthwise_f32): only the
     * cells that hold input are written here. */
    for (int64_t a = 0; a < g.sh; a++)
        for (int64_t b = 0; b < g.sw; b++) {
            float *q = work + (a * g.sw + b) * plane;
            int64_t lo, hi, r_lo, r_hi, shift = b - win->pad_begin[1], sw = g.sw;
            ol_window_inside(shift, sw, W, Wq, &lo, &hi);
            ol_window_inside(a - win->pad_begin[0], g.sh, H, g.Hq, &r_lo, &r_hi);
            for (int64_t r = r_lo; r < r_hi; r++) {
                float *qr = q + r * Wq;
                const float *xr = x + (r * g.sh + a - win->pad_begin[0]) * W;
                if (sw == 1) {
#pragma omp simd
                    for (int64_t c = lo; c < hi; c++)
                        qr[c] = xr[c + shift];
                } else if (sw == 2) {
#pragma omp simd
                    for (int64_t c = lo; c < hi; c++)
                        qr[c] = xr[2 * c + shift];
                } else {
#pragma omp simd
                    for (int64_t c = lo; c < hi; c++)
                        qr[c] = xr[c * sw + shift];
                }
            }
        }
    /* Taps in groups of up to nine per pass over acc (a whole 3x3 filter in one): each output is
     * loaded and stored once per group. */
    enum { GROUP = 9 };
    int64_t taps = win->kernel[0] * win->kernel[1];
    for (int64_t t0 = 0; t0 < taps; t0 += GROUP) {
        const float *s[GROUP];
        float wv[GROUP];
        for (int i = 0; i < GROUP; i++) {
            /* Unused slots repeat tap t0 with weight 0, so every pass has the same shape. */
            bool used = t0 + i < taps;
            s[i] = work + tap_offset[used ? t0 + i : t0];
            wv[i] = used ? wk[t0 + i] : 0.0f;
        }
        const float *s0 = s[0], *s1 = s[1], *s2 = s[2], *s3 = s[3], *s4 = s[4], *s5 = s[5], *s6 = s[6];
        const float *s7 = s[7], *s8 = s[8];
        float w0 = wv[0], w1 = wv[1], w2 = wv[2], w3 = wv[3], w4 = wv[4], w5 = wv[5], w6 = wv[6], w7 = wv[7];
        float w8 = wv[8], start = t0 == 0 ? bias : 0.0f;
        bool first = t0 == 0;
#pragma omp simd
        for (int64_t j = 0; j < n; j++)
            acc[j] = (first ? start : acc[j]) + w0 * s0[j] + w1 * s1[j] + w2 * s2[j] + w3 * s3[j] + w4 * s4[j] +
                     w5 * s5[j] + w6 * s6[j] + w7 * s7[j] + w8 * s8[j];
    }
    for (int64_t oh = 0; oh < OH; oh++) {
        float *yr = y + oh * OW;
        const float *ar = acc + oh * Wq;
#pragma omp simd
        for (int64_t ow = 0; ow < OW; ow++)
            yr[ow] = ar[ow];
    }
}

/* The register-blocked 3x3 path wins at stride 2 (the phase split costs a pass of strided reads)
 * and on wide rows; the phased path wins on narrower maps, where its one flat loop per tap group
 * beats per-row loops with scalar edges. Measured on MobileNet/EfficientNet shapes. */
static bool use_3x3(const ol_window *win, int64_t OW)
{
    bool is_3x3 = win->kernel[0] == 3 && win->kernel[1] == 3 && win->dilation[0] == 1 && win->dilation[1] == 1 &&
                  win->stride[0] == win->stride[1];
    return is_3x3 && ((win->stride[0] == 2 && OW >= 16) || (win->stride[0] == 1 && OW >= 64));
}

size_t ol_conv_depthwise_scratch_bytes(const ol_conv_params *p, const int64_t *in, const int64_t *out)
{
    ol_window w2;
    int64_t in2[2], out2[2];
    ol_window_as_2d(&p->win, in, out, &w2, in2, out2);
    if (use_3x3(&w2, out2[1]))
        return (size_t)in2[1] * sizeof(float);   /* one zero row */
    /* The tap offsets, then one workspace per thread. */
    return (size_t)(w2.kernel[0] * w2.kernel[1]) * sizeof(int64_t) +
           (size_t)(ol_kernel_threads(p->threads) * phased_floats(&w2, out2)) * sizeof(float);
}

void ol_conv_depthwise_f32(const ol_conv_params *p, const float *x, const int64_t *x_dims, const float *w,
                           const float *bias, const float *sum, float *y, const int64_t *y_dims, void *scratch)
{
    const ol_window *win = &p->win;
    int64_t N = x_dims[0], C = x_dims[1], H = x_dims[2], W = x_dims[3], OH = y_dims[2], OW = y_dims[3];
    int64_t KH = win->kernel[0], KW = win->kernel[1];
    bool is_3x3 = use_3x3(win, OW);
    int64_t per_thread = is_3x3 ? 0 : phased_floats(win, y_dims + 2);
    float *zeros = scratch, *workspaces = (float *)((int64_t *)scratch + KH * KW);
    int64_t *tap_offset = scratch;
    if (is_3x3)
        memset(zeros, 0, (size_t)W * sizeof(float));
    else
        phased_tap_offsets(win, y_dims + 2, tap_offset);
    int threads = ol_kernel_threads(p->threads);
    bool finish = ol_conv_has_epilogue(p, sum);
    /* Each thread's phase planes start zeroed: planes only overwrite the cells that hold input. */
    if (!is_3x3)
        memset(workspaces, 0, (size_t)(threads * per_thread) * sizeof(float));
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t plane = 0; plane < N * C; plane++) {
        int64_t c = plane % C;
        const float *xp = x + plane * H * W, *wk = w + c * KH * KW;
        float *yp = y + plane * OH * OW, b = bias ? bias[c] : 0.0f;
        if (is_3x3)
            plane_3x3(xp, H, W, wk, b, yp, OH, OW, win->stride[0], win->pad_begin[0], win->pad_begin[1], zeros);
        else
            plane_phased(xp, H, W, wk, b, yp, OH, OW, win, tap_offset,
                         workspaces + omp_get_thread_num() * per_thread);
        if (finish)
            ol_conv_epilogue_f32(p, 0.0f, sum ? sum + plane * OH * OW : NULL, yp, OH * OW);
    }
}
