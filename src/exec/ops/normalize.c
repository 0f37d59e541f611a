/* Normalizations and softmax; the family table also lists the reductions of normalize_reduce.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/ops/normalize_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/norm.h"

/* Float32 data of optional input i, which must hold `n` elements; *ok is false on a mismatch. */
static const float *param(ol_op_ctx *ctx, size_t i, int64_t n, const char *what, bool *ok)
{
    const ol_ktensor *t = ol_op_input(ctx, i);
    if (!t)
        return NULL;
    if (t->dtype != OL_FLOAT || ol_ktensor_numel(t) != n) {
        ol_op_fail(ctx, OL_ERR_INVALID, "%s must be float32 with %lld elements", what, (long long)n);
        *ok = false;
    }
    return t->data;
}

static const ol_ktensor *float_input(ol_op_ctx *ctx, int min_rank)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    if (!x)
        ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    else if (x->dtype != OL_FLOAT)
        ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(x->dtype));
    else if (x->rank < min_rank)
        ol_op_fail(ctx, OL_ERR_INVALID, "input needs rank >= %d, has %d", min_rank, x->rank);
    else
        return x;
    return NULL;
}

/* Training-mode BatchNormalization: normalize with the batch's statistics and update the running
 * ones (outputs 1 and 2). */
static ol_status batchnorm_training(ol_op_ctx *ctx, const ol_ktensor *x, int64_t n, int64_t c, int64_t spatial,
                                    const float *scale, const float *bias, const float *in_mean,
                                    const float *in_var, float eps)
{
    float momentum = ol_node_attr_float(ol_op_node(ctx), "momentum", 0.9f);
    float *mean = ol_op_scratch(ctx, (size_t)c * 2 * sizeof(float));
    if (!mean)
        return ol_op_error(ctx)->status;
    float *var = mean + c;
    const float *src = x->data;
    for (int64_t ch = 0; ch < c; ch++) {
        double s = 0, ss = 0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < spatial; i++)
                s += src[(b * c + ch) * spatial + i];
        double m = s / (double)(n * spatial);
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < spatial; i++) {
                double d = src[(b * c + ch) * spatial + i] - m;
                ss += d * d;
            }
        mean[ch] = (float)m;
        var[ch] = (float)(ss / (double)(n * spatial));
    }
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_batchnorm_f32(x->data, y->data, n, c, spatial, scale, bias, mean, var, eps);
    const float *stats[2][2] = {{in_mean, mean}, {in_var, var}};
    for (size_t k = 0; k < 2; k++) {
        if (!ol_op_output_wanted(ctx, k + 1))
            continue;
        ol_ktensor *out = ol_op_output(ctx, k + 1, OL_FLOAT, 1, &c);
        if (!out)
            return ol_op_error(ctx)->status;
        float *o = out->data;
        for (int64_t ch = 0; ch < c; ch++)
            o[ch] = stats[k][0][ch] * momentum + stats[k][1][ch] * (1 - momentum);
    }
    return OL_OK;
}

