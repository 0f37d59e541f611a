/* LinearAttention (opset 27+): recurrent linear attention with the linear, gated, delta and
 * gated_delta update rules over 3-D packed inputs. Float32 (float16/bfloat16 through the executor). */
#include <math.h>
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "kernels/linear_attention.h"

enum { IN_QUERY, IN_KEY, IN_VALUE, IN_PAST_STATE, IN_DECAY, IN_BETA };

static bool is_3d(const ol_ktensor *t, int64_t batch, int64_t seq)
{
    return t->dtype == OL_FLOAT && t->rank == 3 && t->dims[0] == batch && t->dims[1] == seq;
}

static ol_status read_rule(ol_op_ctx *ctx, ol_linear_attention_params *p)
{
    size_t len = 0;
    const char *rule = ol_node_attr_string(ol_op_node(ctx), "update_rule", &len);
    if (!rule || (len == 11 && memcmp(rule, "gated_delta", 11) == 0))
        p->gated = p->delta = true;
    else if (len == 5 && memcmp(rule, "gated", 5) == 0)
        p->gated = true;
    else if (len == 5 && memcmp(rule, "delta", 5) == 0)
        p->delta = true;
    else if (!(len == 6 && memcmp(rule, "linear", 6) == 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "update_rule '%.*s' is not linear, gated, delta or gated_delta",
                          (int)len, rule);
    return OL_OK;
}

ol_status ol_run_linear_attention(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *q = ol_op_input(ctx, IN_QUERY), *k = ol_op_input(ctx, IN_KEY), *v = ol_op_input(ctx, IN_VALUE);
    const ol_ktensor *past = ol_op_input(ctx, IN_PAST_STATE), *decay = ol_op_input(ctx, IN_DECAY);
    const ol_ktensor *beta = ol_op_input(ctx, IN_BETA);
    if (!q || !k || !v)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs query, key and value");
    if (q->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "inputs of type %s are not supported", ol_dtype_name(q->dtype));
    ol_linear_attention_params p = {.q_heads = ol_node_attr_int(node, "q_num_heads", 0),
                                    .kv_heads = ol_node_attr_int(node, "kv_num_heads", 0)};
    if (read_rule(ctx, &p) != OL_OK)
        return ol_op_error(ctx)->status;
    if (p.q_heads <= 0 || p.kv_heads <= 0 || p.q_heads % p.kv_heads != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "q_num_heads (%lld) must be a positive multiple of kv_num_heads "
                          "(%lld)", (long long)p.q_heads, (long long)p.kv_heads);
    if (q->rank != 3)
        return ol_op_fail(ctx, OL_ERR_INVALID, "query must be [B, T, heads * d_k]");
    p.batch = q->dims[0];
    p.seq = q->dims[1];
    if (!is_3d(k, p.batch, p.seq) || !is_3d(v, p.batch, p.seq) || q->dims[2] % p.q_heads != 0 ||
        v->dims[2] % p.kv_heads != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "key and value must be float [B, T, kv_heads * d] like the query");
    p.key_size = q->dims[2] / p.q_heads;
    p.value_size = v->dims[2] / p.kv_heads;
    if (k->dims[2] != p.kv_heads * p.key_size)
        return ol_op_fail(ctx, OL_ERR_INVALID, "key must hold %lld kv heads of %lld", (long long)p.kv_heads,
                          (long long)p.key_size);
    if (p.gated != (decay != NULL) || p.delta != (beta != NULL))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the update rule needs decay exactly when gated and beta exactly "
                          "when delta");
    if (decay) {
        if (!is_3d(decay, p.batch, p.seq) ||
            (decay->dims[2] != p.kv_heads && decay->dims[2] != p.kv_heads * p.key_size))
            return ol_op_fail(ctx, OL_ERR_INVALID, "decay must be [B, T, kv_heads] or [B, T, kv_heads * d_k]");
        p.decay_per_key = decay->dims[2] == p.kv_heads * p.key_size && p.key_size != 1;
    }
    if (beta) {
        if (!is_3d(beta, p.batch, p.seq) || (beta->dims[2] != p.kv_heads && beta->dims[2] != 1))
            return ol_op_fail(ctx, OL_ERR_INVALID, "beta must be [B, T, kv_heads] or [B, T, 1]");
        p.beta_per_head = beta->dims[2] == p.kv_heads;
    }
    int64_t state_dims[4] = {p.batch, p.kv_heads, p.key_size, p.value_size};
    if (past && (past->dtype != OL_FLOAT || past->rank != 4 || memcmp(past->dims, state_dims, sizeof state_dims)))
        return ol_op_fail(ctx, OL_ERR_INVALID, "past_state must be [%lld, %lld, %lld, %lld]", (long long)p.batch,
                          (long long)p.kv_heads, (long long)p.key_size, (long long)p.value_size);
    float scale = ol_node_attr_float(node, "scale", 0.0f);
    p.scale = scale != 0.0f ? scale : 1.0f / sqrtf((float)p.key_size);
    int64_t state_n = p.batch * p.kv_heads * p.key_size * p.value_size;
    bool want_state = ol_op_output_wanted(ctx, 1);
    float *scratch = ol_op_scratch(ctx, sizeof(float) * (size_t)(p.value_size + (want_state ? 0 : state_n) + 1));
    if (!scratch)
        return ol_op_error(ctx)->status;
    float *state = scratch + p.value_size;
    if (want_state) {
        ol_ktensor *t = ol_op_output(ctx, 1, OL_FLOAT, 4, state_dims);
        if (!t)
            return ol_op_error(ctx)->status;
        state = t->data;
    }
    if (past)
        memcpy(state, past->data, sizeof(float) * (size_t)state_n);
    else
        memset(state, 0, sizeof(float) * (size_t)state_n);
    int64_t y_dims[3] = {p.batch, p.seq, p.q_heads * p.value_size};
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, 3, y_dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_linear_attention_f32(&p, q->data, k->data, v->data, decay ? decay->data : NULL, beta ? beta->data : NULL,
                            state, y->data, scratch);
    return OL_OK;
}
