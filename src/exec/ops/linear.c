/* The linear family's table: convolutions, matrix products, pooling and Einsum. Each entry covers
 * its op from the oldest opset listed on; see the run functions for the per-opset attribute rules. */
#include "exec/ops/linear_ops.h"

const ol_op_def ol_ops_linear[] = {
    {"Conv", "", 1, ol_run_conv, OL_OP_F16_VIA_F32},
    {"FusedConv", "com.microsoft", 1, ol_run_fused_conv, OL_OP_F16_VIA_F32},
    {"ConvTranspose", "", 1, ol_run_conv_transpose, OL_OP_F16_VIA_F32},
    {"Gemm", "", 1, ol_run_gemm, OL_OP_F16_VIA_F32},
    {"MatMul", "", 1, ol_run_matmul, OL_OP_F16_VIA_F32},
    {"MaxPool", "", 1, ol_run_max_pool, OL_OP_F16_VIA_F32},
    {"AveragePool", "", 1, ol_run_average_pool, OL_OP_F16_VIA_F32},
    {"LpPool", "", 1, ol_run_lp_pool, OL_OP_F16_VIA_F32},
    {"GlobalAveragePool", "", 1, ol_run_global_average_pool, OL_OP_F16_VIA_F32},
    {"GlobalMaxPool", "", 1, ol_run_global_max_pool, OL_OP_F16_VIA_F32},
    {"GlobalLpPool", "", 1, ol_run_global_lp_pool, OL_OP_F16_VIA_F32},
    {"Einsum", "", 12, ol_run_einsum, OL_OP_F16_VIA_F32},
    {0},
};
