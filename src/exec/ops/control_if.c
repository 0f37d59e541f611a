/* If: runs then_branch or else_branch and hands its outputs over as the node's outputs. */
#include <stdlib.h>

#include "exec/ops/control_internal.h"

ol_status control_if(ol_op_ctx *ctx)
{
    const ol_ktensor *cond_t = ol_op_input(ctx, 0);
    bool cond;
    if (!cond_t)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input 0 (cond)");
    if (control_truth(ctx, cond_t, "cond", &cond) != OL_OK)
        return ol_op_error(ctx)->status;
    const ol_graph *branch = control_subgraph(ctx, cond ? "then_branch" : "else_branch");
    if (!branch)
        return ol_op_error(ctx)->status;
    size_t n = ol_op_output_count(ctx);
    if (branch->n_outputs != n)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the %s branch has %zu outputs, the node %zu",
                          cond ? "then" : "else", branch->n_outputs, n);
    ol_ktensor *results = calloc(n ? n : 1, sizeof *results);
    if (!results)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    ol_status st = ol_op_run_subgraph(ctx, branch, NULL, 0, results, n);
    /* Adoption takes ownership of each buffer, also when it fails; what is left is freed. */
    size_t k = 0;
    for (; st == OL_OK && k < n; k++)
        st = ol_op_adopt_output(ctx, k, results[k].dtype, results[k].rank, results[k].dims, results[k].data);
    for (; k < n; k++)
        free(results[k].data);
    free(results);
    return st;
}
