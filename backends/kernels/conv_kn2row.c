/* Stride-1 convolution as one GEMM over the input itself ("kn2row"): Z [taps * M, HW] = W_r x X with
 * the filters regrouped tap-major (W_r [taps * M, C]), then each tap's M planes of Z are added into
 * y shifted by the tap's offset. No im2col matrix is built: where the output has at most half the
 * channels of the input (DenseNet's 128 -> 32 3x3 layers on 14x14 and 7x7 maps), the shifted
 * additions touch taps * M * HW values against im2col's taps * C * HW copies, and the GEMM keeps the
 * same work. */
#include <string.h>

#include "kernels/conv.h"
#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"

/* Z stays below this many bytes (whole-image GEMM output). */
enum { MAX_Z_BYTES = 8 << 20 };

bool ol_conv_kn2row_applies(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    const ol_window *win = &p->win;
    /* With as many output as input channels the shapes favour im2col (measured: 2x slower on
     * ResNet's 512 -> 512 7x7 layers), so kn2row takes at most half as many outputs as inputs. */
    if (x->dtype != OL_FLOAT || win->spatial > 2 || p->group != 1 || 2 * w->dims[0] > x->dims[1])
        return false;
    int64_t taps = 1, in = 1;
    for (int d = 0; d < win->spatial; d++) {
        if (win->stride[d] != 1)
            return false;
        taps *= win->kernel[d];
        in *= x->dims[2 + d];
    }
    return taps > 1 && taps * w->dims[0] * in * (int64_t)sizeof(float) <= MAX_Z_BYTES;
}

size_t ol_conv_kn2row_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    int64_t taps = 1, in = 1;
    for (int d = 0; d < p->win.spatial; d++) {
        taps *= p->win.kernel[d];
        in *= x->dims[2 + d];
    }
    int64_t M = w->dims[0], C = x->dims[1];
    bool packed = p->packed && p->packed->kn2row;
    return (size_t)((packed ? 0 : taps * M * C) + taps * M * in) * sizeof(float) +
           ol_conv_gemm_workspace(p, OL_CONV_PATH_KN2ROW, in);
}

void ol_conv_kn2row_pack(const ol_ktensor *w, float *wr)
{
    int64_t M = w->dims[0], C = w->dims[1], taps = 1;
    for (int d = 2; d < w->rank; d++)
        taps *= w->dims[d];
    const float *wv = w->data;
    for (int64_t m = 0; m < M; m++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t t = 0; t < taps; t++)
                wr[(t * M + m) * C + c] = wv[(m * C + c) * taps + t];
}

/* y[m] (OH x OW) += shifted plane z (H x W): y[oh][ow] += z[oh + dy][ow + dx] where inside z. */
OL_CPU_CLONES
static void add_shifted(float *y, int64_t OH, int64_t OW, const float *z, int64_t H, int64_t W, int64_t dy,
                        int64_t dx)
{
    int64_t oh0 = dy < 0 ? -dy : 0, oh1 = H - dy < OH ? H - dy : OH;
    int64_t ow0 = dx < 0 ? -dx : 0, ow1 = W - dx < OW ? W - dx : OW;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *yr = y + oh * OW;
        const float *zr = z + (oh + dy) * W + dx;
#pragma omp simd
        for (int64_t ow = ow0; ow < ow1; ow++)
            yr[ow] += zr[ow];
    }
}

void ol_conv_kn2row(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
                    const ol_ktensor *sum, ol_ktensor *y, void *scratch)
{
    ol_window win;
    int64_t in[2], out[2];
    ol_window_as_2d(&p->win, x->dims + 2, y->dims + 2, &win, in, out);
    int64_t N = x->dims[0], C = x->dims[1], M = w->dims[0], KH = win.kernel[0], KW = win.kernel[1];
    int64_t taps = KH * KW, HW = in[0] * in[1], OHW = out[0] * out[1];
    bool packed = p->packed && p->packed->kn2row;
    float *z = (float *)scratch + (packed ? 0 : taps * M * C);
    const float *wr = packed ? p->packed->kn2row : scratch;
    const float *bias = b ? b->data : NULL, *sv = sum ? sum->data : NULL;
    int threads = ol_kernel_threads(p->threads);
    bool finish = ol_conv_has_epilogue(p, sv);
    if (!packed)
        ol_conv_kn2row_pack(w, scratch);
    for (int64_t n = 0; n < N; n++) {
        const float *xn = (const float *)x->data + n * C * HW;
        float *yn = (float *)y->data + n * M * OHW;
        ol_sgemm_packed_a plain = {.M = taps * M, .K = C};
        const ol_sgemm_packed_a *pa = ol_conv_packed_gemm(p, OL_CONV_PATH_KN2ROW, 0);
        ol_sgemm_packed(pa ? pa : &plain, wr, C, xn, HW, HW, z, HW, NULL, NULL, threads, z + taps * M * HW);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
        for (int64_t m = 0; m < M; m++) {
            float *ym = yn + m * OHW, v = bias ? bias[m] : 0.0f;
            for (int64_t j = 0; j < OHW; j++)
                ym[j] = v;
            for (int64_t t = 0; t < taps; t++)
                add_shifted(ym, out[0], out[1], z + (t * M + m) * HW, in[0], in[1],
                            (t / KW) * win.dilation[0] - win.pad_begin[0],
                            (t % KW) * win.dilation[1] - win.pad_begin[1]);
            if (finish)
                ol_conv_epilogue_f32(p, 0.0f, sv ? sv + (n * M + m) * OHW : NULL, ym, OHW);
        }
    }
}
