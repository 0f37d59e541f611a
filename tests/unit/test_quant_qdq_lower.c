/* Lowering QDQ groups to integer operators (quant/qdq_lower.c) and the executor running QDQ models
 * through it: which groups become QLinearConv / QLinearMatMul / ConvInteger / MatMulInteger or run
 * data movement on integers, which stay in float, and that the lowered model computes what the QDQ
 * model computes in float within one quantization step of each requantized output. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "pass/builtin_passes.h"
#include "pass_testing.h"
#include "quant/qdq_lower.h"

static const ol_pass_def *pass = &ol_pass_qdq_to_qoperator;

/* ---- building QDQ graphs ---- */

/* An initializer of `dtype` (uint8, int8, int32 or float32) holding `values`, or deterministic
 * pseudo-random integers in [lo, hi] when values is NULL. */
static ol_value *tensor_of(ol_graph *g, const char *name, ol_dtype dtype, int rank, const int64_t *dims,
                           const double *values, int lo, int hi)
{
    ol_tensor *t = ol_tensor_create(dtype, rank, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    void *data = ol_tensor_mutable_data(t, &irb_err);
    for (int64_t i = 0; i < ol_tensor_numel(t); i++) {
        double v = values ? values[i] : lo + (double)((i * 37 + 11) % (hi - lo + 1));
        switch (dtype) {
        case OL_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; break;
        case OL_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
        case OL_INT32: ((int32_t *)data)[i] = (int32_t)v; break;
        case OL_FLOAT: ((float *)data)[i] = (float)v; break;
        default: cr_assert_fail("no builder for %s", ol_dtype_name(dtype));
        }
    }
    ol_value *v = ol_graph_add_initializer(g, name, t, &irb_err);
    cr_assert(v, "%s", irb_err.message);
    return v;
}

static ol_value *scalar(ol_graph *g, const char *name, ol_dtype dtype, double value)
{
    return tensor_of(g, name, dtype, 0, NULL, &value, 0, 0);
}

static ol_value *quantize(ol_graph *g, const char *name, ol_value *x, ol_value *scale, ol_value *zp)
{
    return IRB_NODE(g, "QuantizeLinear", name, NULL, x, scale, zp)->outputs[0];
}

static ol_value *dequantize(ol_graph *g, const char *name, ol_value *q, ol_value *scale, ol_value *zp,
                            int64_t axis)
{
    ol_node *n = zp ? IRB_NODE(g, "DequantizeLinear", name, NULL, q, scale, zp)
                    : IRB_NODE(g, "DequantizeLinear", name, NULL, q, scale);
    if (axis != 1)
        cr_assert_eq(ol_node_set_attr_int(n, "axis", axis, &irb_err), OL_OK);
    return n->outputs[0];
}

/* Q -> DQ of a float activation: what every QDQ model puts on a quantized tensor. */
static ol_value *qdq(ol_graph *g, const char *name, ol_value *x, double scale, ol_dtype type, int zp)
{
    char s[64], z[64], q[64], d[64];
    snprintf(s, sizeof s, "%s_scale", name);
    snprintf(z, sizeof z, "%s_zero_point", name);
    snprintf(q, sizeof q, "%s_q", name);
    snprintf(d, sizeof d, "%s_dq", name);
    ol_value *sv = scalar(g, s, OL_FLOAT, scale), *zv = scalar(g, z, type, zp);
    return dequantize(g, d, quantize(g, q, x, sv, zv), sv, zv, 1);
}

/* Per-channel int8 weights along `axis` with scales 0.01 + 0.002 c, read by a DequantizeLinear. */
static ol_value *weights(ol_graph *g, const char *name, int rank, const int64_t *dims, int axis,
                         ol_dtype type, const double *zps)
{
    int64_t channels = dims[axis];
    double scales[16];
    cr_assert(channels <= 16);
    for (int64_t c = 0; c < channels; c++)
        scales[c] = 0.01 + 0.002 * (double)c;
    char n[64];
    snprintf(n, sizeof n, "%s_scale", name);
    ol_value *s = tensor_of(g, n, OL_FLOAT, 1, (int64_t[]){channels}, scales, 0, 0);
    snprintf(n, sizeof n, "%s_zero_point", name);
    double zeros[16] = {0};
    ol_value *z = tensor_of(g, n, type, 1, (int64_t[]){channels}, zps ? zps : zeros, 0, 0);
    snprintf(n, sizeof n, "%s_quantized", name);
    ol_value *w = tensor_of(g, n, type, rank, dims, NULL, type == OL_INT8 ? -127 : 0, type == OL_INT8 ? 127 : 255);
    return dequantize(g, name, w, s, z, axis);
}

/* An int32 bias at scale x_scale * w_scale[c], read by a DequantizeLinear. */
static ol_value *bias(ol_graph *g, const char *name, int64_t channels, double x_scale)
{
    double scales[16], values[16];
    for (int64_t c = 0; c < channels; c++) {
        scales[c] = (double)((float)x_scale * (float)(0.01 + 0.002 * (double)c));
        values[c] = (double)(c * 700 - 900);
    }
    char n[64];
    snprintf(n, sizeof n, "%s_scale", name);
    ol_value *s = tensor_of(g, n, OL_FLOAT, 1, (int64_t[]){channels}, scales, 0, 0);
    snprintf(n, sizeof n, "%s_quantized", name);
    ol_value *b = tensor_of(g, n, OL_INT32, 1, (int64_t[]){channels}, values, 0, 0);
    return dequantize(g, name, b, s, NULL, 0);
}

typedef struct conv_case {
    ol_dtype x_type;        /* activations: uint8 (zero point 128) or int8 (zero point 3) */
    ol_dtype w_type;
    bool with_bias;
    bool requantized;       /* a Q follows the Conv */
    const char *activation; /* NULL, "Relu" or "Clip" between Conv and Q */
    int out_zp;             /* the output Q's zero point */
    const double *w_zps;    /* per-channel weight zero points (NULL: zeros) */
} conv_case;

/* x[1, 2, 6, 6] -> Q/DQ -> Conv(3x3, pads 1, 3 output channels) [-> act] [-> Q/DQ] -> y */
static ol_model *conv_model(const conv_case *c)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 2, 6, 6), NULL);
    double x_scale = 2.0 / 255;
    ol_value *xd = qdq(g, "x", x, x_scale, c->x_type, c->x_type == OL_UINT8 ? 128 : 3);
    ol_value *w = weights(g, "w", 4, (int64_t[]){3, 2, 3, 3}, 0, c->w_type, c->w_zps);
    ol_node *conv = c->with_bias ? IRB_NODE(g, "Conv", "conv", "conv_out", xd, w, bias(g, "b", 3, x_scale))
                                 : IRB_NODE(g, "Conv", "conv", "conv_out", xd, w);
    cr_assert_eq(ol_node_set_attr_ints(conv, "pads", (int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    ol_value *y = conv->outputs[0];
    if (c->activation && strcmp(c->activation, "Clip") == 0)
        y = IRB_NODE(g, "Clip", "act", "act_out", y, scalar(g, "lo", OL_FLOAT, 0), scalar(g, "hi", OL_FLOAT, 6))
                ->outputs[0];
    else if (c->activation)
        y = IRB_NODE(g, c->activation, "act", "act_out", y)->outputs[0];
    if (c->requantized)
        y = qdq(g, "y", y, c->activation ? 6.0 / 255 : 0.05, c->x_type, c->out_zp);
    irb_output(g, IRB_NODE(g, "Identity", "out", "y", y)->outputs[0]);
    return model;
}

/* ---- running ---- */

/* The model's one output on a fixed input x in [-1, 1), with or without the integer path. */
static ol_ktensor run(const ol_model *model, bool lowering, bool profile, bool *saw_integer_op)
{
    ol_session *s;
    ol_session_options o = {.threads = 1, .no_qdq_lowering = !lowering, .profile = profile};
    cr_assert_eq(ol_session_create(model, &o, &s, &irb_err), OL_OK, "%s", irb_err.message);
    const ol_value *xv = ol_session_input(s, 0);
    ol_ktensor in = {0}, out = {0};
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0; d < xv->type.rank; d++)
        dims[d] = xv->type.dims[d].value;
    ol_ktensor_set_shape(&in, OL_FLOAT, xv->type.rank, dims);
    float *data = malloc(ol_ktensor_nbytes(&in));
    for (int64_t i = 0; i < ol_ktensor_numel(&in); i++)
        data[i] = (float)((i * 7919) % 200) / 100.0f - 1.0f;
    in.data = data;
    cr_assert_eq(ol_session_run(s, &in, &out, &irb_err), OL_OK, "%s", irb_err.message);
    if (saw_integer_op) {
        ol_session_stats stats;
        ol_session_get_stats(s, &stats);
        *saw_integer_op = false;
        for (size_t i = 0; i < stats.n_op_times; i++)
            *saw_integer_op |= strstr(stats.op_times[i].op_type, "QLinear") != NULL ||
                               strstr(stats.op_times[i].op_type, "Integer") != NULL;
    }
    free(data);
    ol_session_destroy(s);
    return out;
}

/* Every element of a and b within `tolerance` (one quantization step for requantized outputs). */
static void assert_close(const ol_ktensor *a, const ol_ktensor *b, double tolerance)
{
    cr_assert_eq(a->dtype, OL_FLOAT);
    cr_assert_eq(ol_ktensor_numel(a), ol_ktensor_numel(b));
    double worst = 0;
    for (int64_t i = 0; i < ol_ktensor_numel(a); i++)
        worst = fmax(worst, fabs(((const float *)a->data)[i] - ((const float *)b->data)[i]));
    cr_assert(worst <= tolerance, "outputs differ by %g (allowed %g)", worst, tolerance);
}

static bool same_values(const ol_ktensor *a, const ol_ktensor *b)
{
    return ol_ktensor_numel(a) == ol_ktensor_numel(b) && memcmp(a->data, b->data, ol_ktensor_nbytes(a)) == 0;
}

/* Lowers `model` with the pass and checks the result against the QDQ model run in float: within
 * `tolerance`, and the executor's own path (lowering a private copy) gives the lowered model's
 * results exactly. Returns the lowered model. */
static ol_model *lower_and_compare(ol_model *model, const char *options, bool expect_change, double tolerance)
{
    ol_model *qdq_model = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, options), expect_change);
    ol_ktensor reference = run(qdq_model, false, false, NULL);
    ol_ktensor lowered = run(model, false, false, NULL);
    ol_ktensor session = run(qdq_model, true, false, NULL);
    assert_close(&reference, &lowered, tolerance);
    if (!options)
        cr_assert(same_values(&session, &lowered), "the session's integer path differs from the lowered model");
    free(reference.data);
    free(lowered.data);
    free(session.data);
    ol_model_destroy(qdq_model);
    return model;
}

