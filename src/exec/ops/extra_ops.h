/* Run functions of the extra family (attention, losses, Scan, sampling grids, recurrent and
 * detection ops, and smaller tensor ops), listed in one table in extra.c. */
#ifndef OL_EXEC_EXTRA_OPS_H
#define OL_EXEC_EXTRA_OPS_H

#include "exec/op.h"

ol_status ol_run_attention(ol_op_ctx *ctx);
ol_status ol_run_nll_loss(ol_op_ctx *ctx);
ol_status ol_run_softmax_cross_entropy(ol_op_ctx *ctx);
ol_status ol_run_scan(ol_op_ctx *ctx);
ol_status ol_run_grid_sample(ol_op_ctx *ctx);
ol_status ol_run_affine_grid(ol_op_ctx *ctx);
ol_status ol_run_rotary_embedding(ol_op_ctx *ctx);
ol_status ol_run_cumprod(ol_op_ctx *ctx);
ol_status ol_run_lp_normalization(ol_op_ctx *ctx);
ol_status ol_run_eye_like(ol_op_ctx *ctx);
ol_status ol_run_compress(ol_op_ctx *ctx);
ol_status ol_run_unique(ol_op_ctx *ctx);
ol_status ol_run_center_crop_pad(ol_op_ctx *ctx);
ol_status ol_run_reverse_sequence(ol_op_ctx *ctx);
ol_status ol_run_col2im(ol_op_ctx *ctx);
ol_status ol_run_max_unpool(ol_op_ctx *ctx);
ol_status ol_run_rnn(ol_op_ctx *ctx);
ol_status ol_run_gru(ol_op_ctx *ctx);
ol_status ol_run_lstm(ol_op_ctx *ctx);
ol_status ol_run_non_max_suppression(ol_op_ctx *ctx);
ol_status ol_run_roi_align(ol_op_ctx *ctx);
ol_status ol_run_swiglu(ol_op_ctx *ctx);
ol_status ol_run_linear_attention(ol_op_ctx *ctx);
ol_status ol_run_causal_conv_with_state(ol_op_ctx *ctx);
ol_status ol_run_tensor_scatter(ol_op_ctx *ctx);

#endif
