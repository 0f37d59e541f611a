/* Reductions. Where the axes live depends on op and opset: ReduceSum took them as an input from
 * opset 13, the other Reduce* ops from opset 18; both forms honour keepdims, and the input form adds
 * noop_with_empty_axes. */
#include <string.h>

#include "shape/infer_internal.h"

static int64_t axes_input_since(const char *op_type)
{
    return strcmp(op_type, "ReduceSum") == 0 ? 13 : 18;
}

/* ReduceProd/ReduceSum over a whole known shape vector: the element count idiom of exports. */
static void propagate_reduce(infer_ctx *c, bool keepdims)
{
    bool prod = strcmp(c->node->op_type, "ReduceProd") == 0;
    bool sum = strcmp(c->node->op_type, "ReduceSum") == 0;
    known_ints in;
    if ((!prod && !sum) || !infer_in_known(c, 0, &in) || in.rank != 1)
        return;
    int64_t acc = prod ? 1 : 0;
    const char *symbol = NULL;
    for (size_t i = 0; i < in.n; i++) {
        const sym_int *v = &in.v[i];
        if (v->kind == SYM_PARAM && !symbol) {
            symbol = v->param;
        } else if (v->kind != SYM_VALUE) {
            return;
        } else if (prod ? __builtin_mul_overflow(acc, v->value, &acc)
                        : __builtin_add_overflow(acc, v->value, &acc)) {
            return;
        }
    }
    sym_int r = {.kind = SYM_VALUE, .value = acc};
    if (symbol) {
        /* Only symbol * 1 or symbol + 0 stays a known symbol. */
        if (acc != (prod ? 1 : 0))
            return;
        r = (sym_int){.kind = SYM_PARAM, .value = -1, .param = symbol};
    }
    known_ints out = {.rank = keepdims ? 1 : 0, .n = 1, .v = {r}};
    infer_out_set_known(c, 0, &out);
}

ol_status infer_reduce(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int64_t keepdims, noop;
    axes_arg axes;
    int64_t since = axes_input_since(c->node->op_type);
    if ((st = infer_attr_int(c, "keepdims", 1, &keepdims)) != OL_OK ||
        (st = infer_attr_int(c, "noop_with_empty_axes", 0, &noop)) != OL_OK ||
        (st = infer_read_axes(c, since, 1, &axes)) != OL_OK)
        return st;
    if (c->opset < since && ol_node_attr(c->node, "noop_with_empty_axes"))
        return infer_fail(c, "attribute 'noop_with_empty_axes' needs opset %lld", (long long)since);
    int rank = infer_in_rank(c, 0);
    bool empty = !axes.given || axes.count == 0;
    if (empty && noop)
        return infer_out_like_input(c, 0, 0, OL_UNDEFINED);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    bool mask[OL_MAX_RANK];
    if (empty) {
        for (int d = 0; d < rank; d++)
            mask[d] = true;
        propagate_reduce(c, keepdims != 0);
    } else if (!axes.known) {
        if (keepdims)
            return infer_out_tensor(c, 0, elem, rank);
        bool count_known = axes.count >= 0 && axes.count <= rank;
        return infer_out_tensor(c, 0, elem, count_known ? rank - (int)axes.count : -1);
    } else if ((st = infer_axes_to_mask(c, axes.values, (size_t)axes.count, rank, "axes", mask)) != OL_OK) {
        return st;
    } else if (rank == 1) {
        propagate_reduce(c, keepdims != 0);
    }
    ol_dim out[OL_MAX_RANK];
    int r = 0;
    for (int d = 0; d < rank; d++) {
        if (!mask[d])
            out[r++] = infer_in_dims(c, 0)[d];
        else if (keepdims)
            out[r++] = dim_of(1);
    }
    return infer_out_tensor_dims(c, 0, elem, r, out);
}

ol_status infer_arg_reduce(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t axis, keepdims;
    if ((st = infer_attr_int(c, "axis", 0, &axis)) != OL_OK ||
        (st = infer_attr_int(c, "keepdims", 1, &keepdims)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, OL_INT64, -1);
    if (rank == 0)
        return infer_fail(c, "input must have rank >= 1");
    int a;
    if ((st = infer_axis_normalize(c, axis, rank, "axis", &a)) != OL_OK)
        return st;
    ol_dim out[OL_MAX_RANK];
    int r = 0;
    for (int d = 0; d < rank; d++) {
        if (d != a)
            out[r++] = infer_in_dims(c, 0)[d];
        else if (keepdims)
            out[r++] = dim_of(1);
    }
    return infer_out_tensor_dims(c, 0, OL_INT64, r, out);
}

/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: a scalar for the "mean" and "sum"
 * reductions, the target's shape for "none"; SoftmaxCrossEntropyLoss's log_prob has the scores'. */
ol_status infer_loss(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    const char *reduction;
    size_t len;
    if ((st = infer_attr_string(c, "reduction", "mean", &reduction, &len)) != OL_OK)
        return st;
    if (infer_bytes_equal(reduction, len, "none"))
        st = infer_out_shape_of_input(c, 0, 1, elem);
    else if (infer_bytes_equal(reduction, len, "mean") || infer_bytes_equal(reduction, len, "sum"))
        st = infer_out_tensor(c, 0, elem, 0);
    else
        return infer_fail(c, "unknown reduction '%.*s'", (int)len, reduction);
    return st != OL_OK ? st : infer_out_like_input(c, 1, 0, OL_UNDEFINED);
}
