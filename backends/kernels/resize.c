#include "kernels/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/axis_gather.h"

/* Interpolation taps of one axis: output position j reads index[j*n + t] with weight[j*n + t],
 * or is the extrapolation value when extrapolated[j]. */
typedef struct taps {
    int64_t n;
    int64_t *index;
    double *weight;
    float *weight_f;      /* the same, for float data */
    bool *extrapolated;
    bool any_extrapolated;
} taps;

static void taps_free(taps *t)
{
    free(t->index);
    free(t->weight);
    free(t->weight_f);
    free(t->extrapolated);
}

static double source_coordinate(const ol_resize_params *p, int axis, int64_t j, int64_t in, int64_t out,
                                 bool *extrapolated)
{
    double scale = p->scales[axis], out_f = scale * (double)in, y = (double)j;
    *extrapolated = false;
    switch (p->coord) {
    case OL_COORD_ALIGN_CORNERS:
        return out_f == 1 ? 0.0 : y * (double)(in - 1) / (out_f - 1);
    case OL_COORD_ASYMMETRIC:
        return y / scale;
    case OL_COORD_TF_CROP_AND_RESIZE: {
        double start = p->roi_start[axis], end = p->roi_end[axis], x;
        if (out_f == 1)
            x = (end - start) * (double)(in - 1) / 2;
        else
            x = y * (end - start) * (double)(in - 1) / (out_f - 1);
        x += start * (double)(in - 1);
        *extrapolated = x < 0 || x > (double)(in - 1);
        return x;
    }
    case OL_COORD_PYTORCH_HALF_PIXEL:
        return out_f == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
    case OL_COORD_HALF_PIXEL_SYMMETRIC: {
        double adjustment = (double)out / out_f, center = (double)in / 2;
        return center * (1 - adjustment) + (y + 0.5) / scale - 0.5;
    }
    case OL_COORD_HALF_PIXEL:
    default:
        return (y + 0.5) / scale - 0.5;
    }
}

static double cubic_weight(double x, double a)
{
    x = fabs(x);
    if (x <= 1)
        return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2)
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
}

/* Number of taps per output position for this axis. */
static int64_t tap_count(const ol_resize_params *p, double scale)
{
    double s = scale < 1 ? scale : 1;
    if (p->mode == OL_RESIZE_NEAREST || (p->mode == OL_RESIZE_LINEAR && !p->antialias))
        return 2;
    if (p->mode == OL_RESIZE_CUBIC && !p->antialias)
        return 4;
    double reach = p->mode == OL_RESIZE_LINEAR ? 1 : 2;
    double first = floor(-reach / s) + 1;
    if (!(first > -1e9))
        return -1;
    return 2 - 2 * (int64_t)first;
}

/* Weights for a sample at distance `ratio` in (0, 1] past the tap before it (the ONNX reference's
 * get_coeffs functions). */
static void tap_weights(const ol_resize_params *p, double ratio, double scale, int64_t n, double *w)
{
    double a = p->cubic_a, s = scale < 1 ? scale : 1;
    if (p->mode == OL_RESIZE_NEAREST) {
        bool ceil_side;
        if (ratio == 1)
            ceil_side = true;
        else if (p->nearest == OL_NEAREST_ROUND_PREFER_FLOOR)
            ceil_side = ratio > 0.5;
        else if (p->nearest == OL_NEAREST_ROUND_PREFER_CEIL)
            ceil_side = ratio >= 0.5;
        else
            ceil_side = p->nearest == OL_NEAREST_CEIL;
        w[0] = !ceil_side;
        w[1] = ceil_side;
        return;
    }
    if (!p->antialias) {
        if (p->mode == OL_RESIZE_LINEAR) {
            w[0] = 1 - ratio;
            w[1] = ratio;
        } else {
            w[0] = cubic_weight(ratio + 1, a);
            w[1] = cubic_weight(ratio, a);
            w[2] = cubic_weight(1 - ratio, a);
            w[3] = cubic_weight(2 - ratio, a);
        }
        return;
    }
    /* Antialiased: the kernel stretched by 1/s, sampled at every tap and normalized. */
    int64_t first = 1 - n / 2;
    double sum = 0;
    for (int64_t t = 0; t < n; t++) {
        double arg = ((double)(first + t) - ratio) * s;
        if (p->mode == OL_RESIZE_LINEAR) {
            double v = 1 - fabs(arg);
            w[t] = v < 0 ? 0 : v > 1 ? 1 : v;
        } else {
            w[t] = cubic_weight(arg, a);
        }
        sum += w[t];
    }
    for (int64_t t = 0; t < n; t++)
        w[t] /= sum;
}

