/* Scaled dot-product attention (float32), as ONNX Attention defines it: scores = scale * q k^T,
 * optional softcap, additive mask / causal / padding bias, softmax (a row with every key masked
 * gives zeros), then y = p v. Grouped-query attention: query head h reads kv head
 * h / (q_heads / kv_heads). */
#ifndef OL_KERNELS_ATTENTION_H
#define OL_KERNELS_ATTENTION_H

#include <stdbool.h>
#include <stdint.h>

/* A [batch][heads][seq][features] tensor whose feature rows are contiguous; the other strides are in
 * elements, so the 3-D layout [batch][seq][heads * features] is a view too. */
typedef struct ol_attn_view {
    float *data;
    int64_t batch_stride, head_stride, seq_stride;
} ol_attn_view;

typedef enum ol_attn_qk_output {
    OL_ATTN_QK_RAW = 0,        /* scale * q k^T */
    OL_ATTN_QK_SOFTCAPPED = 1, /* after the softcap */
    OL_ATTN_QK_BIASED = 2,     /* after adding the mask / causal / padding bias */
    OL_ATTN_QK_SOFTMAX = 3,    /* the probabilities */
} ol_attn_qk_output;

typedef struct ol_attention_params {
    int64_t batch, q_heads, kv_heads, q_seq, kv_seq, head_size, v_head_size;
    float scale;
    float softcap;             /* <= 0: none; else s = softcap * tanh(s / softcap) */
    /* Additive mask broadcast to [batch][q_heads][q_seq][mask_kv]: element strides per dim, 0 on a
     * broadcast dim. Keys j >= mask_kv (a mask shorter than kv_seq) are masked. NULL: none. */
    const float *mask;
    int64_t mask_strides[4];
    int64_t mask_kv;
    /* Query i sits at position i + offset among the keys: offset is position_offset (the cached
     * keys before this block), or nonpad_kv_seqlen[b] - q_seq when nonpad_kv_seqlen is given.
     * Causal: query i sees key j iff j <= i + offset. Sliding window (each side -1: unbounded):
     * i + offset - left_window <= j <= i + offset + right_window. */
    int64_t position_offset;
    bool causal;
    int64_t left_window, right_window;
    /* Keys j >= nonpad_kv_seqlen[b] are padding (masked). NULL: none. */
    const int64_t *nonpad_kv_seqlen;
    ol_attn_qk_output qk_output_mode;
} ol_attention_params;

/* Floats of workspace ol_attention_f32 needs. */
int64_t ol_attention_workspace(const ol_attention_params *p);

/* y [batch][q_heads][q_seq][v_head_size] from q (head_size features), k (head_size) and v
 * (v_head_size) with kv_heads heads of kv_seq rows. qk_out, when not NULL, receives the contiguous
 * [batch][q_heads][q_seq][kv_seq] scores of the chosen stage. q_heads must be a multiple of
 * kv_heads. */
void ol_attention_f32(const ol_attention_params *p, ol_attn_view q, ol_attn_view k, ol_attn_view v,
                      ol_attn_view y, float *qk_out, float *workspace);

#endif
