/* Windowed pooling. Float32 max and average over 1-D/2-D windows take a row-at-a-time path: each
 * kernel tap folds one input row into the output row over the columns where it is inside the input,
 * so the interior runs without bounds checks and vectorizes. Everything else (3-D and up, Lp,
 * indices, other dtypes) walks each window with per-axis tap ranges. Planes go to OpenMP threads. */
#include "kernels/pool.h"

#include <math.h>
#include <string.h>

#include "kernels/cpu_clones.h"
#include "kernels/parallel.h"

static int64_t product(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= v[i];
    return p;
}

bool ol_pool_dtype_supported(ol_pool_kind kind, ol_dtype dtype)
{
    if (dtype == OL_FLOAT || dtype == OL_DOUBLE)
        return true;
    return kind == OL_POOL_MAX && (dtype == OL_INT8 || dtype == OL_UINT8);
}

static bool use_row_path(const ol_pool_params *p, const ol_ktensor *x, const int64_t *indices)
{
    return x->dtype == OL_FLOAT && p->win.spatial <= 2 && !indices &&
           (p->kind == OL_POOL_MAX || p->kind == OL_POOL_AVERAGE);
}

static size_t row_plan_bytes(const ol_pool_params *p, const ol_ktensor *x, const ol_ktensor *y);

size_t ol_pool_scratch_bytes(const ol_pool_params *p, const ol_ktensor *x, const ol_ktensor *y)
{
    /* Indices are asked for at run time; the row plan is sized whenever the row path may run. */
    if (x->dtype == OL_FLOAT && p->win.spatial <= 2 && (p->kind == OL_POOL_MAX || p->kind == OL_POOL_AVERAGE))
        return row_plan_bytes(p, x, y);
    return 0;
}

/* Taps of output position o along axis d that count for the average's divisor. */
static int64_t divisor_taps(const ol_pool_params *p, int d, int64_t o, int64_t in)
{
    const ol_window *w = &p->win;
    int64_t b, e;
    if (p->count_include_pad)
        ol_window_taps(w, d, o, -w->pad_begin[d], in + w->pad_end[d], &b, &e);
    else
        ol_window_taps(w, d, o, 0, in, &b, &e);
    return e - b;
}

/* ---- the row path (float32, 2-D; 1-D as height 1) ---- */

/* What every output row shares, computed once per call: for kernel column kw, the output columns
 * [lo[kw], hi[kw]) whose tap is inside the input, and (average) each column's divisor taps. */
typedef struct row_plan {
    const int64_t *lo, *hi;
    const float *col_taps;
} row_plan;

/* Folds tap kw of input row xr into the output row: y = max(y, x) or y += x. */
#define FOLD_ROW(OP)                                                                                \
    do {                                                                                            \
        for (int64_t kw = 0; kw < KW; kw++) {                                                       \
            int64_t offset = kw * dw - w->pad_begin[1], lo = plan->lo[kw], hi = plan->hi[kw];       \
            if (sw == 1) {                                                                          \
                _Pragma("omp simd") for (int64_t ow = lo; ow < hi; ow++) OP(yr[ow], xr[ow + offset]); \
            } else if (sw == 2) {                                                                   \
                _Pragma("omp simd") for (int64_t ow = lo; ow < hi; ow++) OP(yr[ow], xr[2 * ow + offset]); \
            } else {                                                                                \
                _Pragma("omp simd") for (int64_t ow = lo; ow < hi; ow++) OP(yr[ow], xr[ow * sw + offset]); \
            }                                                                                       \
        }                                                                                           \
    } while (0)

#define MAX_INTO(acc, v) acc = (v) > (acc) ? (v) : (acc)
#define ADD_INTO(acc, v) acc += (v)

/* Reduces the window's input rows for output row oh into one row (element-wise max or sum over the
 * kernel rows inside the input): afterwards only the horizontal part of the window is left. Returns
 * that row (an input row itself when only one kernel row is inside), or NULL when none is. */
