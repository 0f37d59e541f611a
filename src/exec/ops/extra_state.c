/* Decoding-state ops: CausalConvWithState (opset 27+, float32 with float16 through the executor) and
 * TensorScatter (opset 24+, any byte-sized type). */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/axis_gather.h"
#include "kernels/causal_conv.h"
#include "kernels/tensor_scatter.h"

ol_status ol_run_causal_conv_with_state(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *w = ol_op_input(ctx, 1), *bias = ol_op_input(ctx, 2);
    const ol_ktensor *past = ol_op_input(ctx, 3);
    if (!x || !w)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs input and weight");
    if (x->dtype != OL_FLOAT || w->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "inputs of type %s are not supported", ol_dtype_name(x->dtype));
    if (x->rank != 3 || w->rank != 3 || w->dims[0] != x->dims[1] || w->dims[1] != 1 || w->dims[2] < 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input must be [B, C, L] and weight [C, 1, k]");
    int64_t batch = x->dims[0], channels = x->dims[1], length = x->dims[2], kernel = w->dims[2];
    if (bias && (bias->dtype != OL_FLOAT || bias->rank != 1 || bias->dims[0] != channels))
        return ol_op_fail(ctx, OL_ERR_INVALID, "bias must be [%lld]", (long long)channels);
    int64_t state_dims[3] = {batch, channels, kernel - 1};
    if (past && (past->dtype != OL_FLOAT || past->rank != 3 || memcmp(past->dims, state_dims, sizeof state_dims)))
        return ol_op_fail(ctx, OL_ERR_INVALID, "past_state must be [%lld, %lld, %lld]", (long long)batch,
                          (long long)channels, (long long)(kernel - 1));
    size_t len = 0;
    const char *act = ol_node_attr_string(ol_op_node(ctx), "activation", &len);
    bool silu = act && ((len == 4 && memcmp(act, "silu", 4) == 0) || (len == 5 && memcmp(act, "swish", 5) == 0));
    if (act && !silu && !(len == 4 && memcmp(act, "none", 4) == 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "activation '%.*s' is not none, silu or swish", (int)len, act);
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, 3, x->dims);
    ol_ktensor *present = y ? ol_op_output(ctx, 1, OL_FLOAT, 3, state_dims) : NULL;
    if (!present)
        return ol_op_error(ctx)->status;
    ol_causal_conv_f32(x->data, w->data, bias ? bias->data : NULL, past ? past->data : NULL, batch, channels, length,
                       kernel, silu, y->data, present->data);
    return OL_OK;
}

ol_status ol_run_tensor_scatter(ol_op_ctx *ctx)
{
    const ol_ktensor *cache = ol_op_input(ctx, 0), *update = ol_op_input(ctx, 1), *write = ol_op_input(ctx, 2);
    if (!cache || !update)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs past_cache and update");
    size_t esize = ol_elem_size(cache->dtype);
    if (!esize || update->dtype != cache->dtype)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "past_cache and update must share a byte-sized type");
    int axis;
    if (!ol_op_axis(ol_node_attr_int(ol_op_node(ctx), "axis", -2), cache->rank, &axis) || axis == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis must name a non-batch axis of the cache");
    bool fits = update->rank == cache->rank;
    for (int d = 0; fits && d < cache->rank; d++)
        fits = d == axis ? update->dims[d] <= cache->dims[d] : update->dims[d] == cache->dims[d];
    if (!fits)
        return ol_op_fail(ctx, OL_ERR_INVALID, "update must match past_cache except for a shorter sequence axis");
    size_t len = 0;
    const char *mode = ol_node_attr_string(ol_op_node(ctx), "mode", &len);
    bool circular = mode && len == 8 && memcmp(mode, "circular", 8) == 0;
    if (mode && !circular && !(len == 6 && memcmp(mode, "linear", 6) == 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "mode '%.*s' is not linear or circular", (int)len, mode);
    int64_t batch = cache->dims[0];
    if (write && (write->dtype != OL_INT64 || write->rank != 1 || write->dims[0] != batch))
        return ol_op_fail(ctx, OL_ERR_INVALID, "write_indices must be int64 [%lld]", (long long)batch);
    ol_ktensor *y = ol_op_output(ctx, 0, cache->dtype, cache->rank, cache->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t bad = ol_tensor_scatter(cache->data, update->data, write ? write->data : NULL, batch,
                                    ol_op_dims_product(cache, 1, axis), cache->dims[axis], update->dims[axis],
                                    ol_op_dims_product(cache, axis + 1, cache->rank), esize, circular, y->data);
    if (bad >= 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "batch entry %lld writes past the cache's %lld positions",
                          (long long)bad, (long long)cache->dims[axis]);
    return OL_OK;
}
