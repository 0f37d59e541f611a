/* Attention (opset 23+): reads the 3-D or 4-D layouts, the KV cache and the masks, and calls the
 * IR-free kernel. Float32 only (float16/bfloat16 through the executor's conversion). */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "kernels/attention.h"

enum { IN_Q, IN_K, IN_V, IN_MASK, IN_PAST_KEY, IN_PAST_VALUE, IN_NONPAD };
enum { OUT_Y, OUT_PRESENT_KEY, OUT_PRESENT_VALUE, OUT_QK };

/* One of Q, K, V as [batch][heads][seq][features]. */
typedef struct attn_operand {
    ol_attn_view view;
    int64_t batch, heads, seq, features;
} attn_operand;

static ol_status operand(ol_op_ctx *ctx, size_t index, const char *name, int64_t heads_attr,
                         attn_operand *out)
{
    const ol_ktensor *t = ol_op_input(ctx, index);
    if (!t)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input %s is missing", name);
    if (t->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s of type %s is not supported (float32/float16 only)",
                          name, ol_dtype_name(t->dtype));
    if (t->rank == 4) {
        *out = (attn_operand){.batch = t->dims[0], .heads = t->dims[1], .seq = t->dims[2],
                              .features = t->dims[3]};
        out->view = (ol_attn_view){.data = t->data, .seq_stride = t->dims[3],
                                   .head_stride = t->dims[2] * t->dims[3],
                                   .batch_stride = t->dims[1] * t->dims[2] * t->dims[3]};
        return OL_OK;
    }
    if (t->rank != 3)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be 3-D or 4-D, is %d-D", name, t->rank);
    /* [batch][seq][heads * features] */
    if (heads_attr <= 0 || t->dims[2] % heads_attr != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "3-D %s needs a head count dividing %lld (got %lld)", name,
                          (long long)t->dims[2], (long long)heads_attr);
    int64_t features = t->dims[2] / heads_attr;
    *out = (attn_operand){.batch = t->dims[0], .heads = heads_attr, .seq = t->dims[1], .features = features};
    out->view = (ol_attn_view){.data = t->data, .seq_stride = t->dims[2], .head_stride = features,
                               .batch_stride = t->dims[1] * t->dims[2]};
    return OL_OK;
}

/* Copies `rows` rows of `features` floats of every (batch, head) of `src` into the contiguous
 * [batch][heads][..][features] tensor `dst` starting at row `at` of `dst_seq`. */
static void copy_rows(float *dst, int64_t dst_seq, int64_t at, const attn_operand *src)
{
    for (int64_t b = 0; b < src->batch; b++)
        for (int64_t h = 0; h < src->heads; h++)
            for (int64_t s = 0; s < src->seq; s++)
                memcpy(dst + ((b * src->heads + h) * dst_seq + at + s) * src->features,
                       src->view.data + b * src->view.batch_stride + h * src->view.head_stride +
                           s * src->view.seq_stride,
                       sizeof(float) * (size_t)src->features);
}

/* present = concat(past, current) along the sequence, into output `out` (or `buffer` when the output
 * is omitted); *cur becomes a view of it. Without a past the output is a copy of the current keys. */
static ol_status build_present(ol_op_ctx *ctx, size_t out, const ol_ktensor *past, attn_operand *cur,
                               float *buffer, const char *name)
{
    int64_t past_seq = past ? past->dims[2] : 0, total = past_seq + cur->seq;
    if (past && (past->rank != 4 || past->dtype != OL_FLOAT || past->dims[0] != cur->batch ||
                 past->dims[1] != cur->heads || past->dims[3] != cur->features))
        return ol_op_fail(ctx, OL_ERR_INVALID, "past_%s must be float [%lld, %lld, past, %lld]", name,
                          (long long)cur->batch, (long long)cur->heads, (long long)cur->features);
    int64_t dims[4] = {cur->batch, cur->heads, total, cur->features};
    float *dst = buffer;
    if (ol_op_output_wanted(ctx, out)) {
        ol_ktensor *t = ol_op_output(ctx, out, OL_FLOAT, 4, dims);
        if (!t)
            return ol_op_error(ctx)->status;
        dst = t->data;
    } else if (!past) {
        return OL_OK;
    }
    if (past) {
        attn_operand p = {.batch = cur->batch, .heads = cur->heads, .seq = past_seq, .features = cur->features,
                          .view = {.data = past->data, .seq_stride = cur->features,
                                   .head_stride = past_seq * cur->features,
                                   .batch_stride = cur->heads * past_seq * cur->features}};
        copy_rows(dst, total, 0, &p);
    }
    copy_rows(dst, total, past_seq, cur);
    if (past) {
        cur->seq = total;
        cur->view = (ol_attn_view){.data = dst, .seq_stride = cur->features, .head_stride = total * cur->features,
                                   .batch_stride = cur->heads * total * cur->features};
    }
    return OL_OK;
}

