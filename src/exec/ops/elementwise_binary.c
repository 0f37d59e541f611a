/* Glue of the binary and variadic elementwise ops and Where: attribute and opset rules, shapes,
 * dtype checks; the arithmetic is in backends/kernels/binary.c and where.c. */
#include <stdio.h>
#include <string.h>

#include "exec/ops/elementwise_ops.h"
#include "kernels/binary.h"
#include "kernels/broadcast.h"
#include "kernels/where.h"

const char *ol_elementwise_shape_str(const ol_ktensor *t, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->rank && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? "," : "", (long long)t->dims[d]);
    if (len < size)
        snprintf(buf + len, size - len, "]");
    return buf;
}

static const ol_ktensor *required_input(ol_op_ctx *ctx, size_t i)
{
    const ol_ktensor *t = ol_op_input(ctx, i);
    if (!t)
        ol_op_fail(ctx, OL_ERR_INVALID, "input %zu is missing", i);
    return t;
}

/* Before opset 7 the arithmetic, logic and comparison ops broadcast only with broadcast=1, and
 * then B's dims line up with A's starting at `axis` (default: B's dims are A's trailing ones).
 * The result is B seen with A's rank, so numpy broadcasting does the rest. */
static bool legacy_broadcast_view(ol_op_ctx *ctx, const ol_ktensor *a, const ol_ktensor *b,
                                  ol_ktensor *view)
{
    const ol_node *node = ol_op_node(ctx);
    if (ol_op_opset(ctx) >= 7 || ol_node_attr_int(node, "broadcast", 0) == 0)
        return true;
    int64_t axis = ol_node_attr_int(node, "axis", a->rank - b->rank);
    if (axis < 0)
        axis += a->rank;
    if (axis < 0 || axis + b->rank > a->rank) {
        ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld does not place a rank-%d B inside a rank-%d A",
                   (long long)ol_node_attr_int(node, "axis", 0), b->rank, a->rank);
        return false;
    }
    *view = *b;
    view->rank = a->rank;
    for (int d = 0; d < a->rank; d++)
        view->dims[d] = d >= axis && d < axis + b->rank ? b->dims[d - axis] : 1;
    return true;
}

static ol_status run_binary(ol_op_ctx *ctx, ol_binary_op op)
{
    const ol_ktensor *a = required_input(ctx, 0), *b = a ? required_input(ctx, 1) : NULL;
    if (!a || !b)
        return ol_op_error(ctx)->status;
    if (a->dtype != b->dtype && op != OL_BINARY_POW)
        return ol_op_fail(ctx, OL_ERR_INVALID, "inputs have different types %s and %s",
                          ol_dtype_name(a->dtype), ol_dtype_name(b->dtype));
    if (!ol_binary_supported(op, a->dtype, b->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s inputs are not supported",
                          ol_dtype_name(a->dtype == b->dtype ? a->dtype : b->dtype));
    ol_ktensor b_view;
    if (!legacy_broadcast_view(ctx, a, b, &b_view))
        return ol_op_error(ctx)->status;
    if (ol_op_opset(ctx) < 7 && ol_node_attr_int(ol_op_node(ctx), "broadcast", 0))
        b = &b_view;
    const ol_ktensor *ins[2] = {a, b};
    int rank;
    int64_t dims[OL_KMAX_RANK];
    if (ol_broadcast_shapes(2, ins, &rank, dims) >= 0) {
        char sa[128], sb[128];
        return ol_op_fail(ctx, OL_ERR_INVALID, "input shapes %s and %s do not broadcast",
                          ol_elementwise_shape_str(a, sa, sizeof sa),
                          ol_elementwise_shape_str(b, sb, sizeof sb));
    }
    ol_ktensor *out = ol_op_output(ctx, 0, ol_binary_result_dtype(op, a->dtype), rank, dims);
    if (!out)
        return ol_op_error(ctx)->status;
    if (!ol_binary(op, a, b, out, ol_op_threads(ctx)))
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "the binary kernel refused its arguments");
    return OL_OK;
}

ol_status ol_run_add(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_ADD); }
ol_status ol_run_sub(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_SUB); }
ol_status ol_run_mul(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_MUL); }
ol_status ol_run_div(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_DIV); }
ol_status ol_run_pow(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_POW); }
ol_status ol_run_bitwise_and(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_BIT_AND); }
ol_status ol_run_bitwise_or(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_BIT_OR); }
ol_status ol_run_bitwise_xor(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_BIT_XOR); }
ol_status ol_run_and(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_AND); }
ol_status ol_run_or(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_OR); }
ol_status ol_run_xor(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_XOR); }
ol_status ol_run_equal(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_EQUAL); }
ol_status ol_run_greater(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_GREATER); }
ol_status ol_run_greater_or_equal(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_GREATER_EQUAL); }
ol_status ol_run_less(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_LESS); }
ol_status ol_run_less_or_equal(ol_op_ctx *ctx) { return run_binary(ctx, OL_BINARY_LESS_EQUAL); }

static bool is_float_dtype(ol_dtype t)
{
    return t == OL_FLOAT || t == OL_DOUBLE || t == OL_FLOAT16 || t == OL_BFLOAT16;
}

ol_status ol_run_mod(ol_op_ctx *ctx)
{
    int64_t fmod = ol_node_attr_int(ol_op_node(ctx), "fmod", 0);
    const ol_ktensor *a = ol_op_input(ctx, 0);
    if (!fmod && a && is_float_dtype(a->dtype))
        return ol_op_fail(ctx, OL_ERR_INVALID, "fmod must be 1 for %s inputs",
                          ol_dtype_name(a->dtype));
    return run_binary(ctx, fmod ? OL_BINARY_FMOD : OL_BINARY_MOD);
}

