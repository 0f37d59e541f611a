/* The quantization family's table and the parameter helpers its op files share. Each entry covers
 * its op from the opset listed on; the run functions branch on the opset where attributes appeared
 * (axis at 13, saturate at 19, block_size/output_dtype at 21, precision at 23). */
#include "exec/ops/quant_ops.h"

#include "kernels/qtypes.h"

const ol_op_def ol_ops_quant[] = {
    {"QuantizeLinear", "", 10, ol_run_quantize_linear, 0},
    {"DequantizeLinear", "", 10, ol_run_dequantize_linear, 0},
    {"DynamicQuantizeLinear", "", 11, ol_run_dynamic_quantize_linear, 0},
    {"QLinearMatMul", "", 10, ol_run_qlinear_matmul, 0},
    {"MatMulInteger", "", 10, ol_run_matmul_integer, 0},
    {"QLinearConv", "", 10, ol_run_qlinear_conv, 0},
    {"ConvInteger", "", 10, ol_run_conv_integer, 0},
    {0},
};

#define PIECE_ALIGN 64

size_t ol_qop_scratch_reserve(ol_qop_scratch *s, size_t bytes)
{
    size_t offset = s->size;
    s->size += (bytes + PIECE_ALIGN - 1) / PIECE_ALIGN * PIECE_ALIGN;
    return offset;
}

ol_status ol_qop_scratch_get(ol_op_ctx *ctx, ol_qop_scratch *s)
{
    /* Room to align the base, so every piece keeps its alignment. */
    char *raw = ol_op_scratch(ctx, s->size + PIECE_ALIGN);
    if (!raw)
        return ol_op_error(ctx)->status;
    s->base = (char *)(((uintptr_t)raw + PIECE_ALIGN - 1) & ~(uintptr_t)(PIECE_ALIGN - 1));
    return OL_OK;
}

bool ol_qop_is_8bit(ol_dtype t)
{
    return t == OL_UINT8 || t == OL_INT8;
}

void ol_qop_read_zero_points(const ol_ktensor *t, int32_t *out)
{
    int64_t n = ol_ktensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        out[i] = ol_qtype_get_int(t->data, t->dtype, i);
}

bool ol_qop_scale_type_ok(ol_dtype t)
{
    return t == OL_FLOAT || t == OL_FLOAT16 || t == OL_BFLOAT16;
}

void ol_qop_read_scales(const ol_ktensor *t, float *out)
{
    int64_t n = ol_ktensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case OL_FLOAT16: out[i] = ol_half_to_float(((const uint16_t *)t->data)[i]); break;
        case OL_BFLOAT16: out[i] = ol_bf16_to_float(((const uint16_t *)t->data)[i]); break;
        default: out[i] = ((const float *)t->data)[i]; break;
        }
    }
}
