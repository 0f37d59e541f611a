/* Transposed convolution as GEMM + col2im: per image and group, col [M/g * k, in] = W_g^T x X_g, then
 * each column entry is added at its output position (in*stride - pad + k*dilation). The output starts
 * as the bias, so no second pass adds it. */
#include <cblas.h>
#include <string.h>

#include "kernels/blas_core.h"
#include "kernels/conv.h"

static int64_t product(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= v[i];
    return p;
}

size_t ol_conv_transpose_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    int S = p->win.spatial;
    size_t elem = x->dtype == OL_DOUBLE ? sizeof(double) : sizeof(float);
    int64_t rows = w->dims[1] * product(p->win.kernel, S);
    return (size_t)(rows * product(x->dims + 2, S)) * elem;
}

/* col2im over any number of spatial axes: row r = (m, k...) of `col`, column j = input position. */
#define DEFINE_COL2IM(T, NAME)                                                                      \
    static void NAME(const T *col, int64_t Mg, const int64_t *in, const ol_window *w, const int64_t *out, \
                     T *y)                                                                          \
    {                                                                                               \
        int S = w->spatial;                                                                         \
        int64_t kprod = product(w->kernel, S), iprod = product(in, S), oprod = product(out, S);     \
        for (int64_t r = 0; r < Mg * kprod; r++) {                                                  \
            T *ym = y + (r / kprod) * oprod;                                                        \
            const T *c = col + r * iprod;                                                           \
            int64_t base[OL_WINDOW_MAX_SPATIAL], pos[OL_WINDOW_MAX_SPATIAL], k = r % kprod;         \
            for (int d = S - 1; d >= 0; d--) {                                                      \
                base[d] = (k % w->kernel[d]) * w->dilation[d] - w->pad_begin[d];                    \
                k /= w->kernel[d];                                                                  \
                pos[d] = 0;                                                                         \
            }                                                                                       \
            for (int64_t j = 0; j < iprod; j++) {                                                   \
                int64_t off = 0;                                                                    \
                bool inside = true;                                                                 \
                for (int d = 0; d < S && inside; d++) {                                             \
                    int64_t op = pos[d] * w->stride[d] + base[d];                                   \
                    inside = op >= 0 && op < out[d];                                                \
                    off = off * out[d] + op;                                                        \
                }                                                                                   \
                if (inside)                                                                         \
                    ym[off] += c[j];                                                                \
                for (int d = S - 1; d >= 0 && ++pos[d] == in[d]; d--)                               \
                    pos[d] = 0;                                                                     \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_COL2IM(float, col2im_f32)
DEFINE_COL2IM(double, col2im_f64)

#define DEFINE_CONV_TRANSPOSE(T, NAME, COL2IM, GEMM)                                                \
    static void NAME(const ol_conv_params *p, const ol_ktensor *xt, const ol_ktensor *wt,           \
                     const ol_ktensor *bt, ol_ktensor *yt, T *col)                                  \
    {                                                                                               \
        int S = p->win.spatial;                                                                     \
        int64_t N = xt->dims[0], C = xt->dims[1], G = p->group, Cg = C / G, Mg = wt->dims[1];       \
        int64_t M = Mg * G, rows = Mg * product(p->win.kernel, S);                                  \
        int64_t iprod = product(xt->dims + 2, S), oprod = product(yt->dims + 2, S);                 \
        const T *x = xt->data, *w = wt->data, *bias = bt ? bt->data : NULL;                         \
        T *y = yt->data;                                                                            \
        for (int64_t n = 0; n < N; n++)                                                             \
            for (int64_t g = 0; g < G; g++) {                                                       \
                T *yg = y + (n * M + g * Mg) * oprod;                                               \
                for (int64_t m = 0; m < Mg; m++) {                                                  \
                    T v = bias ? bias[g * Mg + m] : (T)0, *row = yg + m * oprod;                    \
                    for (int64_t j = 0; j < oprod; j++)                                             \
                        row[j] = v;                                                                 \
                }                                                                                   \
                if (Cg == 0 || iprod == 0)                                                          \
                    continue;                                                                       \
                GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rows, (int)iprod, (int)Cg, 1,    \
                     w + g * Cg * rows, (int)rows, x + (n * C + g * Cg) * iprod, (int)iprod, 0, col, \
                     (int)iprod);                                                                   \
                COL2IM(col, Mg, xt->dims + 2, &p->win, yt->dims + 2, yg);                           \
            }                                                                                       \
    }

DEFINE_CONV_TRANSPOSE(float, conv_transpose_f32, col2im_f32, cblas_sgemm)
DEFINE_CONV_TRANSPOSE(double, conv_transpose_f64, col2im_f64, cblas_dgemm)

void ol_conv_transpose(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                       const ol_ktensor *b, ol_ktensor *y, void *scratch)
{
    if (ol_ktensor_numel(y) == 0)
        return;
    ol_blas_ensure_core();
    if (x->dtype == OL_DOUBLE)
        conv_transpose_f64(p, x, w, b, y, scratch);
    else
        conv_transpose_f32(p, x, w, b, y, scratch);
}
