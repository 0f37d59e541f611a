/* Rotary position embedding (float32): rotates pairs of features of each head by angles whose cos
 * and sin come from caches. */
#ifndef OL_KERNELS_ROTARY_H
#define OL_KERNELS_ROTARY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ol_rotary_params {
    int64_t batch, seq, heads, head_size;
    int64_t rotary_dim;          /* leading features rotated (even, <= head_size); the rest are copied */
    bool interleaved;            /* pairs (0,1), (2,3), ... instead of (i, i + rotary_dim / 2) */
    /* Element strides of x and y, viewed as [batch][seq][heads][head_size] with contiguous heads'
     * features, so [batch][heads][seq][head_size] and [batch][seq][heads * head_size] both fit. */
    int64_t batch_stride, seq_stride, head_stride;
} ol_rotary_params;

/* cos and sin hold rotary_dim / 2 values per row; row (b, s) is position_ids[b * seq + s] when
 * position_ids is given, else b * seq + s. Position ids must be valid rows. */
void ol_rotary_embedding_f32(const ol_rotary_params *p, const float *x, const float *cos, const float *sin,
                             const int64_t *position_ids, float *y);

#endif
