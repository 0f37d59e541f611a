/* Depthwise integer convolution: each (image, channel) plane accumulates its taps directly into an
 * int32 plane, row by row, so the inner loop runs over contiguous output columns. Taps in the
 * padding are skipped: they would read the zero point and contribute nothing. */
#include <omp.h>
#include <string.h>

#include "kernels/parallel.h"
#include "kernels/qconv.h"

bool ol_qconv_is_depthwise(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    return p->win.spatial <= 2 && p->group > 1 && p->group == x->dims[1] && w->dims[0] == p->group &&
           w->dims[1] == 1;
}

static int64_t ceil_div_pos(int64_t a, int64_t b)
{
    return a <= 0 ? 0 : (a + b - 1) / b;
}

/* 2-D geometry of a 1-D or 2-D window (1-D is a 2-D plane of height 1). */
typedef struct plane_geometry {
    int64_t H, W, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw;
} plane_geometry;

static plane_geometry geometry_of(const ol_window *win, const int64_t *in, const int64_t *out)
{
    if (win->spatial == 1)
        return (plane_geometry){1, in[0], 1, out[0], 1, win->kernel[0], 1, win->stride[0], 1, win->dilation[0],
                                0, win->pad_begin[0]};
    return (plane_geometry){in[0], in[1], out[0], out[1], win->kernel[0], win->kernel[1], win->stride[0],
                            win->stride[1], win->dilation[0], win->dilation[1], win->pad_begin[0], win->pad_begin[1]};
}

#define DEFINE_PLANE(T, NAME)                                                                       \
    static void NAME(const T *x, int32_t x_zp, const int32_t *taps, const plane_geometry *g, int32_t *acc) \
    {                                                                                               \
        memset(acc, 0, (size_t)(g->OH * g->OW) * sizeof *acc);                                      \
        for (int64_t oh = 0; oh < g->OH; oh++) {                                                    \
            int32_t *out = acc + oh * g->OW;                                                        \
            for (int64_t kh = 0; kh < g->KH; kh++) {                                                \
                int64_t ih = oh * g->sh - g->ph + kh * g->dh;                                       \
                if (ih < 0 || ih >= g->H)                                                           \
                    continue;                                                                       \
                const T *row = x + ih * g->W;                                                       \
                for (int64_t kw = 0; kw < g->KW; kw++) {                                            \
                    int32_t wv = taps[kh * g->KW + kw];                                             \
                    int64_t iw0 = kw * g->dw - g->pw;   /* input column of ow = 0 */                \
                    int64_t lo = iw0 >= 0 ? 0 : ceil_div_pos(-iw0, g->sw);                          \
                    int64_t hi = ceil_div_pos(g->W - iw0, g->sw);                                   \
                    hi = hi > g->OW ? g->OW : hi;                                                   \
                    if (wv == 0 || lo >= hi)                                                        \
                        continue;                                                                   \
                    /* uint32 products and sums: the ops allow wrapping accumulation */             \
                    if (g->sw == 1)                                                                 \
                        for (int64_t ow = lo; ow < hi; ow++)                                        \
                            out[ow] = (int32_t)((uint32_t)out[ow] + (uint32_t)((row[ow + iw0] - x_zp) * wv)); \
                    else                                                                            \
                        for (int64_t ow = lo; ow < hi; ow++)                                        \
                            out[ow] = (int32_t)((uint32_t)out[ow] +                                 \
                                                (uint32_t)((row[ow * g->sw + iw0] - x_zp) * wv));   \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_PLANE(uint8_t, plane_u8)
DEFINE_PLANE(int8_t, plane_s8)

void ol_qconv_depthwise(const ol_qconv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                        const ol_requant_params *rq, ol_ktensor *y, void *scratch)
{
    plane_geometry g = geometry_of(&p->win, x->dims + 2, y->dims + 2);
    int64_t N = x->dims[0], C = x->dims[1], taps = g.KH * g.KW, in_size = g.H * g.W, out_size = g.OH * g.OW;
    /* Scratch: the weights minus their zero points as int32, then one accumulator plane per thread
     * (requantized outputs only). */
    int32_t *wz = scratch;
    for (int64_t c = 0; c < C; c++) {
        int32_t zp = p->w_zero_points ? p->w_zero_points[p->n_w_zero_points > 1 ? c : 0] : 0;
        for (int64_t t = 0; t < taps; t++) {
            uint8_t v = ((const uint8_t *)w->data)[c * taps + t];
            wz[c * taps + t] = (w->dtype == OL_INT8 ? (int8_t)v : v) - zp;
        }
    }
    int32_t *planes = wz + ol_qconv_depthwise_weight_slots(C * taps);
    int nt = ol_kernel_threads(p->threads);
    bool x_signed = x->dtype == OL_INT8;
#pragma omp parallel for num_threads(nt) if (nt > 1 && N * C * out_size * taps >= 65536) schedule(static)
    for (int64_t plane = 0; plane < N * C; plane++) {
        int64_t c = plane % C;
        int32_t *acc = rq ? planes + (size_t)omp_get_thread_num() * (size_t)out_size
                          : (int32_t *)y->data + plane * out_size;
        const void *xp = (const uint8_t *)x->data + plane * in_size;
        if (x_signed)
            plane_s8(xp, p->x_zero_point, wz + c * taps, &g, acc);
        else
            plane_u8(xp, p->x_zero_point, wz + c * taps, &g, acc);
        if (!rq)
            continue;
        ol_requant_params one = *rq;
        one.threads = 1;
        if (rq->n_row_scale > 1)
            one.row_scale = rq->row_scale + c;
        one.n_row_scale = 1;
        if (rq->row_bias)
            one.row_bias = rq->row_bias + c;
        ol_requantize(acc, 1, out_size, out_size, (uint8_t *)y->data + plane * out_size, out_size, &one);
    }
}