ol_status ol_run_bit_shift(ol_op_ctx *ctx)
{
    size_t len = 0;
    const char *dir = ol_node_attr_string(ol_op_node(ctx), "direction", &len);
    if (dir && len == 4 && memcmp(dir, "LEFT", 4) == 0)
        return run_binary(ctx, OL_BINARY_SHIFT_LEFT);
    if (dir && len == 5 && memcmp(dir, "RIGHT", 5) == 0)
        return run_binary(ctx, OL_BINARY_SHIFT_RIGHT);
    return ol_op_fail(ctx, OL_ERR_INVALID, "direction must be \"LEFT\" or \"RIGHT\"");
}

/* PRelu broadcasts the slope to X (unidirectionally): the output keeps X's shape. */
ol_status ol_run_prelu(ol_op_ctx *ctx)
{
    const ol_ktensor *x = required_input(ctx, 0), *slope = x ? required_input(ctx, 1) : NULL;
    if (!x || !slope)
        return ol_op_error(ctx)->status;
    if (!ol_broadcasts_to(slope->rank, slope->dims, x->rank, x->dims)) {
        char sx[128], ss[128];
        return ol_op_fail(ctx, OL_ERR_INVALID, "slope shape %s does not broadcast to X shape %s",
                          ol_elementwise_shape_str(slope, ss, sizeof ss),
                          ol_elementwise_shape_str(x, sx, sizeof sx));
    }
    return run_binary(ctx, OL_BINARY_PRELU);
}

/* Max, Min, Sum, Mean: any number of inputs, broadcast together. */
static ol_status run_variadic(ol_op_ctx *ctx, ol_binary_op op, bool mean)
{
    size_t n = ol_op_input_count(ctx);
    if (n == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs at least one input");
    const ol_ktensor *small[8];
    const ol_ktensor **ins = n <= 8 ? small : ol_op_scratch(ctx, n * sizeof *ins);
    if (!ins)
        return ol_op_error(ctx)->status;
    for (size_t k = 0; k < n; k++) {
        if (!(ins[k] = required_input(ctx, k)))
            return ol_op_error(ctx)->status;
        if (ins[k]->dtype != ins[0]->dtype)
            return ol_op_fail(ctx, OL_ERR_INVALID, "input %zu is %s, input 0 is %s", k,
                              ol_dtype_name(ins[k]->dtype), ol_dtype_name(ins[0]->dtype));
    }
    ol_dtype dtype = ins[0]->dtype;
    if (!ol_binary_supported(op, dtype, dtype) || (mean && dtype != OL_FLOAT && dtype != OL_DOUBLE))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s inputs are not supported",
                          ol_dtype_name(dtype));
    int rank;
    int64_t dims[OL_KMAX_RANK];
    int bad = ol_broadcast_shapes((int)n, ins, &rank, dims);
    if (bad >= 0) {
        char s[128];
        return ol_op_fail(ctx, OL_ERR_INVALID, "input %d (shape %s) does not broadcast with the "
                          "inputs before it", bad, ol_elementwise_shape_str(ins[bad], s, sizeof s));
    }
    ol_ktensor *out = ol_op_output(ctx, 0, dtype, rank, dims);
    if (!out)
        return ol_op_error(ctx)->status;
    bool ok = mean ? ol_mean(n, ins, out, ol_op_threads(ctx))
                   : ol_binary_fold(op, n, ins, out, ol_op_threads(ctx));
    return ok ? OL_OK : ol_op_fail(ctx, OL_ERR_INTERNAL, "the variadic kernel refused its arguments");
}

ol_status ol_run_max(ol_op_ctx *ctx) { return run_variadic(ctx, OL_BINARY_MAX, false); }
ol_status ol_run_min(ol_op_ctx *ctx) { return run_variadic(ctx, OL_BINARY_MIN, false); }
ol_status ol_run_sum(ol_op_ctx *ctx) { return run_variadic(ctx, OL_BINARY_ADD, false); }
ol_status ol_run_mean(ol_op_ctx *ctx) { return run_variadic(ctx, OL_BINARY_ADD, true); }

ol_status ol_run_where(ol_op_ctx *ctx)
{
    const ol_ktensor *ins[3];
    for (size_t k = 0; k < 3; k++)
        if (!(ins[k] = required_input(ctx, k)))
            return ol_op_error(ctx)->status;
    if (ins[0]->dtype != OL_BOOL)
        return ol_op_fail(ctx, OL_ERR_INVALID, "condition is %s, not bool", ol_dtype_name(ins[0]->dtype));
    if (ins[1]->dtype != ins[2]->dtype)
        return ol_op_fail(ctx, OL_ERR_INVALID, "X is %s but Y is %s", ol_dtype_name(ins[1]->dtype),
                          ol_dtype_name(ins[2]->dtype));
    if (!ol_where_supported(ins[1]->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s inputs are not supported",
                          ol_dtype_name(ins[1]->dtype));
    int rank;
    int64_t dims[OL_KMAX_RANK];
    int bad = ol_broadcast_shapes(3, ins, &rank, dims);
    if (bad >= 0) {
        char s[128];
        return ol_op_fail(ctx, OL_ERR_INVALID, "input %d (shape %s) does not broadcast with the "
                          "inputs before it", bad, ol_elementwise_shape_str(ins[bad], s, sizeof s));
    }
    ol_ktensor *out = ol_op_output(ctx, 0, ins[1]->dtype, rank, dims);
    if (!out)
        return ol_op_error(ctx)->status;
    if (!ol_where(ins[0], ins[1], ins[2], out, ol_op_threads(ctx)))
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "the Where kernel refused its arguments");
    return OL_OK;
}
