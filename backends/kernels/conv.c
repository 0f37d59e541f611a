/* Convolution lowered to GEMM: per image, group and tile of output positions, W_g [M/g, C/g * k] x
 * col [C/g * k, tile] where col is the im2col matrix (or the input itself for pointwise kernels).
 * 3x3 stride-1 convolutions with enough channels go to Winograd (conv_winograd.c), other stride-1
 * ones with few output channels to kn2row (conv_kn2row.c), depthwise ones to their direct kernel
 * (conv_depthwise.c). */
#include "kernels/conv.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/blas_core.h"
#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"

static int64_t product(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= v[i];
    return p;
}

bool ol_conv_is_pointwise(const ol_window *win)
{
    for (int d = 0; d < win->spatial; d++)
        if (win->kernel[d] != 1 || win->stride[d] != 1 || win->pad_begin[d] != 0 || win->pad_end[d] != 0)
            return false;
    return true;
}

bool ol_conv_is_depthwise(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    return p->group > 1 && p->group == x->dims[1] && w->dims[0] == p->group && w->dims[1] == 1;
}

/* The depthwise kernel covers 1-D and 2-D float32. */
static bool use_depthwise_kernel(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    return x->dtype == OL_FLOAT && p->win.spatial <= 2 && ol_conv_is_depthwise(p, x, w);
}

/* Output positions per GEMM call. The im2col tile [K, tile] is kept near TILE_BYTES so it is still
 * in L2 when the GEMM reads it: with whole-image im2col matrices of several MB (3x3 convolutions
 * over 56x56 maps) OpenBLAS's SGEMM ran 3-5x slower. */
enum { TILE_BYTES = 1 << 20, MIN_TILE = 64 };

static int64_t column_tile(int64_t K, int64_t oprod, size_t elem)
{
    int64_t tile = (int64_t)(TILE_BYTES / elem) / (K > 0 ? K : 1);
    if (tile < MIN_TILE)
        tile = MIN_TILE;
    if (tile >= oprod)
        return oprod;
    /* Even tiles, a multiple of 16 columns. */
    int64_t count = (oprod + tile - 1) / tile;
    tile = (oprod + count - 1) / count;
    return (tile + 15) / 16 * 16;
}

size_t ol_conv_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                             const ol_ktensor *y)
{
    int s = p->win.spatial;
    size_t elem = x->dtype == OL_DOUBLE ? sizeof(double) : sizeof(float);
    if (use_depthwise_kernel(p, x, w))
        return ol_conv_depthwise_scratch_bytes(p, x->dims + 2, y->dims + 2);
    if (ol_conv_winograd_applies(p, x, w))
        return ol_conv_winograd_scratch_bytes(p, x, w, y);
    if (ol_conv_kn2row_applies(p, x, w))
        return ol_conv_kn2row_scratch_bytes(p, x, w);
    int64_t K = w->dims[1] * product(p->win.kernel, s), oprod = product(y->dims + 2, s);
    int64_t tile = column_tile(K, oprod, elem);
    size_t col = ol_conv_is_pointwise(&p->win) ? 0 : (size_t)(K * tile) * elem;
    return col + ol_conv_gemm_workspace(p, OL_CONV_PATH_GEMM, tile);
}

/* One im2col row (c, kh, kw) for 2-D over output positions [j0, j0 + nt) (row-major over (oh, ow)):
 * x[c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw], zero in the padding. Within each output row the
 * inside columns [lo, hi) are one contiguous (stride 1) or evenly strided run. Inline loops rather
 * than memcpy/memset: on 7x7 and 14x14 maps the calls cost more than the copying. */
