/* Attention, linear-attention and rotary-embedding kernels on small hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "kernels/attention.h"
#include "kernels/linear_attention.h"
#include "kernels/rotary.h"

/* Contiguous [batch][heads][seq][features] view. */
static ol_attn_view view4(float *data, int64_t heads, int64_t seq, int64_t features)
{
    return (ol_attn_view){.data = data, .seq_stride = features, .head_stride = seq * features,
                          .batch_stride = heads * seq * features};
}

static ol_attention_params base(int64_t q_heads, int64_t kv_heads, int64_t q_seq, int64_t kv_seq, int64_t d)
{
    return (ol_attention_params){.batch = 1, .q_heads = q_heads, .kv_heads = kv_heads, .q_seq = q_seq,
                                 .kv_seq = kv_seq, .head_size = d, .v_head_size = d, .scale = 1.0f,
                                 .left_window = -1, .right_window = -1};
}

Test(kernels_attention, softmax_weights_values)
{
    float q[1] = {1}, k[2] = {0, 1}, v[2] = {10, 20}, y[1], qk[2], ws[2];
    ol_attention_params p = base(1, 1, 1, 2, 1);
    p.qk_output_mode = OL_ATTN_QK_SOFTMAX;
    ol_attention_f32(&p, view4(q, 1, 1, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 1, 1), qk, ws);
    float e = expf(1.0f), p0 = 1 / (1 + e), p1 = e / (1 + e);
    cr_assert_float_eq(qk[0], p0, 1e-6);
    cr_assert_float_eq(qk[1], p1, 1e-6);
    cr_assert_float_eq(y[0], 10 * p0 + 20 * p1, 1e-5);
}

Test(kernels_attention, causal_rows_see_only_earlier_keys)
{
    float q[2] = {0, 0}, k[2] = {0, 0}, v[2] = {4, 8}, y[2], ws[4];
    ol_attention_params p = base(1, 1, 2, 2, 1);
    p.causal = true;
    ol_attention_f32(&p, view4(q, 1, 2, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 2, 1), NULL, ws);
    cr_assert_float_eq(y[0], 4.0f, 1e-6);
    cr_assert_float_eq(y[1], 6.0f, 1e-6);
    /* With one cached key before the block, query 0 also sees key 1. */
    p.position_offset = 1;
    ol_attention_f32(&p, view4(q, 1, 2, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 2, 1), NULL, ws);
    cr_assert_float_eq(y[0], 6.0f, 1e-6);
}

Test(kernels_attention, fully_masked_row_is_zero_not_nan)
{
    float q[2] = {1, 1}, k[2] = {1, 2}, v[2] = {3, 5}, y[2], qk[4], ws[4];
    const float mask[4] = {-INFINITY, -INFINITY, 0, -INFINITY};
    ol_attention_params p = base(1, 1, 2, 2, 1);
    p.mask = mask;
    p.mask_strides[2] = 2;
    p.mask_strides[3] = 1;
    p.mask_kv = 2;
    p.qk_output_mode = OL_ATTN_QK_SOFTMAX;
    ol_attention_f32(&p, view4(q, 1, 2, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 2, 1), qk, ws);
    cr_assert(y[0] == 0.0f && qk[0] == 0.0f && qk[1] == 0.0f);
    cr_assert_float_eq(y[1], 3.0f, 1e-6);
    cr_assert_float_eq(qk[2], 1.0f, 1e-6);
}

Test(kernels_attention, short_mask_masks_the_remaining_keys)
{
    float q[1] = {0}, k[2] = {0, 0}, v[2] = {7, 100}, y[1], ws[2];
    const float mask[1] = {0};
    ol_attention_params p = base(1, 1, 1, 2, 1);
    p.mask = mask;
    p.mask_kv = 1;
    ol_attention_f32(&p, view4(q, 1, 1, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 1, 1), NULL, ws);
    cr_assert_float_eq(y[0], 7.0f, 1e-6);
}

