/* Run functions of the linear family (table in linear.c) and the attribute reading they share. */
#ifndef OL_EXEC_LINEAR_OPS_H
#define OL_EXEC_LINEAR_OPS_H

#include <stdbool.h>

#include "exec/op.h"
#include "kernels/window.h"

ol_status ol_run_conv(ol_op_ctx *ctx);
ol_status ol_run_fused_conv(ol_op_ctx *ctx);
ol_status ol_run_conv_transpose(ol_op_ctx *ctx);
ol_status ol_run_gemm(ol_op_ctx *ctx);
ol_status ol_run_matmul(ol_op_ctx *ctx);
ol_status ol_run_max_pool(ol_op_ctx *ctx);
ol_status ol_run_average_pool(ol_op_ctx *ctx);
ol_status ol_run_lp_pool(ol_op_ctx *ctx);
ol_status ol_run_global_average_pool(ol_op_ctx *ctx);
ol_status ol_run_global_max_pool(ol_op_ctx *ctx);
ol_status ol_run_global_lp_pool(ol_op_ctx *ctx);
ol_status ol_run_einsum(ol_op_ctx *ctx);

/* Window attributes of a conv or pool node over `spatial` axes: kernel_shape (which must match
 * `kernel` when the weights give it; pools pass NULL and require the attribute), strides,
 * dilations, pads and auto_pad. *pads_given tells whether the node had a pads attribute. */
ol_status ol_linear_read_window(ol_op_ctx *ctx, int spatial, const int64_t *kernel, ol_window *w,
                                ol_auto_pad *mode, bool *pads_given);

/* Fails unless every value fits in a BLAS int. */
ol_status ol_linear_check_blas_dims(ol_op_ctx *ctx, const int64_t *values, int n);

#endif