#define DEFINE_VERTICAL(NAME, OP)                                                                   \
    static inline __attribute__((always_inline)) const float *NAME(                                 \
        const float *x, int64_t H, int64_t W, int64_t oh, const ol_window *w, float *buf)           \
    {                                                                                               \
        int64_t kh_begin, kh_end;                                                                   \
        ol_window_taps(w, 0, oh, 0, H, &kh_begin, &kh_end);                                         \
        if (kh_begin == kh_end)                                                                     \
            return NULL;                                                                            \
        const float *first = x + (oh * w->stride[0] - w->pad_begin[0] + kh_begin * w->dilation[0]) * W; \
        if (kh_end - kh_begin == 1)                                                                 \
            return first;                                                                           \
        for (int64_t c = 0; c < W; c++)                                                             \
            buf[c] = first[c];                                                                      \
        for (int64_t kh = kh_begin + 1; kh < kh_end; kh++) {                                        \
            const float *xr = first + (kh - kh_begin) * w->dilation[0] * W;                         \
            _Pragma("omp simd") for (int64_t c = 0; c < W; c++) OP(buf[c], xr[c]);                  \
        }                                                                                           \
        return buf;                                                                                 \
    }

DEFINE_VERTICAL(vertical_max, MAX_INTO)
DEFINE_VERTICAL(vertical_sum, ADD_INTO)

/* Max pooling of one plane: per output row, the kernel rows are reduced first (contiguous over
 * the input width), then the kernel columns (KW passes over the output row). buf: W floats. */
OL_CPU_CLONES
static void max_plane_f32(const float *x, int64_t H, int64_t W, float *y, int64_t OH, int64_t OW,
                          const ol_window *w, const row_plan *plan, float *buf)
{
    int64_t KW = w->kernel[1], sw = w->stride[1], dw = w->dilation[1];
    for (int64_t oh = 0; oh < OH; oh++) {
        float *yr = y + oh * OW;
        for (int64_t ow = 0; ow < OW; ow++)
            yr[ow] = -INFINITY;
        const float *xr = vertical_max(x, H, W, oh, w, buf);
        if (xr)
            FOLD_ROW(MAX_INTO);
    }
}

OL_CPU_CLONES
static void average_plane_f32(const ol_pool_params *p, const float *x, int64_t H, int64_t W, float *y,
                              int64_t OH, int64_t OW, const ol_window *w, const row_plan *plan, float *buf)
{
    int64_t KW = w->kernel[1], sw = w->stride[1], dw = w->dilation[1];
    const float *col_taps = plan->col_taps;
    for (int64_t oh = 0; oh < OH; oh++) {
        float *yr = y + oh * OW;
        memset(yr, 0, (size_t)OW * sizeof(float));
        const float *xr = vertical_sum(x, H, W, oh, w, buf);
        if (xr)
            FOLD_ROW(ADD_INTO);
        float row_taps = (float)divisor_taps(p, 0, oh, H);
#pragma omp simd
        for (int64_t ow = 0; ow < OW; ow++) {
            float taps = row_taps * col_taps[ow];
            yr[ow] = taps > 0 ? yr[ow] / taps : 0.0f;
        }
    }
}

static size_t row_plan_bytes(const ol_pool_params *p, const ol_ktensor *x, const ol_ktensor *y)
{
    int64_t KW = p->win.kernel[p->win.spatial - 1], OW = y->dims[y->rank - 1], W = x->dims[x->rank - 1];
    return (size_t)(2 * KW) * sizeof(int64_t) + (size_t)(OW + ol_kernel_threads(p->threads) * W) * sizeof(float);
}

static void pool_rows_f32(const ol_pool_params *p, const ol_ktensor *x, ol_ktensor *y, void *scratch)
{
    ol_pool_params p2 = *p;   /* the same parameters over 2-D geometry */
    int64_t in[2], out[2];
    ol_window_as_2d(&p->win, x->dims + 2, y->dims + 2, &p2.win, in, out);
    const ol_window *w = &p2.win;
    int64_t KW = w->kernel[1], *lo = scratch, *hi = lo + KW;
    float *col_taps = (float *)(hi + KW);
    for (int64_t kw = 0; kw < KW; kw++)
        ol_window_inside(kw * w->dilation[1] - w->pad_begin[1], w->stride[1], in[1], out[1], &lo[kw], &hi[kw]);
    if (p->kind == OL_POOL_AVERAGE)
        for (int64_t ow = 0; ow < out[1]; ow++)
            col_taps[ow] = (float)divisor_taps(&p2, 1, ow, in[1]);
    row_plan plan = {lo, hi, col_taps};
    float *buffers = col_taps + out[1];
    int64_t planes = x->dims[0] * x->dims[1];
    int threads = ol_kernel_threads(p->threads);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t plane = 0; plane < planes; plane++) {
        const float *xp = (const float *)x->data + plane * in[0] * in[1];
        float *yp = (float *)y->data + plane * out[0] * out[1], *buf = buffers + omp_get_thread_num() * in[1];
        if (p2.kind == OL_POOL_AVERAGE)
            average_plane_f32(&p2, xp, in[0], in[1], yp, out[0], out[1], w, &plan, buf);
        else
            max_plane_f32(xp, in[0], in[1], yp, out[0], out[1], w, &plan, buf);
    }
}

