/* Run functions of the quantization family (table in quant.c) and the parameter reading they share. */
#ifndef OL_EXEC_QUANT_OPS_H
#define OL_EXEC_QUANT_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/op.h"

ol_status ol_run_quantize_linear(ol_op_ctx *ctx);
ol_status ol_run_dequantize_linear(ol_op_ctx *ctx);
ol_status ol_run_dynamic_quantize_linear(ol_op_ctx *ctx);
ol_status ol_run_qlinear_matmul(ol_op_ctx *ctx);
ol_status ol_run_matmul_integer(ol_op_ctx *ctx);
ol_status ol_run_qlinear_conv(ol_op_ctx *ctx);
ol_status ol_run_conv_integer(ol_op_ctx *ctx);

/* One scratch buffer carved into aligned pieces: reserve every piece, then ol_op_scratch the total
 * once (the executor's scratch is a single buffer per op) and take the pieces' addresses. */
typedef struct ol_qop_scratch {
    size_t size;
    char *base;
} ol_qop_scratch;

size_t ol_qop_scratch_reserve(ol_qop_scratch *s, size_t bytes);   /* returns the piece's offset */
ol_status ol_qop_scratch_get(ol_op_ctx *ctx, ol_qop_scratch *s);
static inline void *ol_qop_scratch_at(const ol_qop_scratch *s, size_t offset)
{
    return s->base + offset;
}

/* uint8 or int8. */
bool ol_qop_is_8bit(ol_dtype t);
/* Values of a uint8/int8 zero-point tensor as int32. */
void ol_qop_read_zero_points(const ol_ktensor *t, int32_t *out);
/* float32, float16 or bfloat16 scales as float32. */
bool ol_qop_scale_type_ok(ol_dtype t);
void ol_qop_read_scales(const ol_ktensor *t, float *out);

#endif
