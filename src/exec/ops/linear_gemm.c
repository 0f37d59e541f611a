/* Gemm and MatMul. Gemm before opset 7 had a `broadcast` flag; unidirectional broadcasting of C
 * (opset 7 on) accepts every C those versions accepted, so one implementation serves all. */
#include "exec/ops/linear_ops.h"
#include "kernels/gemm.h"

static ol_status check_types(ol_op_ctx *ctx, const ol_ktensor *a, const ol_ktensor *b, const ol_ktensor *c)
{
    if (!a || !b)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs inputs A and B");
    if (!ol_gemm_dtype_supported(a->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(a->dtype));
    if (b->dtype != a->dtype || (c && c->dtype != a->dtype))
        return ol_op_fail(ctx, OL_ERR_INVALID, "inputs must share one type");
    return OL_OK;
}

ol_status ol_run_gemm(ol_op_ctx *ctx)
{
    const ol_ktensor *a = ol_op_input(ctx, 0), *b = ol_op_input(ctx, 1), *c = ol_op_input(ctx, 2);
    ol_status st = check_types(ctx, a, b, c);
    if (st != OL_OK)
        return st;
    const ol_node *node = ol_op_node(ctx);
    ol_gemm_params p = {
        .trans_a = ol_node_attr_int(node, "transA", 0) != 0,
        .trans_b = ol_node_attr_int(node, "transB", 0) != 0,
        .alpha = ol_node_attr_float(node, "alpha", 1.0f),
        .beta = ol_node_attr_float(node, "beta", 1.0f),
    };
    if (a->rank != 2 || b->rank != 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "A and B must be matrices (ranks %d and %d)", a->rank, b->rank);
    int64_t M = p.trans_a ? a->dims[1] : a->dims[0], K = p.trans_a ? a->dims[0] : a->dims[1];
    int64_t KB = p.trans_b ? b->dims[1] : b->dims[0], N = p.trans_b ? b->dims[0] : b->dims[1];
    if (K != KB)
        return ol_op_fail(ctx, OL_ERR_INVALID, "inner dimensions %lld and %lld differ", (long long)K, (long long)KB);
    if (c && !ol_gemm_bias_broadcasts(c, M, N))
        return ol_op_fail(ctx, OL_ERR_INVALID, "C does not broadcast to [%lld, %lld]", (long long)M, (long long)N);
    int64_t blas[] = {M, N, K};
    if ((st = ol_linear_check_blas_dims(ctx, blas, 3)) != OL_OK)
        return st;
    int64_t dims[2] = {M, N};
    ol_ktensor *y = ol_op_output(ctx, 0, a->dtype, 2, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_gemm(&p, a, b, c, y);
    return OL_OK;
}

ol_status ol_run_matmul(ol_op_ctx *ctx)
{
    const ol_ktensor *a = ol_op_input(ctx, 0), *b = ol_op_input(ctx, 1);
    ol_status st = check_types(ctx, a, b, NULL);
    if (st != OL_OK)
        return st;
    int rank;
    int64_t dims[OL_KMAX_RANK];
    if (!ol_matmul_shape(a, b, &rank, dims))
        return ol_op_fail(ctx, OL_ERR_INVALID, "shapes of ranks %d and %d do not multiply", a->rank, b->rank);
    /* The batch of A may fold into its rows: that count must fit BLAS too. */
    int64_t rows = 1;
    for (int d = 0; d + 1 < a->rank; d++)
        rows *= a->dims[d];
    int64_t blas[] = {rows, a->dims[a->rank - 1], b->rank >= 2 ? b->dims[b->rank - 1] : 1};
    if ((st = ol_linear_check_blas_dims(ctx, blas, 3)) != OL_OK)
        return st;
    ol_ktensor *y = ol_op_output(ctx, 0, a->dtype, rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_matmul(a, b, y);
    return OL_OK;
}