static size_t ops(const ol_model *m, const char *op)
{
    return ptest_count_ops(m->graph, op);
}

/* ---- Conv ---- */

Test(qdq_lower, conv_becomes_qlinear_conv_with_int32_bias)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true, .requantized = true, .out_zp = 128};
    ol_model *m = lower_and_compare(conv_model(&c), NULL, true, 0.05 + 1e-6);
    cr_assert_eq(ops(m, "QLinearConv"), 1);
    cr_assert_eq(ops(m, "Conv"), 0);
    /* The Q on x stays (the input is float); the weight and bias DQs and the output Q are gone. */
    cr_assert_eq(ops(m, "QuantizeLinear"), 1);
    cr_assert_eq(ops(m, "DequantizeLinear"), 1);
    ol_node *qconv = pt_producer(pt_producer(pt_producer(pt_output(m->graph, "y"))->inputs[0])->inputs[0]);
    cr_assert_str_eq(qconv->op_type, "QLinearConv");
    cr_assert_str_eq(qconv->name, "conv");
    cr_assert_str_eq(qconv->inputs[8]->name, "b_quantized", "the model's int32 bias is reused as is");
    const int64_t *pads = ol_node_attr_ints(qconv, "pads", &(size_t){0});
    cr_assert(pads && pads[0] == 1, "Conv's attributes are kept");
    ol_model_destroy(m);
}

