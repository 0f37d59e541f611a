/* Sliding-window geometry shared by convolution and pooling: kernel extent, strides, dilations and
 * padding over the spatial axes of an [N, C, spatial...] tensor. Pure arithmetic, no data. */
#ifndef OL_KERNELS_WINDOW_H
#define OL_KERNELS_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/ktensor.h"

#define OL_WINDOW_MAX_SPATIAL (OL_KMAX_RANK - 2)

typedef enum ol_auto_pad {
    OL_AUTO_PAD_NOTSET,      /* explicit pads */
    OL_AUTO_PAD_SAME_UPPER,  /* output = ceil(in / stride); odd padding goes at the end */
    OL_AUTO_PAD_SAME_LOWER,  /* same, odd padding at the beginning */
    OL_AUTO_PAD_VALID,       /* no padding */
} ol_auto_pad;

typedef struct ol_window {
    int spatial;                                 /* number of spatial axes */
    int64_t kernel[OL_WINDOW_MAX_SPATIAL];
    int64_t stride[OL_WINDOW_MAX_SPATIAL];
    int64_t dilation[OL_WINDOW_MAX_SPATIAL];
    int64_t pad_begin[OL_WINDOW_MAX_SPATIAL];
    int64_t pad_end[OL_WINDOW_MAX_SPATIAL];
} ol_window;

/* (kernel - 1) * dilation + 1: the span of input one window covers along axis d. */
int64_t ol_window_extent(const ol_window *w, int d);

/* Computes the output spatial size for input spatial size `in` and, for SAME/VALID, replaces the
 * pads. ceil_mode rounds the window count up (pooling), dropping a last window that would start in
 * the end padding. Returns false when some output size would be < 1 (window larger than the padded
 * input) or a parameter is not positive; `out` is then unspecified. */
bool ol_window_resolve(ol_window *w, const int64_t *in, ol_auto_pad mode, bool ceil_mode, int64_t *out);

/* For output position o along axis d, the kernel taps [*k_begin, *k_end) that land inside [lo, hi)
 * of the input axis (lo/hi may extend into the padding). */
void ol_window_taps(const ol_window *w, int d, int64_t o, int64_t lo, int64_t hi, int64_t *k_begin,
                    int64_t *k_end);

/* Output positions [*lo, *hi) (clipped to [0, n_out)) whose input position o*stride + offset lies
 * inside [0, n_in): the columns a kernel tap reaches without bounds checks. */
void ol_window_inside(int64_t offset, int64_t stride, int64_t n_in, int64_t n_out, int64_t *lo, int64_t *hi);

/* Restates 1-D geometry as 2-D with a unit height (2-D is copied), so 2-D kernels serve both:
 * in/out are the spatial sizes, in2/out2 receive two each. */
void ol_window_as_2d(const ol_window *w, const int64_t *in, const int64_t *out, ol_window *w2, int64_t *in2,
                     int64_t *out2);

#endif
