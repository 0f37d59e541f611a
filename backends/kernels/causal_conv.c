#include "kernels/causal_conv.h"

#include <math.h>
#include <stddef.h>

/* Position i of concat(past, x) for one channel. */
static float padded_at(const float *past, const float *x, int64_t carry, int64_t i)
{
    return i < carry ? (past ? past[i] : 0.0f) : x[i - carry];
}

void ol_causal_conv_f32(const float *x, const float *weight, const float *bias, const float *past, int64_t batch,
                        int64_t channels, int64_t length, int64_t kernel, bool silu, float *y, float *present)
{
    int64_t carry = kernel - 1;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t c = 0; c < channels; c++) {
            const float *in = x + (b * channels + c) * length, *w = weight + c * kernel;
            const float *st = past ? past + (b * channels + c) * carry : NULL;
            float *out = y + (b * channels + c) * length;
            for (int64_t t = 0; t < length; t++) {
                float acc = bias ? bias[c] : 0.0f;
                for (int64_t j = 0; j < kernel; j++)
                    acc += w[j] * padded_at(st, in, carry, t + j);
                out[t] = silu ? acc / (1.0f + expf(-acc)) : acc;
            }
            float *keep = present + (b * channels + c) * carry;
            for (int64_t i = 0; i < carry; i++)
                keep[i] = padded_at(st, in, carry, length + i);
        }
}