Test(qdq_lower, int8_activations_and_no_bias)
{
    conv_case c = {.x_type = OL_INT8, .w_type = OL_INT8, .requantized = true, .out_zp = -5};
    ol_model *m = lower_and_compare(conv_model(&c), NULL, true, 0.05 + 1e-6);
    cr_assert_eq(ops(m, "QLinearConv"), 1);
    ol_model_destroy(m);
}

/* No Q after the Conv: ConvInteger, then the accumulator dequantized per channel, then the bias. */
Test(qdq_lower, float_result_becomes_conv_integer)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true};
    ol_model *m = lower_and_compare(conv_model(&c), NULL, true, 1e-4);
    cr_assert_eq(ops(m, "ConvInteger"), 1);
    cr_assert_eq(ops(m, "Conv"), 0);
    ol_node *add = pt_producer(pt_producer(pt_output(m->graph, "y"))->inputs[0]);
    cr_assert_str_eq(add->op_type, "Add");
    cr_assert_str_eq(add->name, "conv_Add");
    cr_assert_str_eq(pt_producer(add->inputs[0])->op_type, "DequantizeLinear");
    cr_assert_eq(ol_node_attr_int(pt_producer(add->inputs[0]), "axis", 0), 1);
    ol_model_destroy(m);
}

Test(qdq_lower, float_outputs_option_keeps_them_in_float)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true};
    ol_model *m = lower_and_compare(conv_model(&c), "float-outputs=false", false, 0);
    cr_assert_eq(ops(m, "Conv"), 1);
    ol_model_destroy(m);
}

