/* MaxPool, AveragePool, LpPool and their global forms. Attributes added over the opsets (ceil_mode,
 * dilations, storage_order, count_include_pad) default to the behaviour of the versions without
 * them, so one implementation per op reads whatever the node has. */
#include "exec/ops/linear_ops.h"
#include "kernels/pool.h"

static const ol_ktensor *pool_input(ol_op_ctx *ctx, ol_pool_kind kind, int min_rank)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x)
        ol_op_fail(ctx, OL_ERR_INVALID, "missing input X");
    else if (!ol_pool_dtype_supported(kind, x->dtype))
        ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(x->dtype));
    else if (x->rank < min_rank)
        ol_op_fail(ctx, OL_ERR_INVALID, "X needs rank >= %d, has %d", min_rank, x->rank);
    else
        return x;
    return NULL;
}

/* LpPool's p: a float attribute in opset 1, an int since. */
static ol_status read_p(ol_op_ctx *ctx, double *p)
{
    const ol_attr *a = ol_node_attr(ol_op_node(ctx), "p");
    *p = !a ? 2.0 : a->type == OL_ATTR_FLOAT ? (double)a->f : (double)a->i;
    if (!(*p > 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "p must be positive");
    return OL_OK;
}

static ol_status run_pool(ol_op_ctx *ctx, ol_pool_kind kind)
{
    const ol_ktensor *x = pool_input(ctx, kind, 3);
    if (!x)
        return ol_op_error(ctx)->status;
    const ol_node *node = ol_op_node(ctx);
    ol_pool_params p = {
        .kind = kind,
        .count_include_pad = ol_node_attr_int(node, "count_include_pad", 0) != 0,
        .column_major_indices = ol_node_attr_int(node, "storage_order", 0) != 0,
        .threads = ol_op_threads(ctx),
    };
    ol_auto_pad mode;
    bool pads_given;
    ol_status st = ol_linear_read_window(ctx, x->rank - 2, NULL, &p.win, &mode, &pads_given);
    if (st != OL_OK)
        return st;
    if (kind == OL_POOL_LP && (st = read_p(ctx, &p.p)) != OL_OK)
        return st;
    bool ceil_mode = ol_node_attr_int(node, "ceil_mode", 0) != 0;
    int64_t dims[OL_KMAX_RANK] = {x->dims[0], x->dims[1]};
    if (!ol_window_resolve(&p.win, x->dims + 2, mode, ceil_mode, dims + 2))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the window does not fit the padded input");
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t *indices = NULL;
    if (kind == OL_POOL_MAX && ol_op_output_wanted(ctx, 1)) {
        ol_ktensor *ind = ol_op_output(ctx, 1, OL_INT64, x->rank, dims);
        if (!ind)
            return ol_op_error(ctx)->status;
        indices = ind->data;
    }
    size_t bytes = ol_pool_scratch_bytes(&p, x, y);
    void *scratch = NULL;
    if (bytes && !(scratch = ol_op_scratch(ctx, bytes)))
        return ol_op_error(ctx)->status;
    ol_pool(&p, x, y, indices, scratch);
    return OL_OK;
}

ol_status ol_run_max_pool(ol_op_ctx *ctx)
{
    return run_pool(ctx, OL_POOL_MAX);
}

ol_status ol_run_average_pool(ol_op_ctx *ctx)
{
    return run_pool(ctx, OL_POOL_AVERAGE);
}

ol_status ol_run_lp_pool(ol_op_ctx *ctx)
{
    return run_pool(ctx, OL_POOL_LP);
}

static ol_status run_global(ol_op_ctx *ctx, ol_pool_kind kind)
{
    /* Global max pooling is defined for float types only. */
    const ol_ktensor *x = pool_input(ctx, kind == OL_POOL_MAX ? OL_POOL_AVERAGE : kind, 2);
    if (!x)
        return ol_op_error(ctx)->status;
    double p = 2;
    ol_status st;
    if (kind == OL_POOL_LP && (st = read_p(ctx, &p)) != OL_OK)
        return st;
    int64_t dims[OL_KMAX_RANK] = {x->dims[0], x->dims[1]};
    for (int d = 2; d < x->rank; d++)
        dims[d] = 1;
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_global_pool(kind, p, x, y, ol_op_threads(ctx));
    return OL_OK;
}

ol_status ol_run_global_average_pool(ol_op_ctx *ctx)
{
    return run_global(ctx, OL_POOL_AVERAGE);
}

ol_status ol_run_global_max_pool(ol_op_ctx *ctx)
{
    return run_global(ctx, OL_POOL_MAX);
}

ol_status ol_run_global_lp_pool(ol_op_ctx *ctx)
{
    return run_global(ctx, OL_POOL_LP);
}
