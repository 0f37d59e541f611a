/* Control flow: If and Loop run their subgraphs through ol_op_run_subgraph and adopt the results
 * as outputs. */
#include "exec/ops/control_internal.h"

#include "exec/compare.h"

const ol_graph *control_subgraph(ol_op_ctx *ctx, const char *name)
{
    const ol_attr *a = ol_node_attr(ol_op_node(ctx), name);
    if (!a || a->type != OL_ATTR_GRAPH || !a->g) {
        ol_op_fail(ctx, OL_ERR_INVALID, "the %s graph attribute is missing", name);
        return NULL;
    }
    return a->g;
}

ol_status control_truth(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, bool *out)
{
    if (ol_ktensor_numel(t) != 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must hold one value, got %lld", what,
                          (long long)ol_ktensor_numel(t));
    double v = ol_ktensor_get_f64(t, 0);
    if (v != v)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s of type %s is not a truth value", what,
                          ol_dtype_name(t->dtype));
    *out = v != 0;
    return OL_OK;
}

const ol_op_def ol_ops_control[] = {
    {"If", "", 1, control_if, 0},
    {"Loop", "", 1, control_loop, 0},
    {0},
};
