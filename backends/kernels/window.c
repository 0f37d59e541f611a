#include "kernels/window.h"

int64_t ol_window_extent(const ol_window *w, int d)
{
    return (w->kernel[d] - 1) * w->dilation[d] + 1;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    /* b > 0; rounds toward +infinity for either sign of a. */
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

bool ol_window_resolve(ol_window *w, const int64_t *in, ol_auto_pad mode, bool ceil_mode, int64_t *out)
{
    for (int d = 0; d < w->spatial; d++) {
        if (w->kernel[d] < 1 || w->stride[d] < 1 || w->dilation[d] < 1 || in[d] < 0)
            return false;
        int64_t extent = ol_window_extent(w, d), s = w->stride[d];
        switch (mode) {
        case OL_AUTO_PAD_SAME_UPPER:
        case OL_AUTO_PAD_SAME_LOWER: {
            out[d] = ceil_div(in[d], s);
            int64_t total = (out[d] - 1) * s + extent - in[d];
            if (total < 0)
                total = 0;
            int64_t small = total / 2, large = total - small;
            w->pad_begin[d] = mode == OL_AUTO_PAD_SAME_UPPER ? small : large;
            w->pad_end[d] = mode == OL_AUTO_PAD_SAME_UPPER ? large : small;
            break;
        }
        case OL_AUTO_PAD_VALID:
            w->pad_begin[d] = w->pad_end[d] = 0;
            out[d] = floor_div(in[d] - extent, s) + 1;
            break;
        case OL_AUTO_PAD_NOTSET: {
            if (w->pad_begin[d] < 0 || w->pad_end[d] < 0)
                return false;
            int64_t span = in[d] + w->pad_begin[d] + w->pad_end[d] - extent;
            if (ceil_mode) {
                out[d] = ceil_div(span, s) + 1;
                /* The last window must start inside the input or the begin padding. */
                if ((out[d] - 1) * s >= in[d] + w->pad_begin[d])
                    out[d]--;
            } else {
                out[d] = floor_div(span, s) + 1;
            }
            break;
        }
        }
        if (out[d] < 1)
            return false;
    }
    return true;
}

void ol_window_taps(const ol_window *w, int d, int64_t o, int64_t lo, int64_t hi, int64_t *k_begin,
                    int64_t *k_end)
{
    int64_t start = o * w->stride[d] - w->pad_begin[d], dil = w->dilation[d];
    /* Smallest k with start + k*dil >= lo, and one past the largest with start + k*dil < hi. */
    int64_t b = start >= lo ? 0 : ceil_div(lo - start, dil);
    int64_t e = start >= hi ? 0 : ceil_div(hi - start, dil);
    if (e > w->kernel[d])
        e = w->kernel[d];
    if (b > e)
        b = e;
    *k_begin = b;
    *k_end = e;
}

void ol_window_as_2d(const ol_window *w, const int64_t *in, const int64_t *out, ol_window *w2, int64_t *in2,
                     int64_t *out2)
{
    if (w->spatial == 2) {
        *w2 = *w;
        in2[0] = in[0], in2[1] = in[1], out2[0] = out[0], out2[1] = out[1];
        return;
    }
    *w2 = (ol_window){.spatial = 2};
    w2->kernel[0] = w2->stride[0] = w2->dilation[0] = 1;
    w2->kernel[1] = w->kernel[0], w2->stride[1] = w->stride[0], w2->dilation[1] = w->dilation[0];
    w2->pad_begin[1] = w->pad_begin[0], w2->pad_end[1] = w->pad_end[0];
    in2[0] = out2[0] = 1;
    in2[1] = in[0], out2[1] = out[0];
}

void ol_window_inside(int64_t offset, int64_t stride, int64_t n_in, int64_t n_out, int64_t *lo, int64_t *hi)
{
    *lo = offset >= 0 ? 0 : ceil_div(-offset, stride);
    *hi = n_in - offset <= 0 ? 0 : ceil_div(n_in - offset, stride);
    if (*hi > n_out)
        *hi = n_out;
    if (*lo > *hi)
        *lo = *hi;
}
