/* Einsum (opset 12): the equation attribute and the inputs go to kernels/einsum. */
#include "exec/ops/linear_ops.h"
#include "kernels/einsum.h"

ol_status ol_run_einsum(ol_op_ctx *ctx)
{
    size_t len, n = ol_op_input_count(ctx);
    const char *equation = ol_node_attr_string(ol_op_node(ctx), "equation", &len);
    if (!equation)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing the equation attribute");
    if (n < 1 || n > OL_EINSUM_MAX_INPUTS)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%zu inputs (1..%d handled)", n, OL_EINSUM_MAX_INPUTS);
    const ol_ktensor *inputs[OL_EINSUM_MAX_INPUTS];
    for (size_t i = 0; i < n; i++)
        if (!(inputs[i] = ol_op_input(ctx, i)))
            return ol_op_fail(ctx, OL_ERR_INVALID, "input %zu is missing", i);
    if (!ol_einsum_dtype_supported(inputs[0]->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported",
                          ol_dtype_name(inputs[0]->dtype));
    ol_einsum_plan plan;
    ol_error why = {0};
    if (ol_einsum_prepare(equation, len, inputs, (int)n, &plan, &why) != OL_OK)
        return ol_op_fail(ctx, why.status, "%s", why.message);
    int64_t dims[OL_KMAX_RANK];
    ol_einsum_output_dims(&plan, dims);
    ol_ktensor *y = ol_op_output(ctx, 0, plan.dtype, plan.output.n, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    void *scratch = NULL;
    if (plan.scratch_bytes && !(scratch = ol_op_scratch(ctx, plan.scratch_bytes)))
        return ol_op_error(ctx)->status;
    ol_einsum_run(&plan, inputs, y, scratch);
    return OL_OK;
}
