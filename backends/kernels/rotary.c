#include "kernels/rotary.h"

#include <string.h>

void ol_rotary_embedding_f32(const ol_rotary_params *p, const float *x, const float *cos, const float *sin,
                             const int64_t *position_ids, float *y)
{
    int64_t half = p->rotary_dim / 2;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t s = 0; s < p->seq; s++) {
            int64_t row = position_ids ? position_ids[b * p->seq + s] : b * p->seq + s;
            const float *c = cos + row * half, *sn = sin + row * half;
            for (int64_t h = 0; h < p->heads; h++) {
                int64_t offset = b * p->batch_stride + s * p->seq_stride + h * p->head_stride;
                const float *in = x + offset;
                float *out = y + offset;
                for (int64_t i = 0; i < half; i++) {
                    int64_t i1 = p->interleaved ? 2 * i : i, i2 = p->interleaved ? 2 * i + 1 : i + half;
                    float x1 = in[i1], x2 = in[i2];
                    out[i1] = c[i] * x1 - sn[i] * x2;
                    out[i2] = sn[i] * x1 + c[i] * x2;
                }
                if (p->head_size > p->rotary_dim)
                    memcpy(out + p->rotary_dim, in + p->rotary_dim,
                           sizeof(float) * (size_t)(p->head_size - p->rotary_dim));
            }
        }
}