/* uint8 output with zero point 0 already clips at 0: the Relu goes. With zero point 128 it does
 * not, and the group keeps its Relu (the Conv still runs on integers, its result in float). */
Test(qdq_lower, relu_the_output_range_implies_is_dropped)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true, .requantized = true,
                   .activation = "Relu", .out_zp = 0};
    ol_model *m = lower_and_compare(conv_model(&c), NULL, true, 6.0 / 255 + 1e-6);
    cr_assert_eq(ops(m, "QLinearConv"), 1);
    cr_assert_eq(ops(m, "Relu"), 0);
    ol_model_destroy(m);
}

Test(qdq_lower, relu_inside_the_output_range_stays)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true, .requantized = true,
                   .activation = "Relu", .out_zp = 128};
    ol_model *m = lower_and_compare(conv_model(&c), NULL, true, 6.0 / 255 + 1e-6);
    cr_assert_eq(ops(m, "QLinearConv"), 0);
    cr_assert_eq(ops(m, "ConvInteger"), 1);
    cr_assert_eq(ops(m, "Relu"), 1);
    ol_model_destroy(m);
}

/* Clip(0, 6) with a Q whose range is [0, 6]: redundant. */
Test(qdq_lower, clip_matching_the_output_range_is_dropped)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true, .requantized = true,
                   .activation = "Clip", .out_zp = 0};
    ol_model *m = lower_and_compare(conv_model(&c), NULL, true, 6.0 / 255 + 1e-6);
    cr_assert_eq(ops(m, "QLinearConv"), 1);
    cr_assert_eq(ops(m, "Clip"), 0);
    ol_model_destroy(m);
}

/* Forms onnxruntime's CPU kernels lack stay in float: int8 activations with uint8 weights, and
 * per-channel weight zero points that differ. */
