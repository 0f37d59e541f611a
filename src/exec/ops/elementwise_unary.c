/* Glue of the unary math ops, activations and Clip: attributes with their ONNX defaults and the
 * opset rules; the math is in backends/kernels/unary.c. */
#include <float.h>
#include <string.h>

#include "exec/ops/elementwise_ops.h"
#include "kernels/unary.h"

static ol_status run_unary(ol_op_ctx *ctx, ol_unary_op op, const ol_unary_params *params)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input 0 is missing");
    if (!ol_unary_supported(op, x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s input is not supported", ol_dtype_name(x->dtype));
    ol_ktensor *out = ol_op_output(ctx, 0, ol_unary_result_dtype(op, x->dtype), x->rank, x->dims);
    if (!out)
        return ol_op_error(ctx)->status;
    if (!ol_unary(op, params, x, out, ol_op_threads(ctx)))
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "the unary kernel refused its arguments");
    return OL_OK;
}

/* An op whose only parameter is the float attribute `alpha`. */
static ol_status run_with_alpha(ol_op_ctx *ctx, ol_unary_op op, float default_alpha)
{
    ol_unary_params p = {.alpha = ol_node_attr_float(ol_op_node(ctx), "alpha", default_alpha)};
    return run_unary(ctx, op, &p);
}

ol_status ol_run_neg(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_NEG, NULL); }
ol_status ol_run_abs(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ABS, NULL); }
ol_status ol_run_sign(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SIGN, NULL); }
ol_status ol_run_reciprocal(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_RECIPROCAL, NULL); }
ol_status ol_run_floor(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_FLOOR, NULL); }
ol_status ol_run_ceil(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_CEIL, NULL); }
ol_status ol_run_round(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ROUND, NULL); }
ol_status ol_run_sqrt(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SQRT, NULL); }
ol_status ol_run_exp(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_EXP, NULL); }
ol_status ol_run_log(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_LOG, NULL); }
ol_status ol_run_sin(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SIN, NULL); }
ol_status ol_run_cos(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_COS, NULL); }
ol_status ol_run_tan(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_TAN, NULL); }
ol_status ol_run_asin(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ASIN, NULL); }
ol_status ol_run_acos(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ACOS, NULL); }
ol_status ol_run_atan(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ATAN, NULL); }
ol_status ol_run_sinh(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SINH, NULL); }
ol_status ol_run_cosh(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_COSH, NULL); }
ol_status ol_run_asinh(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ASINH, NULL); }
ol_status ol_run_acosh(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ACOSH, NULL); }
ol_status ol_run_atanh(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ATANH, NULL); }
ol_status ol_run_erf(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_ERF, NULL); }
ol_status ol_run_is_nan(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_IS_NAN, NULL); }
ol_status ol_run_not(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_NOT, NULL); }
ol_status ol_run_bitwise_not(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_BIT_NOT, NULL); }
ol_status ol_run_relu(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_RELU, NULL); }
ol_status ol_run_sigmoid(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SIGMOID, NULL); }
ol_status ol_run_hard_swish(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_HARD_SWISH, NULL); }
ol_status ol_run_tanh(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_TANH, NULL); }
ol_status ol_run_softplus(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SOFTPLUS, NULL); }
ol_status ol_run_softsign(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_SOFTSIGN, NULL); }
ol_status ol_run_mish(ol_op_ctx *ctx) { return run_unary(ctx, OL_UNARY_MISH, NULL); }

ol_status ol_run_leaky_relu(ol_op_ctx *ctx) { return run_with_alpha(ctx, OL_UNARY_LEAKY_RELU, 0.01f); }
ol_status ol_run_elu(ol_op_ctx *ctx) { return run_with_alpha(ctx, OL_UNARY_ELU, 1.0f); }
ol_status ol_run_celu(ol_op_ctx *ctx) { return run_with_alpha(ctx, OL_UNARY_CELU, 1.0f); }
ol_status ol_run_swish(ol_op_ctx *ctx) { return run_with_alpha(ctx, OL_UNARY_SWISH, 1.0f); }
ol_status ol_run_thresholded_relu(ol_op_ctx *ctx)
{
    return run_with_alpha(ctx, OL_UNARY_THRESHOLDED_RELU, 1.0f);
}