#define DEFINE_IM2COL_ROW(T, NAME)                                                                  \
    OL_CPU_CLONES static void NAME(const T *xc, int64_t H, int64_t W, int64_t OW, int64_t ih0,       \
                                   int64_t sh, int64_t sw, int64_t iw0, int64_t lo, int64_t hi,     \
                                   int64_t j0, int64_t nt, T *o)                                    \
    {                                                                                               \
        int64_t oh = j0 / OW, first = j0 - oh * OW;                                                 \
        for (int64_t done = 0; done < nt; oh++, first = 0) {                                        \
            int64_t last = OW < first + (nt - done) ? OW : first + (nt - done);                     \
            int64_t ih = oh * sh + ih0;                                                             \
            T *out = o - first; /* out[ow] is this output row's entry */                            \
            if (ih < 0 || ih >= H) {                                                                \
                _Pragma("omp simd") for (int64_t ow = first; ow < last; ow++) out[ow] = 0;          \
            } else {                                                                                \
                int64_t a = lo < first ? first : lo > last ? last : lo;                             \
                int64_t b = hi < a ? a : hi > last ? last : hi;                                     \
                const T *xr = xc + ih * W + iw0;                                                    \
                for (int64_t ow = first; ow < a; ow++)                                              \
                    out[ow] = 0;                                                                    \
                if (sw == 1) {                                                                      \
                    _Pragma("omp simd") for (int64_t ow = a; ow < b; ow++) out[ow] = xr[ow];        \
                } else if (sw == 2) {                                                               \
                    _Pragma("omp simd") for (int64_t ow = a; ow < b; ow++) out[ow] = xr[2 * ow];    \
                } else {                                                                            \
                    _Pragma("omp simd") for (int64_t ow = a; ow < b; ow++) out[ow] = xr[ow * sw];   \
                }                                                                                   \
                for (int64_t ow = b; ow < last; ow++)                                               \
                    out[ow] = 0;                                                                    \
            }                                                                                       \
            o += last - first;                                                                      \
            done += last - first;                                                                   \
        }                                                                                           \
    }

/* im2col for 2-D: rows (c, kh, kw) of the tile [j0, j0 + nt) of output positions. */
#define DEFINE_IM2COL_2D(T, NAME, ROW)                                                              \
    static void NAME(const T *x, int64_t C, const int64_t *in, const ol_window *w, const int64_t *out, \
                     int64_t j0, int64_t nt, T *col, int threads)                                   \
    {                                                                                               \
        int64_t H = in[0], W = in[1], OW = out[1], KH = w->kernel[0], KW = w->kernel[1];            \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1) schedule(static)")          \
        for (int64_t r = 0; r < C * KH * KW; r++) {                                                 \
            int64_t c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;                             \
            int64_t iw0 = kw * w->dilation[1] - w->pad_begin[1], lo, hi; /* input column of ow = 0 */ \
            ol_window_inside(iw0, w->stride[1], W, OW, &lo, &hi);                                   \
            ROW(x + c * H * W, H, W, OW, kh * w->dilation[0] - w->pad_begin[0], w->stride[0],       \
                w->stride[1], iw0, lo, hi, j0, nt, col + r * nt);                                   \
        }                                                                                           \
    }

/* im2col for any number of spatial axes (3-D and up): rows (c, k...), columns [j0, j0 + nt) of
 * the output positions. */
#define DEFINE_IM2COL_ND(T, NAME)                                                                   \
    static void NAME(const T *x, int64_t C, const int64_t *in, const ol_window *w, const int64_t *out, \
                     int64_t j0, int64_t nt, T *col, int threads)                                   \
    {                                                                                               \
        int S = w->spatial;                                                                         \
        int64_t kprod = product(w->kernel, S), iprod = product(in, S);                              \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1) schedule(static)")          \
        for (int64_t r = 0; r < C * kprod; r++) {                                                   \
            const T *xc = x + (r / kprod) * iprod;                                                  \
            int64_t base[OL_WINDOW_MAX_SPATIAL], pos[OL_WINDOW_MAX_SPATIAL], k = r % kprod, j = j0; \
            for (int d = S - 1; d >= 0; d--) {                                                      \
                base[d] = (k % w->kernel[d]) * w->dilation[d] - w->pad_begin[d];                    \
                k /= w->kernel[d];                                                                  \
                pos[d] = j % out[d];                                                                \
                j /= out[d];                                                                        \
            }                                                                                       \
            T *o = col + r * nt;                                                                    \
            for (int64_t t = 0; t < nt; t++) {                                                      \
                int64_t off = 0;                                                                    \
                bool inside = true;                                                                 \
                for (int d = 0; d < S && inside; d++) {                                             \
                    int64_t ip = pos[d] * w->stride[d] + base[d];                                   \
                    inside = ip >= 0 && ip < in[d];                                                 \
                    off = off * in[d] + ip;                                                         \
                }                                                                                   \
                o[t] = inside ? xc[off] : (T)0;                                                     \
                for (int d = S - 1; d >= 0 && ++pos[d] == out[d]; d--)                              \
                    pos[d] = 0;                                                                     \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_IM2COL_ROW(float, im2col_row_f32)
