#include "kernels/col2im.h"

#include <string.h>

int64_t ol_col2im_blocks(const ol_col2im_params *p, int64_t *per_dim)
{
    int64_t total = 1;
    for (int d = 0; d < p->spatial; d++) {
        int64_t span = p->dilations[d] * (p->block[d] - 1) + 1;
        int64_t room = p->image[d] + p->pads_begin[d] + p->pads_end[d] - span;
        per_dim[d] = room < 0 ? -1 : room / p->strides[d] + 1;
        if (per_dim[d] < 0)
            return -1;
        total *= per_dim[d];
    }
    return total;
}

/* Adds every (block element, column) value to the image element it covers. */
#define DEFINE_COL2IM(T, NAME)                                                                          \
    void NAME(const ol_col2im_params *p, const T *x, T *y)                                              \
    {                                                                                                   \
        int r = p->spatial;                                                                             \
        int64_t cols[OL_COL2IM_MAX_SPATIAL], kernel = 1, image = 1;                                     \
        int64_t n_cols = ol_col2im_blocks(p, cols);                                                     \
        for (int d = 0; d < r; d++) {                                                                   \
            kernel *= p->block[d];                                                                      \
            image *= p->image[d];                                                                       \
        }                                                                                               \
        memset(y, 0, sizeof(T) * (size_t)(p->n * p->c * image));                                        \
        for (int64_t plane = 0; plane < p->n * p->c; plane++) {                                         \
            const T *src = x + plane * kernel * n_cols;                                                 \
            T *dst = y + plane * image;                                                                 \
            for (int64_t k = 0; k < kernel; k++)                                                        \
                for (int64_t col = 0; col < n_cols; col++) {                                            \
                    int64_t rem_k = k, rem_c = col, offset = 0, stride = 1;                             \
                    int d = r - 1;                                                                      \
                    for (; d >= 0; d--) {                                                               \
                        int64_t kd = rem_k % p->block[d], cd = rem_c % cols[d];                         \
                        rem_k /= p->block[d];                                                           \
                        rem_c /= cols[d];                                                               \
                        int64_t at = cd * p->strides[d] - p->pads_begin[d] + kd * p->dilations[d];      \
                        if (at < 0 || at >= p->image[d])                                                \
                            break;                                                                      \
                        offset += at * stride;                                                          \
                        stride *= p->image[d];                                                          \
                    }                                                                                   \
                    if (d < 0)                                                                          \
                        dst[offset] += src[k * n_cols + col];                                           \
                }                                                                                       \
        }                                                                                               \
    }

DEFINE_COL2IM(float, ol_col2im_f32)
DEFINE_COL2IM(double, ol_col2im_f64)