/* Validates the mask against [batch][q_heads][q_seq][kv_seq] and sets the kernel's broadcast
 * strides; a boolean mask becomes 0 / -inf in `converted`. */
static ol_status setup_mask(ol_op_ctx *ctx, const ol_ktensor *mask, const int64_t target[4], float *converted,
                            ol_attention_params *p)
{
    if (mask->dtype != OL_FLOAT && mask->dtype != OL_BOOL)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "attn_mask of type %s is not supported",
                          ol_dtype_name(mask->dtype));
    if (mask->rank < 1 || mask->rank > 4)
        return ol_op_fail(ctx, OL_ERR_INVALID, "attn_mask must have rank 1 to 4, has %d", mask->rank);
    int off = 4 - mask->rank;
    int64_t stride = 1;
    memset(p->mask_strides, 0, sizeof p->mask_strides);
    for (int d = mask->rank - 1; d >= 0; d--) {
        int64_t m = mask->dims[d], want = target[off + d];
        bool ok = off + d == 3 ? m <= want : (m == 1 || m == want);
        if (!ok)
            return ol_op_fail(ctx, OL_ERR_INVALID, "attn_mask dim %d (%lld) does not broadcast to %lld", d,
                              (long long)m, (long long)want);
        p->mask_strides[off + d] = m == 1 && off + d != 3 ? 0 : stride;
        stride *= m;
    }
    p->mask_kv = mask->dims[mask->rank - 1];
    if (mask->dtype == OL_BOOL) {
        const uint8_t *src = mask->data;
        for (int64_t i = 0, n = ol_ktensor_numel(mask); i < n; i++)
            converted[i] = src[i] ? 0.0f : -INFINITY;
        p->mask = converted;
    } else {
        p->mask = mask->data;
    }
    return OL_OK;
}

static bool fits_int(const attn_operand *o)
{
    return o->seq <= INT_MAX && o->features <= INT_MAX && o->view.seq_stride <= INT_MAX;
}