Test(qdq_lower, forms_onnxruntime_cannot_run_stay)
{
    conv_case mixed = {.x_type = OL_INT8, .w_type = OL_UINT8, .requantized = true};
    ol_model *m = lower_and_compare(conv_model(&mixed), NULL, false, 0);
    cr_assert_eq(ops(m, "Conv"), 1);
    ol_model_destroy(m);
    conv_case uneven = {.x_type = OL_UINT8, .w_type = OL_INT8, .requantized = true, .out_zp = 128,
                        .w_zps = (const double[]){0, 1, 0}};
    m = lower_and_compare(conv_model(&uneven), NULL, false, 0);
    cr_assert_eq(ops(m, "Conv"), 1);
    ol_model_destroy(m);
}

/* ---- MatMul and Gemm ---- */

/* a[2, 3, 4] uint8 @ b[4, 5] int8 per column -> Q */
Test(qdq_lower, matmul_becomes_qlinear_matmul)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = qdq(g, "a", pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 3, 4), NULL), 2.0 / 255, OL_UINT8, 128);
    ol_value *b = weights(g, "b", 2, (int64_t[]){4, 5}, 1, OL_INT8, NULL);
    ol_value *y = qdq(g, "y", IRB_NODE(g, "MatMul", "mm", "mm_out", a, b)->outputs[0], 0.02, OL_UINT8, 128);
    irb_output(g, IRB_NODE(g, "Identity", "out", "y", y)->outputs[0]);
    ol_model *m = lower_and_compare(model, NULL, true, 0.02 + 1e-6);
    cr_assert_eq(ops(m, "QLinearMatMul"), 1);
    cr_assert_eq(ops(m, "MatMul"), 0);
    ol_model_destroy(m);
}

/* B's scales run along K (one per row of [4, 4]): QLinearMatMul has no such form, so it stays. */
Test(qdq_lower, matmul_with_scales_along_k_stays)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = qdq(g, "a", pt_input(g, "x", OL_FLOAT, IRB_DIMS(3, 4), NULL), 2.0 / 255, OL_UINT8, 128);
    ol_value *b = weights(g, "b", 2, (int64_t[]){4, 4}, 0, OL_INT8, NULL);
    ol_value *y = qdq(g, "y", IRB_NODE(g, "MatMul", "mm", "mm_out", a, b)->outputs[0], 0.02, OL_UINT8, 128);
    irb_output(g, IRB_NODE(g, "Identity", "out", "y", y)->outputs[0]);
    ol_model *m = lower_and_compare(model, NULL, false, 0);
    cr_assert_eq(ops(m, "MatMul"), 1);
    ol_model_destroy(m);
}

/* x[3, 4] -> Gemm(B [5, 4] with transB, bias [5]) with or without a Q after it. */
static ol_model *gemm_model(bool with_bias, bool requantized)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    double x_scale = 2.0 / 255;
    ol_value *a = qdq(g, "a", pt_input(g, "x", OL_FLOAT, IRB_DIMS(3, 4), NULL), x_scale, OL_UINT8, 128);
    ol_value *b = weights(g, "b", 2, (int64_t[]){5, 4}, 0, OL_INT8, NULL);
    ol_node *gemm = with_bias ? IRB_NODE(g, "Gemm", "fc", "fc_out", a, b, bias(g, "c", 5, x_scale))
                              : IRB_NODE(g, "Gemm", "fc", "fc_out", a, b);
    cr_assert_eq(ol_node_set_attr_int(gemm, "transB", 1, &irb_err), OL_OK);
    ol_value *y = gemm->outputs[0];
    if (requantized)
        y = qdq(g, "y", y, 0.02, OL_UINT8, 128);
    irb_output(g, IRB_NODE(g, "Identity", "out", "y", y)->outputs[0]);
    return model;
}

