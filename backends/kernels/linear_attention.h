/* Linear attention (float32), the recurrent form of ONNX LinearAttention: per kv head a d_k x d_v
 * state S is decayed (gated rules), corrected towards the value (delta rules) and accumulated with
 * k v^T at every step; each query head reads scale * q^T S of its kv head. */
#ifndef OL_KERNELS_LINEAR_ATTENTION_H
#define OL_KERNELS_LINEAR_ATTENTION_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ol_linear_attention_params {
    int64_t batch, seq, q_heads, kv_heads, key_size, value_size;
    float scale;
    bool gated;                /* S = exp(g) * S before the update */
    bool delta;                /* v is replaced by beta * (v - S^T k) */
    bool decay_per_key;        /* decay holds kv_heads * key_size values per step, else kv_heads */
    bool beta_per_head;        /* beta holds kv_heads values per step, else 1 */
} ol_linear_attention_params;

/* q [batch][seq][q_heads * key_size], k [batch][seq][kv_heads * key_size], v [batch][seq][kv_heads *
 * value_size], decay / beta [batch][seq][...] (NULL unless gated / delta). state [batch][kv_heads]
 * [key_size][value_size] holds the initial state and receives the final one. y [batch][seq][q_heads *
 * value_size]. work holds value_size floats. */
void ol_linear_attention_f32(const ol_linear_attention_params *p, const float *q, const float *k, const float *v,
                             const float *decay, const float *beta, float *state, float *y, float *work);

#endif