static ol_status build_taps(const ol_resize_params *p, int axis, int64_t in, int64_t out, taps *t)
{
    memset(t, 0, sizeof *t);
    int64_t n = tap_count(p, p->scales[axis]);
    if (n <= 0 || n > (int64_t)1 << 30 || (out && n > INT64_MAX / 16 / out))
        return OL_ERR_NOMEM;
    size_t count = (size_t)(n * out);
    double *w = malloc((size_t)n * sizeof *w);
    t->n = n;
    t->index = malloc((count ? count : 1) * sizeof *t->index);
    t->weight = malloc((count ? count : 1) * sizeof *t->weight);
    t->weight_f = malloc((count ? count : 1) * sizeof *t->weight_f);
    t->extrapolated = malloc((size_t)(out ? out : 1) * sizeof *t->extrapolated);
    if (!w || !t->index || !t->weight || !t->weight_f || !t->extrapolated) {
        free(w);
        taps_free(t);
        return OL_ERR_NOMEM;
    }
    for (int64_t j = 0; j < out; j++) {
        int64_t *idx = t->index + j * n;
        double x = source_coordinate(p, axis, j, in, out, &t->extrapolated[j]);
        t->any_extrapolated |= t->extrapolated[j];
        double fl = floor(x);
        /* The reference prefers the pixel left of x: an exact integer is at ratio 1, not 0. */
        double ratio = x == fl ? 1.0 : x - fl;
        tap_weights(p, ratio, p->scales[axis], n, w);
        /* The n integer positions nearest to x, ties going to the smaller ones. */
        double frac = x - fl;
        int64_t base = (int64_t)fl, first;
        if (n % 2 == 0)
            first = base - n / 2 + (frac == 0 ? 0 : 1);
        else
            first = base - (n - 1) / 2 + (frac <= 0.5 ? 0 : 1);
        bool exclude = p->exclude_outside && p->mode != OL_RESIZE_NEAREST;
        double sum = 0;
        for (int64_t k = 0; k < n; k++) {
            int64_t i = first + k;
            if (exclude && (i < 0 || i >= in))
                w[k] = 0;
            sum += w[k];
            /* Beyond the edges the input repeats its edge values. */
            idx[k] = i < 0 ? 0 : i >= in ? in - 1 : i;
        }
        for (int64_t k = 0; k < n; k++) {
            t->weight[j * n + k] = exclude && sum != 0 ? w[k] / sum : w[k];
            t->weight_f[j * n + k] = (float)t->weight[j * n + k];
        }
    }
    free(w);
    return OL_OK;
}

static bool axis_unchanged(const ol_resize_params *p, int axis, int64_t in, int64_t out)
{
    if (out != in || fabs(p->scales[axis] - 1) > 1e-9)
        return false;
    return p->coord != OL_COORD_TF_CROP_AND_RESIZE ||
           (fabs(p->roi_start[axis]) <= 1e-9 && fabs(p->roi_end[axis] - 1) <= 1e-9);
}