Test(kernels_attention, nonpad_lengths_per_batch)
{
    /* batch 0 has one valid key, batch 1 two */
    float q[2] = {0, 0}, k[4] = {0, 0, 0, 0}, v[4] = {2, 4, 6, 10}, y[2], ws[2];
    const int64_t nonpad[2] = {1, 2};
    ol_attention_params p = base(1, 1, 1, 2, 1);
    p.batch = 2;
    p.nonpad_kv_seqlen = nonpad;
    ol_attention_f32(&p, view4(q, 1, 1, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 1, 1), NULL, ws);
    cr_assert_float_eq(y[0], 2.0f, 1e-6);
    cr_assert_float_eq(y[1], 8.0f, 1e-6);
}

Test(kernels_attention, grouped_query_heads_share_kv_heads)
{
    /* 4 query heads on 2 kv heads: heads 0,1 read kv head 0 and heads 2,3 kv head 1 */
    float q[4] = {0, 0, 0, 0}, k[2] = {0, 0}, v[2] = {1, 9}, y[4], ws[1];
    ol_attention_params p = base(4, 2, 1, 1, 1);
    ol_attention_f32(&p, view4(q, 4, 1, 1), view4(k, 2, 1, 1), view4(v, 2, 1, 1), view4(y, 4, 1, 1), NULL, ws);
    cr_assert(y[0] == 1 && y[1] == 1 && y[2] == 9 && y[3] == 9);
}

Test(kernels_attention, qk_stages_raw_and_softcapped)
{
    float q[1] = {2}, k[2] = {1, -3}, v[2] = {0, 0}, y[1], qk[2], ws[2];
    ol_attention_params p = base(1, 1, 1, 2, 1);
    p.scale = 0.5f;
    p.softcap = 2.0f;
    p.qk_output_mode = OL_ATTN_QK_RAW;
    ol_attention_f32(&p, view4(q, 1, 1, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 1, 1), qk, ws);
    cr_assert_float_eq(qk[0], 1.0f, 1e-6);
    cr_assert_float_eq(qk[1], -3.0f, 1e-6);
    p.qk_output_mode = OL_ATTN_QK_SOFTCAPPED;
    ol_attention_f32(&p, view4(q, 1, 1, 1), view4(k, 1, 2, 1), view4(v, 1, 2, 1), view4(y, 1, 1, 1), qk, ws);
    cr_assert_float_eq(qk[0], 2 * tanhf(0.5f), 1e-6);
    cr_assert_float_eq(qk[1], 2 * tanhf(-1.5f), 1e-6);
}

Test(kernels_attention, sliding_window_keeps_the_diagonal)
{
    float q[3] = {0, 0, 0}, k[3] = {0, 0, 0}, v[3] = {1, 2, 3}, y[3], ws[9];
    ol_attention_params p = base(1, 1, 3, 3, 1);
    p.left_window = 0;
    p.right_window = 0;
    ol_attention_f32(&p, view4(q, 1, 3, 1), view4(k, 1, 3, 1), view4(v, 1, 3, 1), view4(y, 1, 3, 1), NULL, ws);
    cr_assert(y[0] == 1 && y[1] == 2 && y[2] == 3);
    p.left_window = 1;   /* query 2 now averages keys 1 and 2 */
    ol_attention_f32(&p, view4(q, 1, 3, 1), view4(k, 1, 3, 1), view4(v, 1, 3, 1), view4(y, 1, 3, 1), NULL, ws);
    cr_assert_float_eq(y[2], 2.5f, 1e-6);
}

Test(kernels_attention, three_d_layout_view)
{
    /* Q [batch 1][seq 1][2 heads * 1], K/V [1][2 keys][1 head * 1]: strided views, no copies */
    float q[2] = {0, 0}, k[2] = {0, 0}, v[2] = {1, 3}, y[2], ws[2];
    ol_attention_params p = base(2, 1, 1, 2, 1);
    ol_attn_view qv = {.data = q, .seq_stride = 2, .head_stride = 1, .batch_stride = 2};
    ol_attn_view yv = {.data = y, .seq_stride = 2, .head_stride = 1, .batch_stride = 2};
    ol_attention_f32(&p, qv, view4(k, 1, 2, 1), view4(v, 1, 2, 1), yv, NULL, ws);
    cr_assert_float_eq(y[0], 2.0f, 1e-6);
    cr_assert_float_eq(y[1], 2.0f, 1e-6);
}