ol_status ol_run_attention(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    attn_operand q, k, v;
    int64_t q_heads_attr = ol_node_attr_int(node, "q_num_heads", 0);
    int64_t kv_heads_attr = ol_node_attr_int(node, "kv_num_heads", 0);
    if (operand(ctx, IN_Q, "Q", q_heads_attr, &q) != OL_OK || operand(ctx, IN_K, "K", kv_heads_attr, &k) != OL_OK ||
        operand(ctx, IN_V, "V", kv_heads_attr, &v) != OL_OK)
        return ol_op_error(ctx)->status;
    int rank = ol_op_input(ctx, IN_Q)->rank;
    if (ol_op_input(ctx, IN_K)->rank != rank || ol_op_input(ctx, IN_V)->rank != rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "Q, K and V must have the same rank");
    if (rank == 4 && ol_op_opset(ctx) >= 25 &&
        (ol_node_attr(node, "q_num_heads") || ol_node_attr(node, "kv_num_heads")))
        return ol_op_fail(ctx, OL_ERR_INVALID, "q_num_heads and kv_num_heads are not allowed with 4-D inputs");
    if (k.batch != q.batch || v.batch != q.batch || k.heads != v.heads || k.seq != v.seq ||
        k.features != q.features)
        return ol_op_fail(ctx, OL_ERR_INVALID, "Q, K and V shapes do not agree (batch, kv heads, kv sequence, "
                          "head size)");
    if (k.heads == 0 || q.heads % k.heads != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%lld query heads are not a multiple of %lld kv heads",
                          (long long)q.heads, (long long)k.heads);
    const ol_ktensor *past_key = ol_op_input(ctx, IN_PAST_KEY), *past_value = ol_op_input(ctx, IN_PAST_VALUE);
    const ol_ktensor *mask = ol_op_input(ctx, IN_MASK), *nonpad = ol_op_input(ctx, IN_NONPAD);
    if (!past_key != !past_value)
        return ol_op_fail(ctx, OL_ERR_INVALID, "past_key and past_value must be given together");
    if (nonpad && past_key)
        return ol_op_fail(ctx, OL_ERR_INVALID, "nonpad_kv_seqlen cannot be combined with past_key/past_value");
    if (nonpad && (nonpad->dtype != OL_INT64 || nonpad->rank != 1 || nonpad->dims[0] != q.batch))
        return ol_op_fail(ctx, OL_ERR_INVALID, "nonpad_kv_seqlen must be int64 [%lld]", (long long)q.batch);
    if (past_key && (past_key->rank != 4 || past_value->rank != 4 || past_value->dims[2] != past_key->dims[2]))
        return ol_op_fail(ctx, OL_ERR_INVALID, "past_key and past_value must be 4-D with one sequence length");
    int64_t past_seq = past_key ? past_key->dims[2] : 0;

    ol_attention_params p = {
        .batch = q.batch, .q_heads = q.heads, .kv_heads = k.heads, .q_seq = q.seq, .kv_seq = k.seq + past_seq,
        .head_size = q.features, .v_head_size = v.features,
        .scale = ol_node_attr_float(node, "scale", q.features ? 1.0f / sqrtf((float)q.features) : 1.0f),
        .softcap = ol_node_attr_float(node, "softcap", 0.0f),
        .position_offset = past_seq, .causal = ol_node_attr_int(node, "is_causal", 0) != 0,
        .left_window = ol_op_opset(ctx) >= 25 ? ol_node_attr_int(node, "left_window_size", -1) : -1,
        .right_window = ol_op_opset(ctx) >= 25 ? ol_node_attr_int(node, "right_window_size", -1) : -1,
        .nonpad_kv_seqlen = nonpad ? nonpad->data : NULL,
    };
    int64_t mode = ol_node_attr_int(node, "qk_matmul_output_mode", 0);
    if (mode < 0 || mode > 3)
        return ol_op_fail(ctx, OL_ERR_INVALID, "qk_matmul_output_mode %lld is not 0..3", (long long)mode);
    if (p.left_window < -1 || p.right_window < -1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "window sizes must be -1 or nonnegative");
    p.qk_output_mode = (ol_attn_qk_output)mode;
    if (!fits_int(&q) || !fits_int(&k) || !fits_int(&v) || p.kv_seq > INT_MAX)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "dimensions beyond the BLAS int range");

    /* One scratch block: present key/value when they are needed but not wanted as outputs, the
     * converted boolean mask and the kernel's workspace. */
    int64_t kv_rows = q.batch * k.heads * p.kv_seq;
    int64_t present_k = past_key && !ol_op_output_wanted(ctx, OUT_PRESENT_KEY) ? kv_rows * k.features : 0;
    int64_t present_v = past_key && !ol_op_output_wanted(ctx, OUT_PRESENT_VALUE) ? kv_rows * v.features : 0;
    int64_t mask_n = mask && mask->dtype == OL_BOOL ? ol_ktensor_numel(mask) : 0;
    int64_t total = present_k + present_v + mask_n + ol_attention_workspace(&p);
    float *scratch = ol_op_scratch(ctx, sizeof(float) * (size_t)(total ? total : 1));
    if (!scratch)
        return ol_op_error(ctx)->status;
    if (mask) {
        int64_t target[4] = {p.batch, p.q_heads, p.q_seq, p.kv_seq};
        if (setup_mask(ctx, mask, target, scratch + present_k + present_v, &p) != OL_OK)
            return ol_op_error(ctx)->status;
    }
    if (build_present(ctx, OUT_PRESENT_KEY, past_key, &k, scratch, "key") != OL_OK ||
        build_present(ctx, OUT_PRESENT_VALUE, past_value, &v, scratch + present_k, "value") != OL_OK)
        return ol_op_error(ctx)->status;

    ol_ktensor *y;
    ol_attn_view yv;
    if (rank == 3) {
        int64_t dims[3] = {q.batch, q.seq, q.heads * v.features};
        y = ol_op_output(ctx, OUT_Y, OL_FLOAT, 3, dims);
        yv = (ol_attn_view){.seq_stride = dims[2], .head_stride = v.features, .batch_stride = q.seq * dims[2]};
    } else {
        int64_t dims[4] = {q.batch, q.heads, q.seq, v.features};
        y = ol_op_output(ctx, OUT_Y, OL_FLOAT, 4, dims);
        yv = (ol_attn_view){.seq_stride = v.features, .head_stride = q.seq * v.features,
                            .batch_stride = q.heads * q.seq * v.features};
    }
    if (!y)
        return ol_op_error(ctx)->status;
    yv.data = y->data;
    float *qk_out = NULL;
    if (ol_op_output_wanted(ctx, OUT_QK)) {
        int64_t dims[4] = {q.batch, q.heads, q.seq, p.kv_seq};
        ol_ktensor *t = ol_op_output(ctx, OUT_QK, OL_FLOAT, 4, dims);
        if (!t)
            return ol_op_error(ctx)->status;
        qk_out = t->data;
    }
    ol_attention_f32(&p, q.view, k.view, v.view, yv, qk_out, scratch + present_k + present_v + mask_n);
    return OL_OK;
}