DEFINE_IM2COL_ROW(double, im2col_row_f64)
DEFINE_IM2COL_2D(float, im2col_2d_f32, im2col_row_f32)
DEFINE_IM2COL_2D(double, im2col_2d_f64, im2col_row_f64)
DEFINE_IM2COL_ND(float, im2col_nd_f32)
DEFINE_IM2COL_ND(double, im2col_nd_f64)

/* W_g [Mg, K] x B [K, nt] (row stride ldb) into the output tile c (row stride ldc), then bias, sum
 * and activation over each row while it is in cache (pre-filling the output with the bias for a
 * beta = 1 GEMM cost a separate pass over cold output memory). bias and sum start at the group's
 * first channel (and sum at the tile's first column), or are NULL. */
static void matmul_f64(const ol_conv_params *p, int64_t g, int64_t Mg, int64_t K, int64_t nt, const double *a,
                       const double *b, int64_t ldb, double *c, int64_t ldc, const double *bias, const double *sum,
                       int threads, void *work)
{
    (void)g, (void)threads, (void)work;
    if (K > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Mg, (int)nt, (int)K, 1, a, (int)K, b, (int)ldb,
                    0, c, (int)ldc);
    else
        for (int64_t m = 0; m < Mg; m++)
            memset(c + m * ldc, 0, (size_t)nt * sizeof(double));
    if (bias || sum || p->activation != OL_CONV_ACT_NONE)
        for (int64_t m = 0; m < Mg; m++)
            ol_conv_epilogue_f64(p, bias ? bias[m] : 0.0, sum ? sum + m * ldc : NULL, c + m * ldc, nt);
}

/* What the float32 GEMM's finish callback needs for a group's rows. */
typedef struct conv_rows {
    const ol_conv_params *p;
    const float *bias, *sum;
    int64_t ld;                /* sum's row stride */
} conv_rows;

static void finish_rows(const void *ctx, int64_t m, int64_t n0, float *c, int64_t n)
{
    const conv_rows *r = ctx;
    ol_conv_epilogue_f32(r->p, r->bias ? r->bias[m] : 0.0f, r->sum ? r->sum + m * r->ld + n0 : NULL, c, n);
}

/* Float32 goes through the packed GEMM (with the weights packed when the caller prepared them). */
static void matmul_f32(const ol_conv_params *p, int64_t g, int64_t Mg, int64_t K, int64_t nt, const float *a,
                       const float *b, int64_t ldb, float *c, int64_t ldc, const float *bias, const float *sum,
                       int threads, void *work)
{
    ol_sgemm_packed_a plain = {.M = Mg, .K = K};
    const ol_sgemm_packed_a *packed = ol_conv_packed_gemm(p, OL_CONV_PATH_GEMM, g);
    conv_rows rows = {p, bias, sum, ldc};
    bool finish = bias || sum || p->activation != OL_CONV_ACT_NONE;
    ol_sgemm_packed(packed ? packed : &plain, a, K, b, ldb, nt, c, ldc, finish ? finish_rows : NULL, &rows, threads,
                    work);
}

/* Per image, group and tile of output positions: im2col (none for pointwise kernels, whose input is
 * the matrix) and the GEMM with its finishing pass. */
