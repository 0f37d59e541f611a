#include "kernels/attention.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kernels/blas_core.h"

int64_t ol_attention_workspace(const ol_attention_params *p)
{
    return p->q_seq * p->kv_seq;
}

/* Additive bias of key j for query row i of (b, h): mask, causal frontier and padding. */
static float key_bias(const ol_attention_params *p, const float *mask_row, int64_t b, int64_t i, int64_t j)
{
    float bias = 0.0f;
    if (p->mask)
        bias = j < p->mask_kv ? mask_row[j * p->mask_strides[3]] : -INFINITY;
    if (p->causal || p->left_window >= 0 || p->right_window >= 0) {
        int64_t offset = p->nonpad_kv_seqlen ? p->nonpad_kv_seqlen[b] - p->q_seq : p->position_offset;
        int64_t ahead = i + offset - j;   /* how far the key lies before the query */
        if ((p->causal && ahead < 0) || (p->left_window >= 0 && ahead > p->left_window) ||
            (p->right_window >= 0 && -ahead > p->right_window))
            bias += -INFINITY;
    }
    if (p->nonpad_kv_seqlen && j >= p->nonpad_kv_seqlen[b])
        bias += -INFINITY;
    return bias;
}

/* Turns one row of raw scores into probabilities, recording the requested stage in qk_row. */
static void score_row(const ol_attention_params *p, float *s, const float *mask_row, int64_t b, int64_t i,
                      float *qk_row)
{
    int64_t n = p->kv_seq;
    if (qk_row && p->qk_output_mode == OL_ATTN_QK_RAW)
        memcpy(qk_row, s, sizeof(float) * (size_t)n);
    if (p->softcap > 0)
        for (int64_t j = 0; j < n; j++)
            s[j] = p->softcap * tanhf(s[j] / p->softcap);
    if (qk_row && p->qk_output_mode == OL_ATTN_QK_SOFTCAPPED)
        memcpy(qk_row, s, sizeof(float) * (size_t)n);
    /* A row whose bias masks every key has no attendable key: its probabilities are zero, decided
     * on the bias so that infinite or NaN scores cannot leak through. */
    bool all_masked = true;
    for (int64_t j = 0; j < n; j++) {
        float bias = key_bias(p, mask_row, b, i, j);
        if (bias != -INFINITY)
            all_masked = false;
        s[j] += bias;
    }
    if (qk_row && p->qk_output_mode == OL_ATTN_QK_BIASED)
        memcpy(qk_row, s, sizeof(float) * (size_t)n);
    float max = -INFINITY;
    for (int64_t j = 0; j < n; j++)
        if (s[j] > max || s[j] != s[j])
            max = s[j];
    if (all_masked || max == -INFINITY) {
        memset(s, 0, sizeof(float) * (size_t)n);
    } else {
        double sum = 0;
        for (int64_t j = 0; j < n; j++) {
            s[j] = expf(s[j] - max);
            sum += s[j];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < n; j++)
            s[j] *= inv;
    }
    if (qk_row && p->qk_output_mode == OL_ATTN_QK_SOFTMAX)
        memcpy(qk_row, s, sizeof(float) * (size_t)n);
}

static int ld(int64_t stride, int64_t cols)
{
    return (int)(stride > cols ? stride : cols > 0 ? cols : 1);
}

void ol_attention_f32(const ol_attention_params *p, ol_attn_view q, ol_attn_view k, ol_attn_view v,
                      ol_attn_view y, float *qk_out, float *workspace)
{
    ol_blas_ensure_core();
    int64_t group = p->q_heads / p->kv_heads, sq = p->q_seq, skv = p->kv_seq;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->q_heads; h++) {
            int64_t hk = h / group;
            const float *qp = q.data + b * q.batch_stride + h * q.head_stride;
            const float *kp = k.data + b * k.batch_stride + hk * k.head_stride;
            const float *vp = v.data + b * v.batch_stride + hk * v.head_stride;
            float *yp = y.data + b * y.batch_stride + h * y.head_stride;
            float *qk = qk_out ? qk_out + (b * p->q_heads + h) * sq * skv : NULL;
            if (sq == 0)
                continue;
            if (skv == 0) {
                for (int64_t i = 0; i < sq; i++)
                    memset(yp + i * y.seq_stride, 0, sizeof(float) * (size_t)p->v_head_size);
                continue;
            }
            float *s = workspace;
            if (p->head_size == 0)
                memset(s, 0, sizeof(float) * (size_t)(sq * skv));
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)sq, (int)skv, (int)p->head_size,
                            p->scale, qp, ld(q.seq_stride, p->head_size), kp, ld(k.seq_stride, p->head_size),
                            0.0f, s, (int)skv);
            for (int64_t i = 0; i < sq; i++) {
                const float *mask_row = p->mask ? p->mask + b * p->mask_strides[0] + h * p->mask_strides[1] +
                                                      i * p->mask_strides[2]
                                                : NULL;
                score_row(p, s + i * skv, mask_row, b, i, qk ? qk + i * skv : NULL);
            }
            if (p->v_head_size > 0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)sq, (int)p->v_head_size, (int)skv,
                            1.0f, s, (int)skv, vp, ld(v.seq_stride, p->v_head_size), 0.0f, yp,
                            ld(y.seq_stride, p->v_head_size));
        }
}
