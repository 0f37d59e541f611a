/* QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: attribute and shape rules per opset;
 * the arithmetic is in kernels/quantize.c. */
#include <math.h>
#include <string.h>

#include "exec/ops/op_util.h"
#include "exec/ops/quant_ops.h"
#include "kernels/qtypes.h"
#include "kernels/quantize.h"

static bool same_dims(const ol_ktensor *a, const ol_ktensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

/* Which scale each element of x uses: per tensor (one scale), per axis (a 1-D scale as long as
 * x's axis, opset 13+) or blocked (block_size > 0, opset 21+: x's shape with the axis divided by
 * the block size, rounded up). */
static ol_status read_layout(ol_op_ctx *ctx, const ol_ktensor *x, const ol_ktensor *scale,
                             const ol_ktensor *zero_point, ol_quant_axis *layout)
{
    const ol_node *node = ol_op_node(ctx);
    int64_t opset = ol_op_opset(ctx);
    int64_t axis_attr = opset >= 13 ? ol_node_attr_int(node, "axis", 1) : 1;
    int64_t block = opset >= 21 ? ol_node_attr_int(node, "block_size", 0) : 0;
    int64_t n_scale = ol_ktensor_numel(scale);
    if (block < 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "block_size %lld is negative", (long long)block);
    if (zero_point && !same_dims(zero_point, scale) &&
        !(ol_ktensor_numel(zero_point) == 1 && n_scale == 1))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the zero point's shape differs from the scale's");
    if (n_scale == 1) {
        *layout = ol_quant_axis_per_tensor(ol_ktensor_numel(x));
        return OL_OK;
    }
    if (opset < 13)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the scale must be a scalar before opset 13 (it has %lld elements)",
                          (long long)n_scale);
    int axis;
    if (!ol_op_axis(axis_attr, x->rank, &axis) || x->rank == 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axis_attr,
                          x->rank);
    if (block == 0) {
        if (scale->rank != 1 || scale->dims[0] != x->dims[axis])
            return ol_op_fail(ctx, OL_ERR_INVALID,
                              "a per-axis scale must be 1-D with %lld elements (x's axis %d), it has %lld",
                              (long long)x->dims[axis], axis, (long long)n_scale);
        *layout = ol_quant_axis_per_channel(x->dims, x->rank, axis);
        return OL_OK;
    }
    bool ok = scale->rank == x->rank;
    for (int d = 0; ok && d < x->rank; d++)
        ok = scale->dims[d] == (d == axis ? (x->dims[d] + block - 1) / block : x->dims[d]);
    if (!ok)
        return ol_op_fail(ctx, OL_ERR_INVALID,
                          "a blocked scale must have x's shape with axis %d divided by block_size %lld", axis,
                          (long long)block);
    *layout = ol_quant_axis_blocked(x->dims, x->rank, axis, block);
    return OL_OK;
}