/* ---- the general path ---- */

/* Per-axis tap ranges of the window at output position `pos`; false when some axis has none. */
static bool window_taps(const ol_window *w, const int64_t *pos, const int64_t *in, int64_t *begin, int64_t *end)
{
    bool any = true;
    for (int d = 0; d < w->spatial; d++) {
        ol_window_taps(w, d, pos[d], 0, in[d], &begin[d], &end[d]);
        any = any && begin[d] < end[d];
    }
    return any;
}

/* Row-major offset in the plane of tap `k` of the window at `pos`. */
static int64_t tap_offset(const ol_window *w, const int64_t *pos, const int64_t *k, const int64_t *in)
{
    int64_t off = 0;
    for (int d = 0; d < w->spatial; d++)
        off = off * in[d] + pos[d] * w->stride[d] - w->pad_begin[d] + k[d] * w->dilation[d];
    return off;
}

/* Advances the odometer k over [begin, end) per axis; false once it wraps around. */
static bool next_tap(int S, int64_t *k, const int64_t *begin, const int64_t *end)
{
    for (int d = S - 1; d >= 0; d--) {
        if (++k[d] < end[d])
            return true;
        k[d] = begin[d];
    }
    return false;
}

static int64_t column_major(int64_t offset, const int64_t *in, int S)
{
    int64_t coord[OL_WINDOW_MAX_SPATIAL], out = 0;
    for (int d = S - 1; d >= 0; d--) {
        coord[d] = offset % in[d];
        offset /= in[d];
    }
    for (int d = S - 1; d >= 0; d--)
        out = out * in[d] + coord[d];
    return out;
}

#define DEFINE_MAX_POOL(T, NAME, LOWEST)                                                            \
    static void NAME(const ol_pool_params *p, const T *x, int64_t planes, const int64_t *in,        \
                     const int64_t *out, T *y, int64_t *indices)                                    \
    {                                                                                               \
        const ol_window *w = &p->win;                                                               \
        int S = w->spatial, threads = ol_kernel_threads(p->threads);                                \
        int64_t iprod = product(in, S), oprod = product(out, S);                                    \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1) schedule(static)")          \
        for (int64_t plane = 0; plane < planes; plane++) {                                          \
            const T *xp = x + plane * iprod;                                                        \
            int64_t pos[OL_WINDOW_MAX_SPATIAL] = {0}, begin[OL_WINDOW_MAX_SPATIAL];                  \
            int64_t end[OL_WINDOW_MAX_SPATIAL], k[OL_WINDOW_MAX_SPATIAL];                            \
            for (int64_t j = 0; j < oprod; j++) {                                                   \
                T best = LOWEST;                                                                    \
                int64_t best_at = -1;                                                               \
                if (window_taps(w, pos, in, begin, end)) {                                          \
                    memcpy(k, begin, (size_t)S * sizeof *k);                                        \
                    do {                                                                            \
                        int64_t off = tap_offset(w, pos, k, in);                                    \
                        if (best_at < 0 || xp[off] > best) {                                        \
                            best = xp[off];                                                         \
                            best_at = off;                                                          \
                        }                                                                           \
                    } while (next_tap(S, k, begin, end));                                           \
                }                                                                                   \
                y[plane * oprod + j] = best;                                                        \
                if (indices)                                                                        \
                    indices[plane * oprod + j] =                                                    \
                        best_at < 0 ? -1                                                            \
                                    : plane * iprod + (p->column_major_indices                      \
                                                           ? column_major(best_at, in, S)           \
                                                           : best_at);                              \
                for (int d = S - 1; d >= 0 && ++pos[d] == out[d]; d--)                              \
                    pos[d] = 0;                                                                     \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_MAX_POOL(float, max_pool_f32, -INFINITY)