#define DEFINE_CONV_GEMM(T, NAME, IM2COL_2D, IM2COL_ND, MATMUL)                                     \
    static void NAME(const ol_conv_params *p, const ol_ktensor *xt, const ol_ktensor *wt,           \
                     const ol_ktensor *bt, const ol_ktensor *st, ol_ktensor *yt, T *col)            \
    {                                                                                               \
        int S = p->win.spatial, threads = ol_kernel_threads(p->threads);                            \
        int64_t N = xt->dims[0], C = xt->dims[1], M = wt->dims[0], G = p->group;                    \
        int64_t Cg = C / G, Mg = M / G, K = Cg * product(p->win.kernel, S);                         \
        int64_t iprod = product(xt->dims + 2, S), oprod = product(yt->dims + 2, S);                 \
        int64_t tile = column_tile(K, oprod, sizeof(T));                                            \
        const T *x = xt->data, *w = wt->data, *bias = bt ? bt->data : NULL, *sum = st ? st->data : NULL; \
        T *y = yt->data;                                                                            \
        bool pointwise = ol_conv_is_pointwise(&p->win);                                             \
        void *work = pointwise ? (void *)col : (void *)(col + K * tile);                            \
        ol_window w2;                                                                               \
        int64_t in2[2], out2[2];                                                                    \
        if (S <= 2)                                                                                 \
            ol_window_as_2d(&p->win, xt->dims + 2, yt->dims + 2, &w2, in2, out2);                   \
        for (int64_t n = 0; n < N; n++)                                                             \
            for (int64_t g = 0; g < G; g++) {                                                       \
                const T *xg = x + (n * C + g * Cg) * iprod;                                         \
                int64_t first = (n * M + g * Mg) * oprod; /* the group's first output row */        \
                for (int64_t j0 = 0; j0 < oprod; j0 += tile) {                                      \
                    int64_t nt = oprod - j0 < tile ? oprod - j0 : tile, ldb = nt;                   \
                    const T *operand = col;                                                         \
                    if (pointwise) {                                                                \
                        operand = xg + j0;                                                          \
                        ldb = oprod;                                                                \
                    } else if (S <= 2) {                                                            \
                        IM2COL_2D(xg, Cg, in2, &w2, out2, j0, nt, col, threads);                    \
                    } else {                                                                        \
                        IM2COL_ND(xg, Cg, xt->dims + 2, &p->win, yt->dims + 2, j0, nt, col, threads); \
                    }                                                                               \
                    MATMUL(p, g, Mg, K, nt, w + g * Mg * K, operand, ldb, y + first + j0, oprod,    \
                           bias ? bias + g * Mg : NULL, sum ? sum + first + j0 : NULL, threads, work); \
                }                                                                                   \
            }                                                                                       \
    }

DEFINE_CONV_GEMM(float, conv_gemm_f32, im2col_2d_f32, im2col_nd_f32, matmul_f32)
DEFINE_CONV_GEMM(double, conv_gemm_f64, im2col_2d_f64, im2col_nd_f64, matmul_f64)

ol_conv_path ol_conv_path_of(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    if (use_depthwise_kernel(p, x, w))
        return OL_CONV_PATH_DEPTHWISE;
    if (ol_conv_winograd_applies(p, x, w))
        return OL_CONV_PATH_WINOGRAD;
    if (ol_conv_kn2row_applies(p, x, w))
        return OL_CONV_PATH_KN2ROW;
    return OL_CONV_PATH_GEMM;
}

const ol_sgemm_packed_a *ol_conv_packed_gemm(const ol_conv_params *p, ol_conv_path path, int64_t i)
{
    const ol_conv_packed *k = p->packed;
    return k && k->gemm_path == path && i < k->n_gemm ? &k->gemm[i] : NULL;
}

size_t ol_conv_gemm_workspace(const ol_conv_params *p, ol_conv_path path, int64_t N)
{
    const ol_sgemm_packed_a *a = ol_conv_packed_gemm(p, path, 0);
    return a && a->panels ? ol_sgemm_packed_workspace(N, ol_kernel_threads(p->threads)) : 0;
}

