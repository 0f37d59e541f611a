/* RotaryEmbedding (opset 23+): 4-D [batch, heads, seq, head] or 3-D [batch, seq, heads * head]
 * input, caches indexed by position_ids or given per (batch, seq). Float32 (float16/bfloat16 through
 * the executor). */
#include "exec/ops/extra_ops.h"
#include "kernels/rotary.h"

static ol_status check_cache(ol_op_ctx *ctx, const ol_ktensor *cache, const char *name,
                             const ol_rotary_params *p, bool by_position, int64_t *rows)
{
    int64_t half = p->rotary_dim / 2;
    if (!cache || cache->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be a float tensor", name);
    if (by_position) {
        if (cache->rank != 2 || cache->dims[1] != half)
            return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be [max_position, %lld]", name, (long long)half);
        *rows = cache->dims[0];
    } else if (cache->rank != 3 || cache->dims[0] != p->batch || cache->dims[1] != p->seq || cache->dims[2] != half) {
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be [%lld, %lld, %lld] without position_ids", name,
                          (long long)p->batch, (long long)p->seq, (long long)half);
    }
    return OL_OK;
}

ol_status ol_run_rotary_embedding(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0), *cos = ol_op_input(ctx, 1), *sin = ol_op_input(ctx, 2);
    const ol_ktensor *pos = ol_op_input(ctx, 3);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    if (x->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input of type %s is not supported", ol_dtype_name(x->dtype));
    ol_rotary_params p = {.interleaved = ol_node_attr_int(node, "interleaved", 0) != 0};
    if (x->rank == 4) {
        p.batch = x->dims[0];
        p.heads = x->dims[1];
        p.seq = x->dims[2];
        p.head_size = x->dims[3];
        p.head_stride = p.seq * p.head_size;
        p.seq_stride = p.head_size;
        p.batch_stride = p.heads * p.seq * p.head_size;
    } else if (x->rank == 3) {
        int64_t heads = ol_node_attr_int(node, "num_heads", 0);
        if (heads <= 0 || x->dims[2] % heads != 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "3-D input needs num_heads dividing %lld", (long long)x->dims[2]);
        p.batch = x->dims[0];
        p.seq = x->dims[1];
        p.heads = heads;
        p.head_size = x->dims[2] / heads;
        p.head_stride = p.head_size;
        p.seq_stride = x->dims[2];
        p.batch_stride = p.seq * x->dims[2];
    } else {
        return ol_op_fail(ctx, OL_ERR_INVALID, "input must be 3-D or 4-D, is %d-D", x->rank);
    }
    p.rotary_dim = ol_node_attr_int(node, "rotary_embedding_dim", 0);
    if (p.rotary_dim == 0)
        p.rotary_dim = p.head_size;
    if (p.rotary_dim < 0 || p.rotary_dim > p.head_size || p.rotary_dim % 2 != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "rotary_embedding_dim %lld must be even and at most %lld",
                          (long long)p.rotary_dim, (long long)p.head_size);
    int64_t rows = 0, sin_rows = 0;
    if (check_cache(ctx, cos, "cos_cache", &p, pos != NULL, &rows) != OL_OK ||
        check_cache(ctx, sin, "sin_cache", &p, pos != NULL, &sin_rows) != OL_OK)
        return ol_op_error(ctx)->status;
    if (pos) {
        if (pos->dtype != OL_INT64 || pos->rank != 2 || pos->dims[0] != p.batch || pos->dims[1] != p.seq)
            return ol_op_fail(ctx, OL_ERR_INVALID, "position_ids must be int64 [%lld, %lld]", (long long)p.batch,
                              (long long)p.seq);
        const int64_t *ids = pos->data;
        for (int64_t i = 0; i < p.batch * p.seq; i++)
            if (ids[i] < 0 || ids[i] >= rows || ids[i] >= sin_rows)
                return ol_op_fail(ctx, OL_ERR_INVALID, "position id %lld is outside the caches' %lld rows",
                                  (long long)ids[i], (long long)rows);
    }
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_rotary_embedding_f32(&p, x->data, cos->data, sin->data, pos ? pos->data : NULL, y->data);
    return OL_OK;
}
