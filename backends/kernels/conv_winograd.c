/* 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3): each 2x2 output tile comes
 * from a 4x4 input tile through 16 element-wise products in a transformed space instead of 36
 * multiply-adds, so the GEMM work drops 2.25x against im2col. Per block of tile rows: the input
 * tiles are transformed (V = B^T d B), 16 GEMMs multiply the transformed filters U = G g G^T
 * [M, C] by V [C, tiles], and the results are transformed back (Y = A^T m A) with the bias added.
 * F(2x2, 3x3)'s transforms only add, subtract and halve, so float32 results stay within a few ulp
 * of direct convolution. */
#include <string.h>

#include "kernels/conv.h"
#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"

/* Tile rows per block: the block's V stays near this many bytes (in L2 while the GEMMs run). */
enum { BLOCK_BYTES = 1 << 20, MIN_OUTPUTS = 100 };

typedef struct wino {
    int64_t C, M, H, W, OH, OW, pad_top, pad_left;
    int64_t TH, TW;            /* 2x2 tiles over the output */
    int64_t Hp, Wp;            /* zero-padded input plane covering every tile's 4x4 window */
    int64_t rows_per_block;
} wino;

static wino geometry(const ol_conv_params *p, const int64_t *x_dims, const int64_t *w_dims, const int64_t *y_dims)
{
    wino g = {.C = x_dims[1], .M = w_dims[0], .H = x_dims[2], .W = x_dims[3], .OH = y_dims[2], .OW = y_dims[3],
              .pad_top = p->win.pad_begin[0], .pad_left = p->win.pad_begin[1]};
    g.TH = (g.OH + 1) / 2;
    g.TW = (g.OW + 1) / 2;
    g.Hp = 2 * g.TH + 2;
    g.Wp = 2 * g.TW + 2;
    g.rows_per_block = (int64_t)(BLOCK_BYTES / sizeof(float)) / (16 * g.C * g.TW);
    if (g.rows_per_block < 1)
        g.rows_per_block = 1;
    if (g.rows_per_block > g.TH)
        g.rows_per_block = g.TH;
    return g;
}

bool ol_conv_winograd_applies(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w)
{
    const ol_window *win = &p->win;
    /* Few channels leave the 16 GEMMs too small to beat one im2col GEMM. With the filters
     * transformed once (ol_conv_pack) 14x14 maps pay (ResNet-18: 9% faster); 7x7 maps, whose 16
     * tiles leave half of the GEMM tile empty, do not (DenseNet-121 13% slower). */
    int64_t outputs = (x->dims[2] + win->pad_begin[0] + win->pad_end[0] - 2) *
                      (x->dims[3] + win->pad_begin[1] + win->pad_end[1] - 2);
    return x->dtype == OL_FLOAT && win->spatial == 2 && p->group == 1 && win->kernel[0] == 3 &&
           win->kernel[1] == 3 && win->stride[0] == 1 && win->stride[1] == 1 && win->dilation[0] == 1 &&
           win->dilation[1] == 1 && x->dims[1] >= 16 && w->dims[0] >= 16 && outputs >= MIN_OUTPUTS;
}

/* Per-thread row buffers: the four row combinations of a tile row, split into even and odd
 * columns (input side), or the four output values of a tile row (output side). */
static int64_t row_buffer_floats(const wino *g)
{
    return 8 * (g->TW + 1);
}

/* Floats of each scratch part: transformed filters, padded image, V, the GEMM results and the
 * per-thread row buffers. */
static void parts(const ol_conv_params *p, const wino *g, int threads, int64_t *u, int64_t *padded, int64_t *v,
                  int64_t *m, int64_t *rows)
{
    int64_t block = g->rows_per_block * g->TW;
    *u = p->packed && p->packed->winograd ? 0 : 16 * g->M * g->C;
    *padded = g->C * g->Hp * g->Wp;
    *v = 16 * g->C * block;
    *m = 16 * g->M * block;
    *rows = threads * row_buffer_floats(g) +
            (int64_t)(ol_conv_gemm_workspace(p, OL_CONV_PATH_WINOGRAD, block) + sizeof(float) - 1) /
                (int64_t)sizeof(float);
}

/* Images convolved side by side, one per thread. A small map gives each of the 19 parallel regions
 * an image makes (input transform, 16 GEMMs, output transform) only microseconds of work, less
 * than waking and joining the threads costs: the Fashion-MNIST teacher's 28x28 layers ran slower
 * on two threads than on one. With a batch, whole images go to threads instead, each convolved
 * single-threaded with scratch of its own: the same arithmetic, so the same bits, as one thread. */
enum { SMALL_MAP_TILES = 256 };   /* 2x2 tiles: maps up to 32x32 */

