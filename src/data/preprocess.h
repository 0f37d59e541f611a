/* Applying an ol_preprocess (data/dataset.h) to raw pixels: the layout and channel count it means
 * for a given model input, and the scale/mean/std normalization. Shared by IDX and image sources. */
#ifndef OL_DATA_PREPROCESS_H
#define OL_DATA_PREPROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "data/dataset.h"

/* Where the channels are in one sample of an input (its shape without the batch dim). */
typedef struct ol_pixel_layout {
    bool channels_last;   /* NHWC: a sample is [H, W, C]; otherwise [C, H, W] */
    int64_t channels;     /* 1 for inputs without a channel dim ([N, H, W], [N, 784]) */
    int64_t height, width;   /* -1 where the input leaves them symbolic; 0 without spatial dims */
} ol_pixel_layout;

/* Resolves pp's layout and channel count against an input of shape `dims` (rank with the batch
 * dim; -1 for symbolic dims) and checks that pp's mean/std have 1 value or one per channel. `what`
 * names the input in messages. */
ol_status ol_preprocess_layout(const ol_preprocess *pp, const char *what, int rank, const int64_t *dims,
                               ol_pixel_layout *out, ol_error *err);

/* dst[i] = (src[i] * scale - mean[c]) / std[c] for n pixels whose channel c is (i / inner) % channels
 * (inner = H*W for channel-first data, 1 for channel-last), stored as `dtype` (float32, float64 or
 * float16). */
void ol_preprocess_normalize(const ol_preprocess *pp, const uint8_t *src, size_t n, int64_t channels,
                             int64_t inner, ol_dtype dtype, void *dst);

/* Whether ol_preprocess_normalize can write `dtype`. */
bool ol_preprocess_dtype_ok(ol_dtype dtype);

#endif