ol_status ol_run_selu(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    ol_unary_params p = {.alpha = ol_node_attr_float(node, "alpha", 1.67326319217681884765625f),
                         .gamma = ol_node_attr_float(node, "gamma", 1.05070102214813232421875f)};
    return run_unary(ctx, OL_UNARY_SELU, &p);
}

ol_status ol_run_hard_sigmoid(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    ol_unary_params p = {.alpha = ol_node_attr_float(node, "alpha", 0.2f),
                         .beta = ol_node_attr_float(node, "beta", 0.5f)};
    return run_unary(ctx, OL_UNARY_HARD_SIGMOID, &p);
}

ol_status ol_run_shrink(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    ol_unary_params p = {.alpha = ol_node_attr_float(node, "lambd", 0.5f),
                         .beta = ol_node_attr_float(node, "bias", 0.0f)};
    return run_unary(ctx, OL_UNARY_SHRINK, &p);
}

ol_status ol_run_is_inf(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    ol_unary_params p = {.detect_negative = ol_node_attr_int(node, "detect_negative", 1) != 0,
                         .detect_positive = ol_node_attr_int(node, "detect_positive", 1) != 0};
    return run_unary(ctx, OL_UNARY_IS_INF, &p);
}

ol_status ol_run_gelu(ol_op_ctx *ctx)
{
    size_t len = 0;
    const char *approx = ol_node_attr_string(ol_op_node(ctx), "approximate", &len);
    if (!approx || (len == 4 && memcmp(approx, "none", 4) == 0))
        return run_unary(ctx, OL_UNARY_GELU, NULL);
    if (len == 4 && memcmp(approx, "tanh", 4) == 0)
        return run_unary(ctx, OL_UNARY_GELU_TANH, NULL);
    return ol_op_fail(ctx, OL_ERR_INVALID, "approximate must be \"none\" or \"tanh\", not \"%.*s\"",
                      (int)len, approx);
}

/* Clip: bounds are the float attributes min/max before opset 11 and optional scalar inputs since. */
ol_status ol_run_clip(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x)
        return ol_op_fail(ctx, OL_ERR_INVALID, "input 0 is missing");
    if (!ol_clip_supported(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s input is not supported", ol_dtype_name(x->dtype));
    const void *lo = NULL, *hi = NULL;
    union { float f[2]; double d[2]; } attr_bounds;
    if (ol_op_opset(ctx) < 11) {
        const ol_node *node = ol_op_node(ctx);
        float min = ol_node_attr_float(node, "min", -FLT_MAX), max = ol_node_attr_float(node, "max", FLT_MAX);
        if (x->dtype == OL_FLOAT) {
            attr_bounds.f[0] = min;
            attr_bounds.f[1] = max;
        } else if (x->dtype == OL_DOUBLE) {
            /* The attributes' float defaults must not clip doubles beyond FLT_MAX. */
            attr_bounds.d[0] = ol_node_attr(node, "min") ? min : -DBL_MAX;
            attr_bounds.d[1] = ol_node_attr(node, "max") ? max : DBL_MAX;
        } else {
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s input is not supported before opset 11",
                              ol_dtype_name(x->dtype));
        }
        lo = x->dtype == OL_FLOAT ? (const void *)&attr_bounds.f[0] : (const void *)&attr_bounds.d[0];
        hi = x->dtype == OL_FLOAT ? (const void *)&attr_bounds.f[1] : (const void *)&attr_bounds.d[1];
    } else {
        static const char *const names[2] = {"min", "max"};
        const void **bounds[2] = {&lo, &hi};
        for (size_t k = 0; k < 2; k++) {
            const ol_ktensor *b = ol_op_input(ctx, 1 + k);
            if (!b)
                continue;
            if (b->dtype != x->dtype)
                return ol_op_fail(ctx, OL_ERR_INVALID, "%s is %s but the input is %s", names[k],
                                  ol_dtype_name(b->dtype), ol_dtype_name(x->dtype));
            if (ol_ktensor_numel(b) != 1)
                return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %lld elements, not one", names[k],
                                  (long long)ol_ktensor_numel(b));
            *bounds[k] = b->data;
        }
    }
    ol_ktensor *out = ol_op_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!out)
        return ol_op_error(ctx)->status;
    if (!ol_clip(x, lo, hi, out, ol_op_threads(ctx)))
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "the Clip kernel refused its arguments");
    return OL_OK;
}
