#include "kernels/linear_attention.h"

#include <math.h>

void ol_linear_attention_f32(const ol_linear_attention_params *p, const float *q, const float *k, const float *v,
                             const float *decay, const float *beta, float *state, float *y, float *work)
{
    int64_t dk = p->key_size, dv = p->value_size, group = p->q_heads / p->kv_heads;
    int64_t decay_width = p->decay_per_key ? p->kv_heads * dk : p->kv_heads;
    int64_t beta_width = p->beta_per_head ? p->kv_heads : 1;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t t = 0; t < p->seq; t++) {
            int64_t step = b * p->seq + t;
            for (int64_t h = 0; h < p->kv_heads; h++) {
                float *s = state + (b * p->kv_heads + h) * dk * dv;
                const float *kt = k + (step * p->kv_heads + h) * dk, *vt = v + (step * p->kv_heads + h) * dv;
                if (p->gated) {
                    const float *g = decay + step * decay_width + (p->decay_per_key ? h * dk : h);
                    for (int64_t i = 0; i < dk; i++) {
                        float f = expf(p->decay_per_key ? g[i] : g[0]);
                        for (int64_t j = 0; j < dv; j++)
                            s[i * dv + j] *= f;
                    }
                }
                /* The value written into the state: v, or beta * (v - S^T k) (with S already decayed). */
                for (int64_t j = 0; j < dv; j++)
                    work[j] = vt[j];
                if (p->delta) {
                    float rate = beta[step * beta_width + (p->beta_per_head ? h : 0)];
                    for (int64_t j = 0; j < dv; j++) {
                        float retrieved = 0;
                        for (int64_t i = 0; i < dk; i++)
                            retrieved += s[i * dv + j] * kt[i];
                        work[j] = rate * (vt[j] - retrieved);
                    }
                }
                for (int64_t i = 0; i < dk; i++)
                    for (int64_t j = 0; j < dv; j++)
                        s[i * dv + j] += kt[i] * work[j];
                for (int64_t g = 0; g < group; g++) {
                    int64_t hq = h * group + g;
                    const float *qt = q + (step * p->q_heads + hq) * dk;
                    float *out = y + (step * p->q_heads + hq) * dv;
                    for (int64_t j = 0; j < dv; j++) {
                        float acc = 0;
                        for (int64_t i = 0; i < dk; i++)
                            acc += qt[i] * s[i * dv + j];
                        out[j] = p->scale * acc;
                    }
                }
            }
        }
}