static ol_status run_batchnorm(ol_op_ctx *ctx)
{
    const ol_ktensor *x = float_input(ctx, 2);
    if (!x)
        return ol_op_error(ctx)->status;
    int64_t n = x->dims[0], c = x->dims[1], spatial = ol_op_dims_product(x, 2, x->rank);
    bool ok = true;
    const float *scale = param(ctx, 1, c, "scale", &ok), *bias = param(ctx, 2, c, "bias", &ok),
                *mean = param(ctx, 3, c, "mean", &ok), *var = param(ctx, 4, c, "var", &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    if (!scale || !bias || !mean || !var)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs scale, bias, mean and var");
    float eps = ol_node_attr_float(ol_op_node(ctx), "epsilon", 1e-5f);
    if (ol_op_opset(ctx) >= 14 && ol_node_attr_int(ol_op_node(ctx), "training_mode", 0))
        return batchnorm_training(ctx, x, n, c, spatial, scale, bias, mean, var, eps);
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    /* A Relu or Clip the executor fused into this step (fuse.c) clamps in the same pass. */
    const ol_op_fusion *f = ol_op_fusion_of(ctx);
    float lo = -INFINITY, hi = INFINITY;
    if (f && f->activation == OL_FUSED_RELU) {
        lo = 0.0f;
    } else if (f && f->activation == OL_FUSED_CLIP) {
        lo = f->alpha;
        hi = f->beta;
    }
    ol_batchnorm_clamp_f32(x->data, y->data, n, c, spatial, scale, bias, mean, var, eps, lo, hi);
    return OL_OK;
}

static ol_status run_groupnorm_like(ol_op_ctx *ctx, int64_t groups, const float *scale, const float *bias)
{
    const ol_ktensor *x = ol_op_input(ctx, 0);
    int64_t n = x->dims[0], c = x->dims[1], spatial = ol_op_dims_product(x, 2, x->rank);
    float eps = ol_node_attr_float(ol_op_node(ctx), "epsilon", 1e-5f);
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    ol_groupnorm_f32(x->data, y->data, n, c, spatial, groups, scale, bias, eps);
    return OL_OK;
}

static ol_status run_instancenorm(ol_op_ctx *ctx)
{
    const ol_ktensor *x = float_input(ctx, 2);
    if (!x)
        return ol_op_error(ctx)->status;
    bool ok = true;
    int64_t c = x->dims[1];
    const float *scale = param(ctx, 1, c, "scale", &ok), *bias = param(ctx, 2, c, "bias", &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    return run_groupnorm_like(ctx, c, scale, bias);
}

static ol_status run_groupnorm(ol_op_ctx *ctx)
{
    const ol_ktensor *x = float_input(ctx, 2);
    if (!x)
        return ol_op_error(ctx)->status;
    int64_t c = x->dims[1], groups = ol_node_attr_int(ol_op_node(ctx), "num_groups", 0);
    if (groups <= 0 || c % groups != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "num_groups %lld does not divide %lld channels",
                          (long long)groups, (long long)c);
    /* Opset 18 gives scale and bias per group, opset 21 per channel: expand the former. */
    int64_t per = ol_op_opset(ctx) >= 21 ? c : groups;
    bool ok = true;
    const float *scale = param(ctx, 1, per, "scale", &ok), *bias = param(ctx, 2, per, "bias", &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    if (per == c || (!scale && !bias))
        return run_groupnorm_like(ctx, groups, scale, bias);
    float *expanded = ol_op_scratch(ctx, (size_t)c * 2 * sizeof(float));
    if (!expanded)
        return ol_op_error(ctx)->status;
    for (int64_t ch = 0; ch < c; ch++) {
        expanded[ch] = scale ? scale[ch / (c / groups)] : 1.0f;
        expanded[c + ch] = bias ? bias[ch / (c / groups)] : 0.0f;
    }
    return run_groupnorm_like(ctx, groups, expanded, expanded + c);
}

/* Scale or bias of a LayerNorm/RMSNorm, broadcast over the normalized trailing dims (the spec
 * allows any broadcastable shape; exports use the full one). */
static const float *trailing_param(ol_op_ctx *ctx, size_t i, const ol_ktensor *x, int axis, float *buf,
                                   bool *ok)
{
    const ol_ktensor *p = ol_op_input(ctx, i);
    if (!p)
        return NULL;
    int64_t size = ol_op_dims_product(x, axis, x->rank);
    if (p->dtype != OL_FLOAT || p->rank > x->rank - axis) {
        *ok = false;
        ol_op_fail(ctx, OL_ERR_INVALID, "input %zu must be float32 broadcastable to the normalized dims", i);
        return NULL;
    }
    if (ol_ktensor_numel(p) == size)
        return p->data;
    int off = x->rank - p->rank;
    for (int d = 0; d < p->rank; d++)
        if (p->dims[d] != 1 && p->dims[d] != x->dims[off + d]) {
            *ok = false;
            ol_op_fail(ctx, OL_ERR_INVALID, "input %zu does not broadcast to the normalized dims", i);
            return NULL;
        }
    const float *src = p->data;
    for (int64_t k = 0; k < size; k++) {
        int64_t rem = k, idx = 0, stride = 1;
        for (int d = x->rank - 1; d >= axis; d--) {
            int64_t coord = rem % x->dims[d];
            rem /= x->dims[d];
            int pd = d - off;
            if (pd >= 0) {
                if (p->dims[pd] != 1)
                    idx += coord * stride;
                stride *= p->dims[pd];
            }
        }
        buf[k] = src[idx];
    }
    return buf;
}

static ol_status run_layernorm_like(ol_op_ctx *ctx, bool rms)
{
    const ol_ktensor *x = float_input(ctx, 1);
    if (!x)
        return ol_op_error(ctx)->status;
    int axis;
    if (!ol_op_axis(ol_node_attr_int(ol_op_node(ctx), "axis", -1), x->rank, &axis))
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis is out of range for rank %d", x->rank);
    int64_t groups = ol_op_dims_product(x, 0, axis), size = ol_op_dims_product(x, axis, x->rank);
    float *buf = ol_op_scratch(ctx, (size_t)(size ? size : 1) * 2 * sizeof(float));
    if (!buf)
        return ol_op_error(ctx)->status;
    bool ok = true;
    const float *scale = trailing_param(ctx, 1, x, axis, buf, &ok);
    const float *bias = rms ? NULL : trailing_param(ctx, 2, x, axis, buf + size, &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    float eps = ol_node_attr_float(ol_op_node(ctx), "epsilon", rms ? 1e-5f : 1e-5f);
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (rms) {
        ol_rmsnorm_f32(x->data, y->data, groups, size, scale, eps);
        return OL_OK;
    }
    /* Mean and InvStdDev keep X's rank with the normalized dims set to 1. */
    int64_t stat_dims[OL_KMAX_RANK];
    for (int d = 0; d < x->rank; d++)
        stat_dims[d] = d < axis ? x->dims[d] : 1;
    float *stats[2] = {NULL, NULL};
    for (size_t k = 0; k < 2; k++)
        if (ol_op_output_wanted(ctx, k + 1)) {
            ol_ktensor *s = ol_op_output(ctx, k + 1, OL_FLOAT, x->rank, stat_dims);
            if (!s)
                return ol_op_error(ctx)->status;
            stats[k] = s->data;
        }
    ol_layernorm_f32(x->data, y->data, groups, size, scale, bias, eps, stats[0], stats[1]);
    return OL_OK;
}

static ol_status run_layernorm(ol_op_ctx *ctx) { return run_layernorm_like(ctx, false); }
static ol_status run_rmsnorm(ol_op_ctx *ctx) { return run_layernorm_like(ctx, true); }

static ol_status run_softmax_kind(ol_op_ctx *ctx, ol_softmax_kind kind)
{
    const ol_ktensor *x = float_input(ctx, 0);
    if (!x)
        return ol_op_error(ctx)->status;
    /* Before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalized over the
     * whole second part; from 13 on it is one axis (default -1). */
    bool coerced = ol_op_opset(ctx) < 13;
    int axis;
    if (!ol_op_axis(ol_node_attr_int(ol_op_node(ctx), "axis", coerced ? 1 : -1), x->rank, &axis))
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis is out of range for rank %d", x->rank);
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t outer = ol_op_dims_product(x, 0, axis);
    if (coerced)
        ol_softmax_f32(x->data, y->data, outer, ol_op_dims_product(x, axis, x->rank), 1, kind);
    else
        ol_softmax_f32(x->data, y->data, outer, x->rank ? x->dims[axis] : 1,
                       ol_op_dims_product(x, axis + 1, x->rank), kind);
    return OL_OK;
}

static ol_status run_softmax(ol_op_ctx *ctx) { return run_softmax_kind(ctx, OL_SOFTMAX); }
static ol_status run_logsoftmax(ol_op_ctx *ctx) { return run_softmax_kind(ctx, OL_LOG_SOFTMAX); }
static ol_status run_hardmax(ol_op_ctx *ctx) { return run_softmax_kind(ctx, OL_HARDMAX); }

#define F16 OL_OP_F16_VIA_F32

const ol_op_def ol_ops_normalize[] = {
    {"BatchNormalization", "", 6, run_batchnorm, F16},
    {"InstanceNormalization", "", 1, run_instancenorm, F16},
    {"GroupNormalization", "", 18, run_groupnorm, F16},
    {"LayerNormalization", "", 17, run_layernorm, F16},
    {"RMSNormalization", "", 23, run_rmsnorm, F16},
    {"Softmax", "", 1, run_softmax, F16},
    {"LogSoftmax", "", 1, run_logsoftmax, F16},
    {"Hardmax", "", 1, run_hardmax, F16},
    {"ReduceSum", "", 1, ol_run_reduce, 0},
    {"ReduceMean", "", 1, ol_run_reduce, 0},
    {"ReduceMax", "", 1, ol_run_reduce, 0},
    {"ReduceMin", "", 1, ol_run_reduce, 0},
    {"ReduceProd", "", 1, ol_run_reduce, 0},
    {"ReduceL1", "", 1, ol_run_reduce, 0},
    {"ReduceL2", "", 1, ol_run_reduce, 0},
    {"ReduceLogSum", "", 1, ol_run_reduce, 0},
    {"ReduceLogSumExp", "", 1, ol_run_reduce, 0},
    {"ReduceSumSquare", "", 1, ol_run_reduce, 0},
    {"ArgMax", "", 1, ol_run_argmax, 0},
    {"ArgMin", "", 1, ol_run_argmin, 0},
    {"TopK", "", 1, ol_run_topk, 0},
    {"CumSum", "", 11, ol_run_cumsum, 0},
    {0},
};