/* One 1-D pass: src [outer, in, inner] -> dst [outer, out, inner], for float and double data. */
#define RESIZE_PASS(name, type, weights)                                                          \
    static void name(const type *src, type *dst, int64_t outer, int64_t in, int64_t out,          \
                     int64_t inner, const taps *t, type extrapolation)                            \
    {                                                                                             \
        int64_t n = t->n;                                                                         \
        const int64_t *idx = t->index;                                                            \
        const type *w = t->weights;                                                               \
        if (inner == 1 && n == 2 && !t->any_extrapolated) {                                       \
            /* the common last-axis linear (and nearest) case: two taps per output */             \
            for (int64_t o = 0; o < outer; o++) {                                                 \
                const type *s = src + o * in;                                                     \
                type *d = dst + o * out;                                                          \
                for (int64_t j = 0; j < out; j++)                                                 \
                    d[j] = w[2 * j] * s[idx[2 * j]] + w[2 * j + 1] * s[idx[2 * j + 1]];           \
            }                                                                                     \
            return;                                                                               \
        }                                                                                         \
        for (int64_t o = 0; o < outer; o++) {                                                     \
            const type *s = src + o * in * inner;                                                 \
            for (int64_t j = 0; j < out; j++) {                                                   \
                type *d = dst + (o * out + j) * inner;                                            \
                const int64_t *ij = idx + j * n;                                                  \
                const type *wj = w + j * n;                                                       \
                if (t->extrapolated[j]) {                                                         \
                    for (int64_t k = 0; k < inner; k++)                                           \
                        d[k] = extrapolation;                                                     \
                } else if (inner == 1) {                                                          \
                    type acc = 0;                                                                 \
                    for (int64_t q = 0; q < n; q++)                                               \
                        acc += wj[q] * s[ij[q]];                                                  \
                    d[0] = acc;                                                                   \
                } else {                                                                          \
                    for (int64_t k = 0; k < inner; k++)                                           \
                        d[k] = 0;                                                                 \
                    for (int64_t q = 0; q < n; q++) {                                             \
                        const type *row = s + ij[q] * inner;                                      \
                        type wq = wj[q];                                                          \
                        if (wq != 0)                                                              \
                            for (int64_t k = 0; k < inner; k++)                                   \
                                d[k] += wq * row[k];                                              \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

RESIZE_PASS(resize_pass_f32, float, weight_f)
RESIZE_PASS(resize_pass_f64, double, weight)

/* One pass per resized axis; the last writes y, the others an intermediate buffer (two buffers in
 * turn when there are three passes or more). */
static ol_status resize_passes(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p, size_t es)
{
    int rank = x->rank;
    if (ol_ktensor_numel(y) == 0)
        return OL_OK;
    int64_t dims[OL_KMAX_RANK], biggest = 0;
    int last_axis = -1, passes = 0;
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)rank);
    for (int a = 0; a < rank; a++) {
        if (axis_unchanged(p, a, x->dims[a], y->dims[a]))
            continue;
        if (passes++ > 0) {
            int64_t numel = 1;
            for (int d = 0; d < rank; d++)
                numel *= dims[d];
            biggest = numel > biggest ? numel : biggest;
        }
        dims[a] = y->dims[a];
        last_axis = a;
    }
    if (passes == 0) {
        memcpy(y->data, x->data, ol_ktensor_nbytes(x));
        return OL_OK;
    }
    uint8_t *work[2] = {NULL, NULL};
    for (int k = 0; k < (passes > 2 ? 2 : passes - 1); k++)
        if (!(work[k] = malloc((size_t)(biggest ? biggest : 1) * es))) {
            free(work[0]);
            return OL_ERR_NOMEM;
        }
    ol_status st = OL_OK;
    const void *cur = x->data;
    int flip = 0;
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)rank);
    for (int a = 0; a < rank && st == OL_OK; a++) {
        if (axis_unchanged(p, a, x->dims[a], y->dims[a]))
            continue;
        taps t;
        st = build_taps(p, a, dims[a], y->dims[a], &t);
        if (st != OL_OK)
            break;
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < a; d++)
            outer *= dims[d];
        for (int d = a + 1; d < rank; d++)
            inner *= dims[d];
        void *next = a == last_axis ? y->data : work[flip];
        if (es == sizeof(float))
            resize_pass_f32(cur, next, outer, dims[a], y->dims[a], inner, &t, p->extrapolation_value);
        else
            resize_pass_f64(cur, next, outer, dims[a], y->dims[a], inner, &t, p->extrapolation_value);
        taps_free(&t);
        dims[a] = y->dims[a];
        cur = next;
        flip ^= 1;
    }
    free(work[0]);
    free(work[1]);
    return st;
}

ol_status ol_resize_float(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p)
{
    return resize_passes(x, y, p, sizeof(float));
}

ol_status ol_resize_double(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p)
{
    return resize_passes(x, y, p, sizeof(double));
}

ol_status ol_resize_nearest(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p,
                            const void *fill)
{
    int rank = x->rank;
    if (ol_ktensor_numel(y) == 0)
        return OL_OK;
    int64_t *maps[OL_KMAX_RANK] = {NULL};
    ol_status st = OL_OK;
    for (int a = 0; a < rank && st == OL_OK; a++) {
        maps[a] = malloc((size_t)y->dims[a] * sizeof *maps[a]);
        if (!maps[a]) {
            st = OL_ERR_NOMEM;
            break;
        }
        if (axis_unchanged(p, a, x->dims[a], y->dims[a])) {
            for (int64_t j = 0; j < y->dims[a]; j++)
                maps[a][j] = j;
            continue;
        }
        taps t;
        st = build_taps(p, a, x->dims[a], y->dims[a], &t);
        if (st != OL_OK)
            break;
        /* The tap with weight 1 is the nearest pixel. */
        for (int64_t j = 0; j < y->dims[a]; j++) {
            int tap = t.weight[2 * j + 1] > t.weight[2 * j];
            maps[a][j] = t.extrapolated[j] ? -1 : t.index[2 * j + tap];
        }
        taps_free(&t);
    }
    if (st == OL_OK)
        st = ol_axis_gather(x, y, (const int64_t *const *)maps, fill);
    for (int a = 0; a < rank; a++)
        free(maps[a]);
    return st;
}