static ol_status check_scale(ol_op_ctx *ctx, const ol_ktensor *scale)
{
    if (!scale)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing scale input");
    if (!ol_quant_scale_supported(scale->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scale type %s is not supported", ol_dtype_name(scale->dtype));
    if (ol_op_opset(ctx) < 19 && scale->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the scale must be float32 before opset 19");
    return OL_OK;
}

static bool is_float_type(int64_t t)
{
    return t == OL_FLOAT || t == OL_FLOAT16 || t == OL_BFLOAT16 || t == OL_DOUBLE;
}

/* The division's precision: the precision attribute (opset 23+), else the scale's type. */
static ol_status read_precision(ol_op_ctx *ctx, ol_dtype scale_type, ol_dtype *precision)
{
    int64_t attr = ol_op_opset(ctx) >= 23 ? ol_node_attr_int(ol_op_node(ctx), "precision", 0) : 0;
    if (attr != 0) {
        if (!is_float_type(attr))
            return ol_op_fail(ctx, OL_ERR_INVALID, "precision %lld is not a floating-point type", (long long)attr);
        *precision = (ol_dtype)attr;
    } else if (scale_type == OL_INT32 || scale_type == OL_DOUBLE) {
        *precision = OL_DOUBLE;   /* an integer division is exact in float64 before rounding */
    } else if (scale_type == OL_FLOAT8E8M0) {
        *precision = OL_FLOAT;
    } else {
        *precision = scale_type;
    }
    return OL_OK;
}

ol_status ol_run_quantize_linear(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    int64_t opset = ol_op_opset(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0), *scale = ol_op_input(ctx, 1), *zero_point = ol_op_input(ctx, 2);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input x");
    ol_status st = check_scale(ctx, scale);
    if (st != OL_OK)
        return st;
    if (!ol_quantize_input_supported(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(x->dtype));
    /* The zero point's type decides the output type; without one, output_dtype (opset 21+) or uint8. */
    int64_t declared = opset >= 21 ? ol_node_attr_int(node, "output_dtype", 0) : 0;
    if (declared < 0 || declared >= OL_DTYPE_COUNT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "output_dtype %lld is not a type", (long long)declared);
    ol_dtype out_type = declared ? (ol_dtype)declared : OL_UINT8;
    if (zero_point) {
        if (declared && declared != zero_point->dtype)
            return ol_op_fail(ctx, OL_ERR_INVALID, "output_dtype %lld differs from the zero point's type %s",
                              (long long)declared, ol_dtype_name(zero_point->dtype));
        out_type = zero_point->dtype;
    }
    if (!ol_quantize_output_supported(out_type))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "quantizing to %s is not supported", ol_dtype_name(out_type));
    ol_quantize_params p = {.saturate = opset >= 19 ? ol_node_attr_int(node, "saturate", 1) != 0 : true,
                            .threads = ol_op_threads(ctx)};
    if ((st = read_layout(ctx, x, scale, zero_point, &p.layout)) != OL_OK ||
        (st = read_precision(ctx, scale->dtype, &p.precision)) != OL_OK)
        return st;
    ol_ktensor *y = ol_op_output(ctx, 0, out_type, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (!ol_quantize_linear(x, scale, zero_point, y, &p))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "quantizing %s with %s scales to %s is not supported",
                          ol_dtype_name(x->dtype), ol_dtype_name(scale->dtype), ol_dtype_name(out_type));
    return OL_OK;
}

/* Float8 zero points must be zero: the formula has no use for them. */
static bool minifloat_zero_point_is_zero(const ol_ktensor *zero_point)
{
    int64_t n = ol_ktensor_numel(zero_point);
    for (int64_t i = 0; i < n; i++)
        if (ol_qtype_get_minifloat(zero_point->data, zero_point->dtype, i) != 0)
            return false;
    return true;
}

ol_status ol_run_dequantize_linear(ol_op_ctx *ctx)
{
    int64_t opset = ol_op_opset(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0), *scale = ol_op_input(ctx, 1), *zero_point = ol_op_input(ctx, 2);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input x");
    ol_status st = check_scale(ctx, scale);
    if (st != OL_OK)
        return st;
    if (scale->dtype == OL_INT32 || scale->dtype == OL_DOUBLE)
        return ol_op_fail(ctx, OL_ERR_INVALID, "scale type %s is not allowed", ol_dtype_name(scale->dtype));
    if (!ol_dequantize_input_supported(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(x->dtype));
    if (zero_point && zero_point->dtype != x->dtype)
        return ol_op_fail(ctx, OL_ERR_INVALID, "zero point type %s differs from the input's %s",
                          ol_dtype_name(zero_point->dtype), ol_dtype_name(x->dtype));
    if (zero_point && x->dtype != OL_FLOAT4E2M1 && ol_qtype_is_minifloat(x->dtype) &&
        !minifloat_zero_point_is_zero(zero_point))
        return ol_op_fail(ctx, OL_ERR_INVALID, "a %s zero point must be zero", ol_dtype_name(x->dtype));
    /* The output has the scale's type unless output_dtype (opset 23+) says otherwise. */
    int64_t declared = opset >= 23 ? ol_node_attr_int(ol_op_node(ctx), "output_dtype", 0) : 0;
    ol_dtype out_type = declared ? OL_UNDEFINED : scale->dtype;
    if (declared == OL_FLOAT || declared == OL_FLOAT16 || declared == OL_BFLOAT16)
        out_type = (ol_dtype)declared;
    if (out_type != OL_FLOAT && out_type != OL_FLOAT16 && out_type != OL_BFLOAT16)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the output type must be float32, float16 or bfloat16%s",
                          declared ? "" : " (set output_dtype for this scale type)");
    ol_quant_axis layout;
    if ((st = read_layout(ctx, x, scale, zero_point, &layout)) != OL_OK)
        return st;
    ol_ktensor *y = ol_op_output(ctx, 0, out_type, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (!ol_dequantize_linear(x, scale, zero_point, y, &layout, ol_op_threads(ctx)))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "dequantizing %s with %s scales is not supported",
                          ol_dtype_name(x->dtype), ol_dtype_name(scale->dtype));
    return OL_OK;
}

ol_status ol_run_dynamic_quantize_linear(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input x");
    if (x->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported (float32 only)",
                          ol_dtype_name(x->dtype));
    ol_ktensor *y = ol_op_output(ctx, 0, OL_UINT8, x->rank, x->dims);
    ol_ktensor *scale = y ? ol_op_output(ctx, 1, OL_FLOAT, 0, NULL) : NULL;
    ol_ktensor *zero_point = scale ? ol_op_output(ctx, 2, OL_UINT8, 0, NULL) : NULL;
    if (!zero_point)
        return ol_op_error(ctx)->status;
    ol_dynamic_quantize_u8(x->data, ol_ktensor_numel(x), y->data, scale->data, zero_point->data,
                           ol_op_threads(ctx));
    return OL_OK;
}