/* Packs n GEMM left operands a + i * stride (each [M, K]) for `path`. */
static bool pack_gemms(ol_conv_packed *packed, ol_conv_path path, const float *a, int64_t stride, int64_t n,
                       int64_t M, int64_t K)
{
    if (packed->gemm_path == path)
        return true;
    for (int64_t i = 0; i < packed->n_gemm; i++)
        ol_sgemm_packed_a_free(&packed->gemm[i]);
    free(packed->gemm);
    packed->gemm_path = OL_CONV_PATH_NONE;
    packed->n_gemm = 0;
    packed->gemm = calloc((size_t)n, sizeof *packed->gemm);
    if (!packed->gemm)
        return false;
    for (; packed->n_gemm < n; packed->n_gemm++)
        if (!ol_sgemm_pack_a(a + packed->n_gemm * stride, K, M, K, &packed->gemm[packed->n_gemm]))
            return false;
    packed->gemm_path = path;
    return true;
}

bool ol_conv_pack(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, ol_conv_packed *packed)
{
    if (x->dtype != OL_FLOAT)
        return true;
    int64_t M = w->dims[0], C = w->dims[1], taps = product(w->dims + 2, w->rank - 2);
    switch (ol_conv_path_of(p, x, w)) {
    case OL_CONV_PATH_WINOGRAD:
        if (!packed->winograd) {
            packed->winograd = malloc((size_t)(16 * M * C) * sizeof(float));
            if (!packed->winograd)
                return false;
            ol_conv_winograd_pack(w, packed->winograd, p->threads);
        }
        return pack_gemms(packed, OL_CONV_PATH_WINOGRAD, packed->winograd, M * C, 16, M, C);
    case OL_CONV_PATH_KN2ROW:
        if (!packed->kn2row) {
            packed->kn2row = malloc((size_t)(taps * M * C) * sizeof(float));
            if (!packed->kn2row)
                return false;
            ol_conv_kn2row_pack(w, packed->kn2row);
        }
        return pack_gemms(packed, OL_CONV_PATH_KN2ROW, packed->kn2row, 0, 1, taps * M, C);
    case OL_CONV_PATH_GEMM: {
        int64_t Mg = M / p->group, K = C * taps;
        return pack_gemms(packed, OL_CONV_PATH_GEMM, w->data, Mg * K, p->group, Mg, K);
    }
    default:
        return true;
    }
}

void ol_conv_packed_free(ol_conv_packed *packed)
{
    free(packed->winograd);
    free(packed->kn2row);
    for (int64_t i = 0; i < packed->n_gemm; i++)
        ol_sgemm_packed_a_free(&packed->gemm[i]);
    free(packed->gemm);
    *packed = (ol_conv_packed){0};
}

void ol_conv(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
             const ol_ktensor *sum, ol_ktensor *y, void *scratch)
{
    if (ol_ktensor_numel(y) == 0)
        return;
    ol_blas_ensure_core();
    if (use_depthwise_kernel(p, x, w)) {
        ol_window w2;
        int64_t xd[4] = {x->dims[0], x->dims[1]}, yd[4] = {y->dims[0], y->dims[1]};
        ol_window_as_2d(&p->win, x->dims + 2, y->dims + 2, &w2, xd + 2, yd + 2);
        ol_conv_params p2 = *p;
        p2.win = w2;
        ol_conv_depthwise_f32(&p2, x->data, xd, w->data, b ? b->data : NULL, sum ? sum->data : NULL, y->data, yd,
                              scratch);
        return;
    }
    if (ol_conv_winograd_applies(p, x, w)) {
        ol_conv_winograd(p, x, w, b, sum, y, scratch);
        return;
    }
    if (ol_conv_kn2row_applies(p, x, w)) {
        ol_conv_kn2row(p, x, w, b, sum, y, scratch);
        return;
    }
    if (x->dtype == OL_DOUBLE)
        conv_gemm_f64(p, x, w, b, sum, y, scratch);
    else
        conv_gemm_f32(p, x, w, b, sum, y, scratch);
}