/* The bias joins the int32 accumulator: MatMulInteger -> Add -> DequantizeLinear -> the Q. */
Test(qdq_lower, gemm_with_bias_becomes_matmul_integer_into_the_q)
{
    ol_model *m = lower_and_compare(gemm_model(true, true), NULL, true, 0.02 + 1e-6);
    cr_assert_eq(ops(m, "MatMulInteger"), 1);
    cr_assert_eq(ops(m, "Gemm"), 0);
    cr_assert_eq(ops(m, "Add"), 1);
    ol_node *mm = NULL;
    for (size_t i = 0; i < m->graph->n_nodes; i++)
        if (strcmp(m->graph->nodes[i]->op_type, "MatMulInteger") == 0)
            mm = m->graph->nodes[i];
    const ol_tensor *bt = ol_value_constant(mm->inputs[1]);
    cr_assert(bt && bt->rank == 2 && bt->dims[0] == 4 && bt->dims[1] == 5, "B is transposed to [K, N]");
    ol_model_destroy(m);
}

Test(qdq_lower, gemm_without_bias_becomes_qlinear_matmul)
{
    ol_model *m = lower_and_compare(gemm_model(false, true), NULL, true, 0.02 + 1e-6);
    cr_assert_eq(ops(m, "QLinearMatMul"), 1);
    ol_model_destroy(m);
}

Test(qdq_lower, gemm_with_float_result)
{
    ol_model *m = lower_and_compare(gemm_model(true, false), NULL, true, 1e-4);
    cr_assert_eq(ops(m, "MatMulInteger"), 1);
    cr_assert_eq(ops(m, "Gemm"), 0);
    ol_model_destroy(m);
}

/* ---- data movement ---- */

/* x -> Q/DQ -> op -> Q (scale `out_scale`) -> DQ -> y, with the op given as a builder. */
static ol_model *movement_model(const char *op, double out_scale)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 2, 4, 4), NULL);
    ol_value *xd = qdq(g, "x", x, 2.0 / 255, OL_UINT8, 128);
    ol_node *n;
    if (strcmp(op, "MaxPool") == 0) {
        n = IRB_NODE(g, "MaxPool", "op", "op_out", xd);
        cr_assert_eq(ol_node_set_attr_ints(n, "kernel_shape", (int64_t[]){2, 2}, 2, &irb_err), OL_OK);
    } else if (strcmp(op, "Concat") == 0) {
        ol_value *other = qdq(g, "x2", IRB_NODE(g, "Neg", "neg", NULL, x)->outputs[0], 2.0 / 255, OL_UINT8, 128);
        n = IRB_NODE(g, "Concat", "op", "op_out", xd, other);
        cr_assert_eq(ol_node_set_attr_int(n, "axis", 1, &irb_err), OL_OK);
    } else if (strcmp(op, "Reshape") == 0) {
        n = IRB_NODE(g, "Reshape", "op", "op_out", xd, PT_INTS(g, "shape", 4, 8));
    } else {
        n = IRB_NODE(g, op, "op", "op_out", xd);
    }
    ol_value *sv = scalar(g, "y_scale", OL_FLOAT, out_scale), *zv = scalar(g, "y_zero_point", OL_UINT8, 128);
    ol_value *y = dequantize(g, "y_dq", quantize(g, "y_q", n->outputs[0], sv, zv), sv, zv, 1);
    irb_output(g, IRB_NODE(g, "Identity", "out", "y", y)->outputs[0]);
    return model;
}

static void check_movement(const char *op)
{
    ol_model *m = lower_and_compare(movement_model(op, 2.0 / 255), NULL, true, 1e-7);
    cr_assert_eq(ops(m, op), 1);
    ol_node *moved = pt_producer(pt_producer(pt_output(m->graph, "y"))->inputs[0])->inputs[0]->producer;
    cr_assert_str_eq(moved->op_type, op);
    cr_assert_str_eq(pt_producer(moved->inputs[0])->op_type, "QuantizeLinear",
                     "%s reads the uint8 tensor", op);
    cr_assert_eq(ops(m, "DequantizeLinear"), 1, "only the final DQ is left");
    ol_model_destroy(m);
}