Test(kernels_rotary, halves_and_interleaved_pairs)
{
    const float x[4] = {1, 2, 3, 4}, cos[2] = {0.5f, 0.0f}, sin[2] = {0.25f, 1.0f};
    float y[4];
    ol_rotary_params p = {.batch = 1, .seq = 1, .heads = 1, .head_size = 4, .rotary_dim = 4, .seq_stride = 4,
                          .head_stride = 4, .batch_stride = 4};
    ol_rotary_embedding_f32(&p, x, cos, sin, NULL, y);
    /* pairs (0, 2) and (1, 3) */
    cr_assert_float_eq(y[0], 0.5f * 1 - 0.25f * 3, 1e-6);
    cr_assert_float_eq(y[2], 0.25f * 1 + 0.5f * 3, 1e-6);
    cr_assert_float_eq(y[1], -4.0f, 1e-6);
    cr_assert_float_eq(y[3], 2.0f, 1e-6);
    p.interleaved = true;   /* pairs (0, 1) and (2, 3) */
    ol_rotary_embedding_f32(&p, x, cos, sin, NULL, y);
    cr_assert_float_eq(y[0], 0.5f * 1 - 0.25f * 2, 1e-6);
    cr_assert_float_eq(y[1], 0.25f * 1 + 0.5f * 2, 1e-6);
    cr_assert_float_eq(y[2], -4.0f, 1e-6);
    cr_assert_float_eq(y[3], 3.0f, 1e-6);
}

Test(kernels_rotary, partial_rotation_copies_the_rest_and_uses_position_ids)
{
    const float x[4] = {1, 2, 3, 4}, cos[2] = {1.0f, 0.0f}, sin[2] = {0.0f, 1.0f};
    const int64_t pos[1] = {1};
    float y[4];
    ol_rotary_params p = {.batch = 1, .seq = 1, .heads = 1, .head_size = 4, .rotary_dim = 2, .seq_stride = 4,
                          .head_stride = 4, .batch_stride = 4};
    ol_rotary_embedding_f32(&p, x, cos, sin, pos, y);   /* row 1: cos 0, sin 1: a quarter turn */
    cr_assert_float_eq(y[0], -2.0f, 1e-6);
    cr_assert_float_eq(y[1], 1.0f, 1e-6);
    cr_assert(y[2] == 3 && y[3] == 4);
}

/* One head pair of size 1: k = {1, 2}, v = {3, 4}, q = {1, 1}. */
static void linear_attention(ol_linear_attention_params *p, const float *decay, const float *beta, float *state,
                             float *y)
{
    const float q[4] = {1, 1, 1, 1}, k[2] = {1, 2}, v[2] = {3, 4};
    float work[1];
    ol_linear_attention_f32(p, q, k, v, decay, beta, state, y, work);
}

Test(kernels_linear_attention, linear_gated_and_delta_rules)
{
    ol_linear_attention_params p = {.batch = 1, .seq = 2, .q_heads = 1, .kv_heads = 1, .key_size = 1,
                                    .value_size = 1, .scale = 1.0f};
    float state[1] = {0}, y[4];
    linear_attention(&p, NULL, NULL, state, y);
    cr_assert(y[0] == 3 && y[1] == 11 && state[0] == 11);
    const float decay[2] = {logf(0.5f), logf(0.5f)};
    p.gated = true;
    state[0] = 0;
    linear_attention(&p, decay, NULL, state, y);
    cr_assert_float_eq(y[1], 9.5f, 1e-5);
    const float beta[2] = {0.5f, 0.5f};
    p.gated = false;
    p.delta = true;
    state[0] = 0;
    linear_attention(&p, NULL, beta, state, y);
    cr_assert_float_eq(y[0], 1.5f, 1e-6);
    cr_assert_float_eq(y[1], 2.5f, 1e-6);
}

Test(kernels_linear_attention, query_heads_share_the_state_and_scale)
{
    ol_linear_attention_params p = {.batch = 1, .seq = 2, .q_heads = 2, .kv_heads = 1, .key_size = 1,
                                    .value_size = 1, .scale = 0.5f};
    float state[1] = {1}, y[4];   /* a past state of 1 */
    linear_attention(&p, NULL, NULL, state, y);
    cr_assert(y[0] == 2 && y[1] == 2 && y[2] == 6 && y[3] == 6);
}