static int image_lanes(const wino *g, int threads, int64_t batch)
{
    if (threads < 2 || batch < 2 || g->TH * g->TW > SMALL_MAP_TILES)
        return 1;
    return batch < threads ? (int)batch : threads;
}

/* Floats of the shared filters (u) and of each lane's own scratch. */
static void lane_sizes(const ol_conv_params *p, const wino *g, int lanes, int64_t *u, int64_t *per_lane)
{
    ol_conv_params one = *p;
    if (lanes > 1)
        one.threads = 1;
    int64_t padded, v, m, rows;
    parts(&one, g, lanes > 1 ? 1 : ol_kernel_threads(p->threads), u, &padded, &v, &m, &rows);
    *per_lane = padded + v + m + rows;
}

size_t ol_conv_winograd_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                                      const ol_ktensor *y)
{
    wino g = geometry(p, x->dims, w->dims, y->dims);
    int lanes = image_lanes(&g, ol_kernel_threads(p->threads), x->dims[0]);
    int64_t u, per_lane;
    lane_sizes(p, &g, lanes, &u, &per_lane);
    return (size_t)(u + lanes * per_lane) * sizeof(float);
}

/* U[xi][m][c] = (G g G^T)[xi] for the 3x3 filter g = w[m][c], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
 * Filters go in groups of FILTER_GROUP so that each of the 16 planes is written in runs. */
enum { FILTER_GROUP = 64 };

void ol_conv_winograd_pack(const ol_ktensor *wt, float *u, int threads)
{
    const float *w = wt->data;
    int64_t MC = wt->dims[0] * wt->dims[1], groups = (MC + FILTER_GROUP - 1) / FILTER_GROUP;
    threads = ol_kernel_threads(threads);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t grp = 0; grp < groups; grp++) {
        float local[16][FILTER_GROUP];
        int64_t first = grp * FILTER_GROUP, count = MC - first < FILTER_GROUP ? MC - first : FILTER_GROUP;
        for (int64_t f = 0; f < count; f++) {
            const float *k = w + (first + f) * 9;
            /* Rows of G g: k0..k2 are the filter's rows. */
            float t[4][3];
            for (int j = 0; j < 3; j++) {
                float r0 = k[j], r1 = k[3 + j], r2 = k[6 + j];
                t[0][j] = r0;
                t[1][j] = 0.5f * (r0 + r1 + r2);
                t[2][j] = 0.5f * (r0 - r1 + r2);
                t[3][j] = r2;
            }
            for (int i = 0; i < 4; i++) {
                float c0 = t[i][0], c1 = t[i][1], c2 = t[i][2];
                local[i * 4 + 0][f] = c0;
                local[i * 4 + 1][f] = 0.5f * (c0 + c1 + c2);
                local[i * 4 + 2][f] = 0.5f * (c0 - c1 + c2);
                local[i * 4 + 3][f] = c2;
            }
        }
        for (int xi = 0; xi < 16; xi++)
            memcpy(u + xi * MC + first, local[xi], (size_t)count * sizeof(float));
    }
}

/* The padded plane: x placed at (pad_top, pad_left), zeros around and past the end. */
static void pad_input(const wino *g, const float *x, float *padded, int threads)
{
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t c = 0; c < g->C; c++) {
        float *pc = padded + c * g->Hp * g->Wp;
        memset(pc, 0, (size_t)(g->Hp * g->Wp) * sizeof(float));
        for (int64_t r = 0; r < g->H; r++) {
            int64_t pr = r + g->pad_top;
            if (pr < 0 || pr >= g->Hp)
                continue;
            /* Columns of x that land inside the padded width. */
            int64_t c0 = g->pad_left < 0 ? -g->pad_left : 0;
            int64_t c1 = g->W < g->Wp - g->pad_left ? g->W : g->Wp - g->pad_left;
            if (c1 > c0)
                memcpy(pc + pr * g->Wp + c0 + g->pad_left, x + (c * g->H + r) * g->W + c0,
                       (size_t)(c1 - c0) * sizeof(float));
        }
    }
}

/* V[xi][c][j] = (B^T d B)[xi] for the 4x4 window d of tile j of tile rows [ty0, ty1), with
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. B^T d combines four padded rows; with each
 * combination split into even and odd columns, the d B part reads tile tx at columns tx and tx + 1
 * of those halves, so every loop runs over contiguous memory and vectorizes. */