Test(qdq_lower, maxpool_on_integers) { check_movement("MaxPool"); }
Test(qdq_lower, reshape_on_integers) { check_movement("Reshape"); }
Test(qdq_lower, transpose_on_integers) { check_movement("Transpose"); }
Test(qdq_lower, flatten_on_integers) { check_movement("Flatten"); }
Test(qdq_lower, concat_with_equal_scales_on_integers) { check_movement("Concat"); }

/* The Q after the op has another scale: requantization is needed, so the float form stays. */
Test(qdq_lower, movement_with_a_new_scale_stays)
{
    ol_model *m = lower_and_compare(movement_model("MaxPool", 4.0 / 255), NULL, false, 0);
    cr_assert_eq(ops(m, "DequantizeLinear"), 2);
    ol_model_destroy(m);
}

Test(qdq_lower, data_movement_option)
{
    ol_model *m = lower_and_compare(movement_model("MaxPool", 2.0 / 255), "data-movement=false", false, 0);
    cr_assert_eq(ops(m, "DequantizeLinear"), 2);
    ol_model_destroy(m);
}

/* ---- the executor's hook ---- */

Test(qdq_lower, sessions_run_qdq_models_with_integer_kernels)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true, .requantized = true, .out_zp = 128};
    ol_model *m = conv_model(&c);
    cr_assert(ol_qdq_lower_applies(m));
    bool integer = false;
    ol_ktensor a = run(m, true, true, &integer);
    cr_assert(integer, "the session ran no integer operator");
    ol_ktensor b = run(m, false, true, &integer);
    cr_assert_not(integer, "no_qdq_lowering still ran an integer operator");
    assert_close(&a, &b, 0.05 + 1e-6);
    cr_assert_eq(ops(m, "Conv"), 1, "the caller's model is not changed");
    free(a.data);
    free(b.data);
    ol_model_destroy(m);
}

Test(qdq_lower, float_models_are_left_alone)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    irb_output(g, IRB_NODE(g, "Relu", "r", "y", pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 2), NULL))->outputs[0]);
    cr_assert_not(ol_qdq_lower_applies(model));
    bool changed = true;
    cr_assert_eq(ol_qdq_lower_to_qoperator(model, NULL, &changed, &irb_err), OL_OK);
    cr_assert_not(changed);
    ol_model_destroy(model);
}

/* Weight-only quantization (float activations, dequantized weights): nothing runs on integers, so
 * sessions do not copy the model. */
Test(qdq_lower, weight_only_quantization_is_left_alone)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *w = weights(g, "w", 2, (int64_t[]){4, 5}, 1, OL_INT8, NULL);
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(3, 4), NULL);
    irb_output(g, IRB_NODE(g, "MatMul", "mm", "y", x, w)->outputs[0]);
    cr_assert_not(ol_qdq_lower_applies(model));
    ol_model *m = lower_and_compare(model, NULL, false, 0);
    ol_model_destroy(m);
}

Test(qdq_lower, output_is_deterministic)
{
    conv_case c = {.x_type = OL_UINT8, .w_type = OL_INT8, .with_bias = true, .requantized = true, .out_zp = 128};
    ol_model *a = conv_model(&c), *b = conv_model(&c);
    bool changed;
    cr_assert_eq(ol_qdq_lower_to_qoperator(a, NULL, &changed, &irb_err), OL_OK);
    cr_assert_eq(ol_qdq_lower_to_qoperator(b, NULL, &changed, &irb_err), OL_OK);
    ol_bytes x = irb_write(a), y = irb_write(b);
    cr_assert(x.size == y.size && memcmp(x.data, y.data, x.size) == 0);
    free(x.data);
    free(y.data);
    ol_model_destroy(a);
    ol_model_destroy(b);
}