DEFINE_MAX_POOL(double, max_pool_f64, -INFINITY)
DEFINE_MAX_POOL(int8_t, max_pool_i8, INT8_MIN)
DEFINE_MAX_POOL(uint8_t, max_pool_u8, 0)

/* Average and Lp: sums in double, then the mean or the p-th root. */
#define DEFINE_SUM_POOL(T, NAME)                                                                    \
    static void NAME(const ol_pool_params *p, const T *x, int64_t planes, const int64_t *in,        \
                     const int64_t *out, T *y)                                                      \
    {                                                                                               \
        const ol_window *w = &p->win;                                                               \
        int S = w->spatial, threads = ol_kernel_threads(p->threads);                                \
        int64_t iprod = product(in, S), oprod = product(out, S);                                    \
        bool lp = p->kind == OL_POOL_LP;                                                            \
        double exponent = p->p;                                                             \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1) schedule(static)")          \
        for (int64_t plane = 0; plane < planes; plane++) {                                          \
            const T *xp = x + plane * iprod;                                                        \
            int64_t pos[OL_WINDOW_MAX_SPATIAL] = {0}, begin[OL_WINDOW_MAX_SPATIAL];                  \
            int64_t end[OL_WINDOW_MAX_SPATIAL], k[OL_WINDOW_MAX_SPATIAL];                            \
            for (int64_t j = 0; j < oprod; j++) {                                                   \
                double sum = 0;                                                                     \
                if (window_taps(w, pos, in, begin, end)) {                                          \
                    memcpy(k, begin, (size_t)S * sizeof *k);                                        \
                    do {                                                                            \
                        double v = (double)xp[tap_offset(w, pos, k, in)];                           \
                        sum += !lp ? v : exponent == 1 ? fabs(v) : exponent == 2 ? v * v            \
                                                                   : pow(fabs(v), exponent);        \
                    } while (next_tap(S, k, begin, end));                                           \
                }                                                                                   \
                double result;                                                                      \
                if (lp) {                                                                           \
                    result = exponent == 1 ? sum : exponent == 2 ? sqrt(sum) : pow(sum, 1 / exponent); \
                } else {                                                                            \
                    double taps = 1;                                                                \
                    for (int d = 0; d < S; d++)                                                     \
                        taps *= (double)divisor_taps(p, d, pos[d], in[d]);                          \
                    result = taps > 0 ? sum / taps : 0;                                             \
                }                                                                                   \
                y[plane * oprod + j] = (T)result;                                                   \
                for (int d = S - 1; d >= 0 && ++pos[d] == out[d]; d--)                              \
                    pos[d] = 0;                                                                     \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_SUM_POOL(float, sum_pool_f32)
DEFINE_SUM_POOL(double, sum_pool_f64)

void ol_pool(const ol_pool_params *p, const ol_ktensor *x, ol_ktensor *y, int64_t *indices, void *scratch)
{
    if (ol_ktensor_numel(y) == 0)
        return;
    if (use_row_path(p, x, indices)) {
        pool_rows_f32(p, x, y, scratch);
        return;
    }
    int64_t planes = x->dims[0] * x->dims[1];
    const int64_t *in = x->dims + 2, *out = y->dims + 2;
    if (p->kind == OL_POOL_MAX) {
        switch (x->dtype) {
        case OL_FLOAT:
            max_pool_f32(p, x->data, planes, in, out, y->data, indices);
            break;
        case OL_DOUBLE:
            max_pool_f64(p, x->data, planes, in, out, y->data, indices);
            break;
        case OL_INT8:
            max_pool_i8(p, x->data, planes, in, out, y->data, indices);
            break;
        case OL_UINT8:
            max_pool_u8(p, x->data, planes, in, out, y->data, indices);
            break;
        default:
            break;
        }
    } else if (x->dtype == OL_DOUBLE) {
        sum_pool_f64(p, x->data, planes, in, out, y->data);
    } else {
        sum_pool_f32(p, x->data, planes, in, out, y->data);
    }
}