OL_CPU_CLONES
static void transform_input(const wino *g, const float *padded, int64_t ty0, int64_t ty1, float *v, int64_t c,
                            float *rows)
{
    int64_t ld = (ty1 - ty0) * g->TW, plane = g->C * ld, TW = g->TW, half = TW + 1;
    const float *pc = padded + c * g->Hp * g->Wp;
    float *vc = v + c * ld;
    for (int64_t ty = ty0; ty < ty1; ty++) {
        const float *r0 = pc + 2 * ty * g->Wp, *r1 = r0 + g->Wp, *r2 = r1 + g->Wp, *r3 = r2 + g->Wp;
        float *even[4], *odd[4];
        for (int k = 0; k < 4; k++) {
            even[k] = rows + 2 * k * half;
            odd[k] = even[k] + half;
        }
        float *e0 = even[0], *e1 = even[1], *e2 = even[2], *e3 = even[3];
        float *o0 = odd[0], *o1 = odd[1], *o2 = odd[2], *o3 = odd[3];
#pragma omp simd
        for (int64_t i = 0; i < half; i++) {
            float a0 = r0[2 * i], a1 = r1[2 * i], a2 = r2[2 * i], a3 = r3[2 * i];
            float b0 = r0[2 * i + 1], b1 = r1[2 * i + 1], b2 = r2[2 * i + 1], b3 = r3[2 * i + 1];
            e0[i] = a0 - a2, e1[i] = a1 + a2, e2[i] = a2 - a1, e3[i] = a1 - a3;
            o0[i] = b0 - b2, o1[i] = b1 + b2, o2[i] = b2 - b1, o3[i] = b1 - b3;
        }
        float *o = vc + (ty - ty0) * TW;
        for (int k = 0; k < 4; k++) {
            const float *e = even[k], *od = odd[k];
            float *v0 = o + (k * 4 + 0) * plane, *v1 = o + (k * 4 + 1) * plane;
            float *v2 = o + (k * 4 + 2) * plane, *v3 = o + (k * 4 + 3) * plane;
#pragma omp simd
            for (int64_t tx = 0; tx < TW; tx++) {
                v0[tx] = e[tx] - e[tx + 1];
                v1[tx] = od[tx] + e[tx + 1];
                v2[tx] = e[tx + 1] - od[tx];
                v3[tx] = od[tx] - od[tx + 1];
            }
        }
    }
}

/* y tile = A^T m A + bias with A^T = [1 1 1 0; 0 1 -1 -1], for output channel m of the block: the
 * four values of every tile of a row are computed side by side, then interleaved into y. */
OL_CPU_CLONES
static void transform_output(const wino *g, const float *mres, int64_t ty0, int64_t ty1, float bias, float *y,
                             int64_t m, float *rows)
{
    int64_t ld = (ty1 - ty0) * g->TW, plane = g->M * ld, TW = g->TW, OW = g->OW, OH = g->OH;
    const float *mm = mres + m * ld;
    float *ym = y + m * OH * OW;
    float *v00 = rows, *v01 = rows + TW, *v10 = rows + 2 * TW, *v11 = rows + 3 * TW;
    int64_t full = OW / 2;   /* tiles whose two columns are both inside y */
    for (int64_t ty = ty0; ty < ty1; ty++) {
        const float *s = mm + (ty - ty0) * TW;
        const float *q0 = s, *q1 = s + plane, *q2 = s + 2 * plane, *q3 = s + 3 * plane, *q4 = s + 4 * plane;
        const float *q5 = s + 5 * plane, *q6 = s + 6 * plane, *q7 = s + 7 * plane, *q8 = s + 8 * plane;
        const float *q9 = s + 9 * plane, *q10 = s + 10 * plane, *q11 = s + 11 * plane, *q12 = s + 12 * plane;
        const float *q13 = s + 13 * plane, *q14 = s + 14 * plane, *q15 = s + 15 * plane;
#pragma omp simd
        for (int64_t tx = 0; tx < TW; tx++) {
            /* Rows of A^T m: a = m0 + m1 + m2, b = m1 - m2 - m3 (m_i the rows of the 4x4 tile). */
            float a0 = q0[tx] + q4[tx] + q8[tx], a1 = q1[tx] + q5[tx] + q9[tx];
            float a2 = q2[tx] + q6[tx] + q10[tx], a3 = q3[tx] + q7[tx] + q11[tx];
            float b0 = q4[tx] - q8[tx] - q12[tx], b1 = q5[tx] - q9[tx] - q13[tx];
            float b2 = q6[tx] - q10[tx] - q14[tx], b3 = q7[tx] - q11[tx] - q15[tx];
            v00[tx] = bias + a0 + a1 + a2;
            v01[tx] = bias + a1 - a2 - a3;
            v10[tx] = bias + b0 + b1 + b2;
            v11[tx] = bias + b1 - b2 - b3;
        }
        float *y0 = ym + 2 * ty * OW, *y1 = y0 + OW;
#pragma omp simd
        for (int64_t tx = 0; tx < full; tx++) {
            y0[2 * tx] = v00[tx];
            y0[2 * tx + 1] = v01[tx];
        }
        if (full < TW)
            y0[2 * full] = v00[full];
        if (2 * ty + 1 < OH) {
#pragma omp simd
            for (int64_t tx = 0; tx < full; tx++) {
                y1[2 * tx] = v10[tx];
                y1[2 * tx + 1] = v11[tx];
            }
            if (full < TW)
                y1[2 * full] = v10[full];
        }
    }
}

