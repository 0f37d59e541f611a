/* Glue of Cast and CastLike: the target dtype, saturate and round_mode attributes; conversions are
 * in backends/kernels/cast.c. */
#include <string.h>

#include "exec/ops/elementwise_ops.h"
#include "kernels/cast.h"

static bool attr_string_is(const char *s, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

static ol_status run_cast_to(ol_op_ctx *ctx, ol_dtype to)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input 0 is missing");
    if (!ol_cast_supported(x->dtype, to))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "casts from %s to %s are not supported",
                          ol_dtype_name(x->dtype), ol_dtype_name(to));
    const ol_node *node = ol_op_node(ctx);
    ol_cast_params params = {.saturate = ol_node_attr_int(node, "saturate", 1) != 0,
                             .e8m0_round = OL_E8M0_ROUND_UP};
    size_t len = 0;
    const char *round = ol_node_attr_string(node, "round_mode", &len);
    if (round && attr_string_is(round, len, "down"))
        params.e8m0_round = OL_E8M0_ROUND_DOWN;
    else if (round && attr_string_is(round, len, "nearest"))
        params.e8m0_round = OL_E8M0_ROUND_NEAREST;
    else if (round && !attr_string_is(round, len, "up"))
        return ol_op_fail(ctx, OL_ERR_INVALID, "round_mode must be \"up\", \"down\" or \"nearest\", "
                          "not \"%.*s\"", (int)len, round);
    ol_ktensor *out = ol_op_output(ctx, 0, to, x->rank, x->dims);
    if (!out)
        return ol_op_error(ctx)->status;
    if (!ol_cast(x, out, &params, ol_op_threads(ctx)))
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "the Cast kernel refused its arguments");
    return OL_OK;
}

ol_status ol_run_cast(ol_op_ctx *ctx)
{
    const ol_attr *to = ol_node_attr(ol_op_node(ctx), "to");
    if (!to || to->type != OL_ATTR_INT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the integer attribute 'to' is missing");
    if (to->i <= OL_UNDEFINED || to->i >= OL_DTYPE_COUNT || !ol_dtype_valid((int)to->i))
        return ol_op_fail(ctx, OL_ERR_INVALID, "'to' is %lld, not a tensor element type",
                          (long long)to->i);
    return run_cast_to(ctx, (ol_dtype)to->i);
}

ol_status ol_run_cast_like(ol_op_ctx *ctx)
{
    const ol_ktensor *like = ol_op_input(ctx, 1);
    if (!like)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input 1 (target_type) is missing");
    return run_cast_to(ctx, like->dtype);
}
