/* The elementwise family's op functions, defined in elementwise_{binary,unary,cast}.c and listed in
 * the ol_ops_elementwise table (elementwise.c). */
#ifndef OL_EXEC_OPS_ELEMENTWISE_OPS_H
#define OL_EXEC_OPS_ELEMENTWISE_OPS_H

#include <stddef.h>

#include "exec/op.h"

/* "[2,3,4]" into buf, for error messages. */
const char *ol_elementwise_shape_str(const ol_ktensor *t, char *buf, size_t size);

/* elementwise_binary.c */
ol_status ol_run_add(ol_op_ctx *ctx);
ol_status ol_run_sub(ol_op_ctx *ctx);
ol_status ol_run_mul(ol_op_ctx *ctx);
ol_status ol_run_div(ol_op_ctx *ctx);
ol_status ol_run_pow(ol_op_ctx *ctx);
ol_status ol_run_mod(ol_op_ctx *ctx);
ol_status ol_run_bit_shift(ol_op_ctx *ctx);
ol_status ol_run_bitwise_and(ol_op_ctx *ctx);
ol_status ol_run_bitwise_or(ol_op_ctx *ctx);
ol_status ol_run_bitwise_xor(ol_op_ctx *ctx);
ol_status ol_run_and(ol_op_ctx *ctx);
ol_status ol_run_or(ol_op_ctx *ctx);
ol_status ol_run_xor(ol_op_ctx *ctx);
ol_status ol_run_equal(ol_op_ctx *ctx);
ol_status ol_run_greater(ol_op_ctx *ctx);
ol_status ol_run_greater_or_equal(ol_op_ctx *ctx);
ol_status ol_run_less(ol_op_ctx *ctx);
ol_status ol_run_less_or_equal(ol_op_ctx *ctx);
ol_status ol_run_prelu(ol_op_ctx *ctx);
ol_status ol_run_max(ol_op_ctx *ctx);
ol_status ol_run_min(ol_op_ctx *ctx);
ol_status ol_run_sum(ol_op_ctx *ctx);
ol_status ol_run_mean(ol_op_ctx *ctx);
ol_status ol_run_where(ol_op_ctx *ctx);

/* elementwise_unary.c */
ol_status ol_run_neg(ol_op_ctx *ctx);
ol_status ol_run_abs(ol_op_ctx *ctx);
ol_status ol_run_sign(ol_op_ctx *ctx);
ol_status ol_run_reciprocal(ol_op_ctx *ctx);
ol_status ol_run_floor(ol_op_ctx *ctx);
ol_status ol_run_ceil(ol_op_ctx *ctx);
ol_status ol_run_round(ol_op_ctx *ctx);
ol_status ol_run_sqrt(ol_op_ctx *ctx);
ol_status ol_run_exp(ol_op_ctx *ctx);
ol_status ol_run_log(ol_op_ctx *ctx);
ol_status ol_run_sin(ol_op_ctx *ctx);
ol_status ol_run_cos(ol_op_ctx *ctx);
ol_status ol_run_tan(ol_op_ctx *ctx);
ol_status ol_run_asin(ol_op_ctx *ctx);
ol_status ol_run_acos(ol_op_ctx *ctx);
ol_status ol_run_atan(ol_op_ctx *ctx);
ol_status ol_run_sinh(ol_op_ctx *ctx);
ol_status ol_run_cosh(ol_op_ctx *ctx);
ol_status ol_run_asinh(ol_op_ctx *ctx);
ol_status ol_run_acosh(ol_op_ctx *ctx);
ol_status ol_run_atanh(ol_op_ctx *ctx);
ol_status ol_run_erf(ol_op_ctx *ctx);
ol_status ol_run_is_nan(ol_op_ctx *ctx);
ol_status ol_run_is_inf(ol_op_ctx *ctx);
ol_status ol_run_not(ol_op_ctx *ctx);
ol_status ol_run_bitwise_not(ol_op_ctx *ctx);
ol_status ol_run_relu(ol_op_ctx *ctx);
ol_status ol_run_leaky_relu(ol_op_ctx *ctx);
ol_status ol_run_elu(ol_op_ctx *ctx);
ol_status ol_run_selu(ol_op_ctx *ctx);
ol_status ol_run_celu(ol_op_ctx *ctx);
ol_status ol_run_sigmoid(ol_op_ctx *ctx);
ol_status ol_run_hard_sigmoid(ol_op_ctx *ctx);
ol_status ol_run_hard_swish(ol_op_ctx *ctx);
ol_status ol_run_tanh(ol_op_ctx *ctx);
ol_status ol_run_softplus(ol_op_ctx *ctx);
ol_status ol_run_softsign(ol_op_ctx *ctx);
ol_status ol_run_gelu(ol_op_ctx *ctx);
ol_status ol_run_mish(ol_op_ctx *ctx);
ol_status ol_run_swish(ol_op_ctx *ctx);
ol_status ol_run_thresholded_relu(ol_op_ctx *ctx);
ol_status ol_run_shrink(ol_op_ctx *ctx);
ol_status ol_run_clip(ol_op_ctx *ctx);

/* elementwise_cast.c */
ol_status ol_run_cast(ol_op_ctx *ctx);
ol_status ol_run_cast_like(ol_op_ctx *ctx);

#endif