/* Image n of the batch with `threads` threads, in scratch `lane` (padded image, V, GEMM results,
 * row buffers, GEMM workspace). */
static void convolve_image(const ol_conv_params *p, const wino *g, const float *filters, const ol_ktensor *x,
                           const ol_ktensor *b, const ol_ktensor *sum, ol_ktensor *y, int64_t n, float *lane,
                           int threads)
{
    int64_t nu, npad, nv, nm, nrows;
    parts(p, g, threads, &nu, &npad, &nv, &nm, &nrows);
    float *padded = lane, *v = padded + npad, *mres = v + nv, *rows = mres + nm;
    int64_t per_thread = row_buffer_floats(g);
    void *work = rows + threads * per_thread;   /* the packed GEMM's */
    const float *bias = b ? b->data : NULL, *sv = sum ? sum->data : NULL;
    bool finish = ol_conv_has_epilogue(p, sv);
    const float *xn = (const float *)x->data + n * g->C * g->H * g->W;
    float *yn = (float *)y->data + n * g->M * g->OH * g->OW;
    pad_input(g, xn, padded, threads);
    for (int64_t ty0 = 0; ty0 < g->TH; ty0 += g->rows_per_block) {
        int64_t ty1 = ty0 + g->rows_per_block < g->TH ? ty0 + g->rows_per_block : g->TH;
        int64_t tiles = (ty1 - ty0) * g->TW;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
        for (int64_t c = 0; c < g->C; c++)
            transform_input(g, padded, ty0, ty1, v, c, rows + (threads > 1 ? omp_get_thread_num() : 0) * per_thread);
        for (int xi = 0; xi < 16; xi++) {
            ol_sgemm_packed_a plain = {.M = g->M, .K = g->C};
            const ol_sgemm_packed_a *packed = ol_conv_packed_gemm(p, OL_CONV_PATH_WINOGRAD, xi);
            ol_sgemm_packed(packed ? packed : &plain, filters + xi * g->M * g->C, g->C, v + xi * g->C * tiles, tiles,
                            tiles, mres + xi * g->M * tiles, tiles, NULL, NULL, threads, work);
        }
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
        for (int64_t m = 0; m < g->M; m++) {
            transform_output(g, mres, ty0, ty1, bias ? bias[m] : 0.0f, yn, m,
                             rows + (threads > 1 ? omp_get_thread_num() : 0) * per_thread);
            /* The block's output rows of channel m are contiguous in y. */
            int64_t r0 = 2 * ty0, r1 = 2 * ty1 < g->OH ? 2 * ty1 : g->OH, at = (n * g->M + m) * g->OH * g->OW;
            if (finish)
                ol_conv_epilogue_f32(p, 0.0f, sv ? sv + at + r0 * g->OW : NULL, yn + m * g->OH * g->OW + r0 * g->OW,
                                     (r1 - r0) * g->OW);
        }
    }
}

void ol_conv_winograd(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
                      const ol_ktensor *sum, ol_ktensor *y, void *scratch)
{
    wino g = geometry(p, x->dims, w->dims, y->dims);
    int threads = ol_kernel_threads(p->threads), lanes = image_lanes(&g, threads, x->dims[0]);
    int64_t nu, per_lane;
    lane_sizes(p, &g, lanes, &nu, &per_lane);
    float *u = scratch, *lane0 = u + nu;
    const float *filters = u;
    if (p->packed && p->packed->winograd)
        filters = p->packed->winograd;
    else
        ol_conv_winograd_pack(w, u, threads);
    if (lanes == 1) {
        for (int64_t n = 0; n < x->dims[0]; n++)
            convolve_image(p, &g, filters, x, b, sum, y, n, lane0, threads);
        return;
    }
    ol_conv_params one = *p;
    one.threads = 1;
#pragma omp parallel for num_threads(lanes) schedule(static)
    for (int64_t n = 0; n < x->dims[0]; n++)
        convolve_image(&one, &g, filters, x, b, sum, y, n, lane0 + omp_get_thread_num() * per_lane, 1);
}
