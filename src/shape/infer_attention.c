/* Attention (opset 23): Q, K, V are either 4-D [batch, heads, seq, head_size] or 3-D
 * [batch, seq, heads * head_size] with the head counts in q_num_heads/kv_num_heads. Y follows Q's
 * layout with V's head size; the present key/value caches and the QK product span the past and new
 * key sequence. */
#include "shape/infer_internal.h"

/* A 3-D operand's [.., .., hidden] split into `heads` heads: hidden / heads. */
static ol_status head_size(infer_ctx *c, const ol_dim *hidden, int64_t heads, const char *what, ol_dim *out)
{
    *out = dim_unknown();
    if (!dim_known(hidden) || heads <= 0)
        return OL_OK;
    if (hidden->value % heads != 0)
        return infer_fail(c, "%s hidden size %lld does not divide into %lld heads", what,
                          (long long)hidden->value, (long long)heads);
    *out = dim_of(hidden->value / heads);
    return OL_OK;
}

static ol_status add_dims(infer_ctx *c, const ol_dim *a, const ol_dim *b, ol_dim *out)
{
    *out = dim_unknown();
    if (dim_known(a) && dim_known(b))
        return infer_checked_add(c, a->value, b->value, &out->value);
    if (dim_known(a) && a->value == 0)
        *out = *b;
    else if (dim_known(b) && b->value == 0)
        *out = *a;
    return OL_OK;
}

static ol_status mul_dims(infer_ctx *c, const ol_dim *a, const ol_dim *b, ol_dim *out)
{
    *out = dim_unknown();
    if (dim_known(a) && dim_known(b))
        return infer_checked_mul(c, a->value, b->value, &out->value);
    return OL_OK;
}

ol_status infer_attention(infer_ctx *c)
{
    ol_status st;
    for (size_t i = 0; i < 3; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int64_t q_heads_attr, kv_heads_attr;
    if ((st = infer_attr_int(c, "q_num_heads", 0, &q_heads_attr)) != OL_OK ||
        (st = infer_attr_int(c, "kv_num_heads", 0, &kv_heads_attr)) != OL_OK)
        return st;
    int rq = infer_in_rank(c, 0), rk = infer_in_rank(c, 1), rv = infer_in_rank(c, 2);
    const char *names[3] = {"Q", "K", "V"};
    int ranks[3] = {rq, rk, rv};
    for (int i = 0; i < 3; i++)
        if (ranks[i] >= 0 && ranks[i] != 3 && ranks[i] != 4)
            return infer_fail(c, "%s must have rank 3 or 4, not %d", names[i], ranks[i]);
    if ((rq == 3 && q_heads_attr <= 0) || ((rk == 3 || rv == 3) && kv_heads_attr <= 0))
        return infer_fail(c, "3-D inputs need positive q_num_heads and kv_num_heads attributes");
    if (rq < 0 || rk < 0 || rv < 0) {
        if ((st = infer_out_tensor(c, 0, elem, rq)) != OL_OK ||
            (st = infer_out_tensor(c, 1, elem, 4)) != OL_OK ||
            (st = infer_out_tensor(c, 2, elem, 4)) != OL_OK)
            return st;
        return infer_out_tensor(c, 3, elem, 4);
    }
    const ol_dim *q = infer_in_dims(c, 0), *k = infer_in_dims(c, 1), *v = infer_in_dims(c, 2);
    ol_dim batch, q_heads, q_seq, kv_heads, kv_seq, k_head, v_head;
    if ((st = infer_dim_unify(c, &q[0], &k[0], "Q and K differ in batch size", &batch)) != OL_OK ||
        (st = infer_dim_unify(c, &batch, &v[0], "Q and V differ in batch size", &batch)) != OL_OK)
        return st;
    q_heads = rq == 4 ? q[1] : dim_of(q_heads_attr);
    q_seq = rq == 4 ? q[2] : q[1];
    kv_heads = rk == 4 ? k[1] : dim_of(kv_heads_attr);
    kv_seq = rk == 4 ? k[2] : k[1];
    if (rk == 4)
        k_head = k[3];
    else if ((st = head_size(c, &k[2], kv_heads_attr, "K", &k_head)) != OL_OK)
        return st;
    if (rv == 4)
        v_head = v[3];
    else if ((st = head_size(c, &v[2], kv_heads_attr, "V", &v_head)) != OL_OK)
        return st;
    const ol_dim *v_seq = rv == 4 ? &v[2] : &v[1];
    if ((st = infer_dim_unify(c, &kv_seq, v_seq, "K and V differ in sequence length", &kv_seq)) != OL_OK)
        return st;

    /* The caches grow by the new keys: past_sequence_length + kv_sequence_length. */
    ol_dim total = kv_seq, zero = dim_of(0);
    const ol_dim *past = infer_in_rank(c, 4) == 4 ? &infer_in_dims(c, 4)[2]
                         : infer_in_present(c, 4) ? NULL : &zero;
    if (!past)
        total = dim_unknown();
    else if ((st = add_dims(c, past, &kv_seq, &total)) != OL_OK)
        return st;

    ol_dim y[4];
    int ry = rq;
    if (rq == 4) {
        y[0] = batch, y[1] = q_heads, y[2] = q_seq, y[3] = v_head;
    } else {
        y[0] = batch, y[1] = q_seq;
        if ((st = mul_dims(c, &q_heads, &v_head, &y[2])) != OL_OK)
            return st;
    }
    ol_dim present_k[4] = {batch, kv_heads, total, k_head};
    ol_dim present_v[4] = {batch, kv_heads, total, v_head};
    ol_dim qk[4] = {batch, q_heads, q_seq, total};
    if ((st = infer_out_tensor_dims(c, 0, elem, ry, y)) != OL_OK ||
        (st = infer_out_tensor_dims(c, 1, infer_in_elem(c, 1), 4, present_k)) != OL_OK ||
        (st = infer_out_tensor_dims(c, 2, infer_in_elem(c, 2), 4, present_v)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 3, elem, 4, qk);
}
