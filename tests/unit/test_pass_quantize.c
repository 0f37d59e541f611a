/* quantize: placement of QuantizeLinear/DequantizeLinear pairs where onnxruntime fuses them,
 * weights and biases, exclusions, the groups kept in float, and the model still computing what the
 * float one does within the quantization error. Models are built by hand; calibration data is
 * written to a temporary folder as `optimize --data` would give it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "pass_testing.h"
#include "quant_testing.h"

#define N 8   /* samples */

static const char *const BATCH[] = {"N", NULL, NULL, NULL};

/* Samples for an input of shape [N, c, h, w] in [-1, 1). */
static qt_data images(int64_t c, int64_t h, int64_t w)
{
    size_t n = (size_t)(N * c * h * w);
    float *x = malloc(n * sizeof *x);
    qt_uniform(x, n, 42, -1, 1);
    qt_data d = qt_data_write(4, (int64_t[]){N, c, h, w}, x, NULL);
    free(x);
    return d;
}

static ol_node *conv(ol_graph *g, const char *name, ol_value *x, int64_t cin, int64_t cout, bool bias)
{
    char w[64], b[64], out[64];
    snprintf(w, sizeof w, "%s.weight", name);
    snprintf(b, sizeof b, "%s.bias", name);
    snprintf(out, sizeof out, "%s_out", name);
    ol_value *wv = pt_random_weight(g, w, -0.5f, 0.5f, IRB_DIMS(cout, cin, 3, 3));
    ol_node *node = bias ? IRB_NODE(g, "Conv", name, out, x, wv, pt_random_weight(g, b, -0.2f, 0.2f, IRB_DIMS(cout)))
                         : IRB_NODE(g, "Conv", name, out, x, wv);
    cr_assert_eq(ol_node_set_attr_ints(node, "pads", (int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    return node;
}

/* x[N,2,6,6] -> Conv(3x3, bias) -> Relu -> y */
static ol_model *conv_relu(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(N, 2, 6, 6), BATCH);
    ol_node *c = conv(g, "conv1", x, 2, 4, true);
    irb_output(g, IRB_NODE(g, "Relu", "relu1", "y", c->outputs[0])->outputs[0]);
    return model;
}

/* Runs both models on the calibration samples and checks every output within `tolerance` of the
 * float one, relative to its largest magnitude. */
static void assert_close(const ol_model *reference, const ol_model *quantized, const qt_data *data,
                         double tolerance)
{
    ol_value *in = reference->graph->inputs[0];
    ol_dataset *set = NULL;
    ol_error err = {0};
    ol_dataset_options o = {.path = data->samples};
    cr_assert_eq(ol_dataset_open(&o, (const ol_value *const[]){in}, 1, &set, &err), OL_OK, "%s", err.message);
    ol_ktensor batch = {0};
    size_t got = 0;
    cr_assert_eq(ol_dataset_next(set, N, &batch, NULL, &got, &err), OL_OK, "%s", err.message);
    const ol_model *models[2] = {reference, quantized};
    ol_ktensor out[2][4] = {0};
    for (int m = 0; m < 2; m++) {
        ol_session *s = NULL;
        cr_assert_eq(ol_session_create(models[m], NULL, &s, &err), OL_OK, "%s", err.message);
        cr_assert_eq(ol_session_run(s, &batch, out[m], &err), OL_OK, "%s", err.message);
        ol_session_destroy(s);
    }
    for (size_t o2 = 0; o2 < reference->graph->n_outputs; o2++) {
        int64_t n = ol_ktensor_numel(&out[0][o2]);
        cr_assert_eq(n, ol_ktensor_numel(&out[1][o2]));
        const float *a = out[0][o2].data, *b = out[1][o2].data;
        double max_abs = 0, max_ref = 0;
        for (int64_t i = 0; i < n; i++) {
            max_abs = fmax(max_abs, fabs((double)a[i] - b[i]));
            max_ref = fmax(max_ref, fabs((double)a[i]));
        }
        cr_assert(max_abs <= tolerance * max_ref, "output %zu: error %g of %g", o2, max_abs, max_ref);
        free(out[0][o2].data);
        free(out[1][o2].data);
    }
    free(batch.data);
    ol_dataset_close(set);
}

static ol_node *producer(const ol_value *v, const char *op)
{
    cr_assert(v, "no value");
    cr_assert(v->producer, "'%s' has no producer", v->name);
    cr_assert_str_eq(v->producer->op_type, op, "'%s' comes from %s, not %s", v->name, v->producer->op_type, op);
    return v->producer;
}

/* The DequantizeLinear feeding input `i` of `node`, checked to read a QuantizeLinear. */
static ol_node *activation_dq(const ol_node *node, size_t i)
{
    ol_node *dq = producer(node->inputs[i], "DequantizeLinear");
    producer(dq->inputs[0], "QuantizeLinear");
    return dq;
}

static ol_node *only_reader(const ol_value *v, const char *op)
{
    ol_node *r = qt_reader(v);
    cr_assert_str_eq(r->op_type, op, "'%s' is read by %s, not %s", v->name, r->op_type, op);
    return r;
}

static int zero_point(const ol_node *q_or_dq)
{
    const ol_tensor *t = ol_value_constant(q_or_dq->inputs[2]);
    cr_assert(t && ol_tensor_numel(t) == 1);
    return t->dtype == OL_UINT8 ? ((const uint8_t *)t->data)[0] : ((const int8_t *)t->data)[0];
}

Test(pass_quantize, conv_relu_folds_the_relu_into_the_quantization)
{
    ol_model *model = conv_relu(), *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "Relu"), 0);
    ol_node *c = irb_find_node(g, "conv1");
    activation_dq(c, 0);
    ol_node *wdq = producer(c->inputs[1], "DequantizeLinear");
    cr_assert_eq(ol_value_constant(wdq->inputs[0])->dtype, OL_INT8);
    cr_assert_eq(ol_node_attr_int(wdq, "axis", -1), 0);
    cr_assert_eq(wdq->n_inputs, 2, "a Conv's int8 weights: zero point 0 is the default, left out");
    ol_node *bdq = producer(c->inputs[2], "DequantizeLinear");
    cr_assert_eq(ol_value_constant(bdq->inputs[0])->dtype, OL_INT32);
    /* The rewired intermediate is left untyped: the file gets no value_info for it. */
    cr_assert_eq(c->outputs[0]->type.kind, OL_TYPE_UNKNOWN);
    /* Conv -> Q is the only reader; the Relu's range starts at 0: zero point 0 clips as it did. */
    ol_node *q = only_reader(c->outputs[0], "QuantizeLinear");
    cr_assert_eq(zero_point(q), 0);
    ol_node *dq = only_reader(q->outputs[0], "DequantizeLinear");
    cr_assert_str_eq(dq->outputs[0]->name, "y");
    cr_assert(dq->outputs[0]->is_output);
    cr_assert_eq(dq->outputs[0]->type.elem, OL_FLOAT, "the graph output keeps its type");
    cr_assert_eq(dq->outputs[0]->type.rank, 4);
    cr_assert(qt_note(&report, "1 Relu/Clip folded"));
    assert_close(reference, model, &data, 0.03);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

/* PyTorch routes a bias shared by equal layers through an Identity of the initializer: the Conv is
 * still quantized, reading the int32 bias directly. */
Test(pass_quantize, conv_bias_behind_an_identity_is_quantized)
{
    ol_model *model = conv_relu();
    ol_graph *g = model->graph;
    ol_node *c = irb_find_node(g, "conv1");
    ol_node *id = IRB_NODE(g, "Identity", "bias_identity", "bias_shared", c->inputs[2]);
    ol_error err = {0};
    cr_assert_eq(ol_node_set_input(c, 2, id->outputs[0], &err), OL_OK, "%s", err.message);
    cr_assert_eq(ol_graph_toposort(g, &err), OL_OK, "%s", err.message);
    ol_model *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    cr_assert_eq(ptest_count_ops(model->graph, "Identity"), 0);
    c = irb_find_node(model->graph, "conv1");
    activation_dq(c, 0);
    ol_node *bdq = producer(c->inputs[2], "DequantizeLinear");
    cr_assert_eq(ol_value_constant(bdq->inputs[0])->dtype, OL_INT32);
    assert_close(reference, model, &data, 0.03);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

/* Weight scale of channel c is max|w_c| / 127 and the int8 weights round w / scale; per tensor one
 * scale, max|w| / 127. */
static void check_weights(bool per_channel)
{
    ol_model *model = conv_relu(), *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, per_channel ? "quantize" : "quantize{per-channel=false}", &data, &report);
    const float *w = pt_const_floats(ol_graph_find_value(reference->graph, "conv1.weight"));
    ol_node *wdq = producer(irb_find_node(model->graph, "conv1")->inputs[1], "DequantizeLinear");
    const ol_tensor *q = ol_value_constant(wdq->inputs[0]), *s = ol_value_constant(wdq->inputs[1]);
    cr_assert_eq(s->rank, per_channel ? 1 : 0);
    cr_assert_eq(ol_tensor_numel(s), per_channel ? 4 : 1);
    const float *scales = s->data;
    const int8_t *qw = q->data;
    for (int c = 0; c < 4; c++) {
        float m = 0;
        for (int i = 0; i < (per_channel ? 18 : 72); i++)
            m = fmaxf(m, fabsf(w[(per_channel ? c * 18 : 0) + i]));
        float scale = scales[per_channel ? c : 0];
        cr_assert_eq(scale, (float)(m / 127.0), "channel %d: scale %g, max %g", c, scale, m);
        for (int i = 0; i < 18; i++)
            cr_assert_eq(qw[c * 18 + i], (int8_t)nearbyint(w[c * 18 + i] / (double)scale));
    }
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

Test(pass_quantize, per_channel_weight_scales) { check_weights(true); }
Test(pass_quantize, per_tensor_weight_scale) { check_weights(false); }

/* The bias is int32 at the scale the accumulator has: input_scale * weight_scale[c]. */
Test(pass_quantize, bias_is_int32_at_input_times_weight_scale)
{
    ol_model *model = conv_relu(), *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    ol_node *c = irb_find_node(model->graph, "conv1");
    float x_scale = qt_scalar(activation_dq(c, 0)->inputs[1]);
    ol_node *wdq = producer(c->inputs[1], "DequantizeLinear"), *bdq = producer(c->inputs[2], "DequantizeLinear");
    const float *ws = ol_value_constant(wdq->inputs[1])->data, *bs = ol_value_constant(bdq->inputs[1])->data;
    const int32_t *qb = ol_value_constant(bdq->inputs[0])->data;
    const float *b = pt_const_floats(ol_graph_find_value(reference->graph, "conv1.bias"));
    cr_assert_eq(ol_node_attr_int(bdq, "axis", -1), 0);
    cr_assert_eq(bdq->n_inputs, 2);
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(bs[k], x_scale * ws[k], "channel %d", k);
        cr_assert_eq(qb[k], (int32_t)nearbyint(b[k] / (double)bs[k]), "channel %d", k);
    }
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

/* x -> conv1 -> Relu -> conv2 -> Add(residual: the Relu) -> Relu -> MaxPool -> Reshape -> Gemm -> y:
 * the shape of a ResNet block and classifier head. */
static ol_model *block(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(N, 2, 6, 6), BATCH);
    ol_node *c1 = conv(g, "conv1", x, 2, 4, true);
    ol_node *r1 = IRB_NODE(g, "Relu", "relu1", "r1", c1->outputs[0]);
    ol_node *c2 = conv(g, "conv2", r1->outputs[0], 4, 4, false);
    ol_node *add = IRB_NODE(g, "Add", "add", "sum", c2->outputs[0], r1->outputs[0]);
    ol_node *r2 = IRB_NODE(g, "Relu", "relu2", "r2", add->outputs[0]);
    ol_node *pool = IRB_NODE(g, "MaxPool", "pool", "pooled", r2->outputs[0]);
    cr_assert_eq(ol_node_set_attr_ints(pool, "kernel_shape", (int64_t[]){2, 2}, 2, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_ints(pool, "strides", (int64_t[]){2, 2}, 2, &irb_err), OL_OK);
    ol_node *flat = IRB_NODE(g, "Reshape", "flatten", "flat", pool->outputs[0], PT_INTS(g, "shape", -1, 36));
    ol_node *fc = IRB_NODE(g, "Gemm", "fc", "y", flat->outputs[0], pt_random_weight(g, "fc.weight", -0.3f, 0.3f,
                           IRB_DIMS(5, 36)), pt_random_weight(g, "fc.bias", -0.1f, 0.1f, IRB_DIMS(5)));
    cr_assert_eq(ol_node_set_attr_int(fc, "transB", 1, &irb_err), OL_OK);
    irb_output(g, fc->outputs[0]);
    return model;
}

Test(pass_quantize, block_placement_matches_onnxruntime_fusion)
{
    ol_model *model = block(), *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "Relu"), 0, "both Relus fold");
    /* Add: DQ on both inputs, Q as the only reader of its output, zero point 0 from relu2. */
    ol_node *add = irb_find_node(g, "add");
    activation_dq(add, 0);
    activation_dq(add, 1);
    ol_node *q = only_reader(add->outputs[0], "QuantizeLinear");
    cr_assert_eq(zero_point(q), 0);
    /* MaxPool and Reshape run on the integers the Add's QuantizeLinear made (what onnxruntime
     * makes of DQ -> op -> Q with one scale and zero point), and the Gemm reads them through one
     * DequantizeLinear with those parameters. */
    ol_node *pool = irb_find_node(g, "pool"), *flat = irb_find_node(g, "flatten");
    cr_assert_eq(pool->inputs[0], q->outputs[0]);
    cr_assert_eq(pool->outputs[0]->type.kind, OL_TYPE_UNKNOWN, "now integers: no stale float type");
    cr_assert_eq(only_reader(pool->outputs[0], "Reshape"), flat);
    ol_node *dq = only_reader(flat->outputs[0], "DequantizeLinear");
    cr_assert_eq(dq->inputs[1], q->inputs[1], "the Add's scale");
    cr_assert_eq(dq->inputs[2], q->inputs[2], "the Add's zero point");
    /* Gemm: B int8 per channel along axis 0 (transB=1), C int32, result left float for the output. */
    ol_node *fc = irb_find_node(g, "fc");
    cr_assert_eq(fc->inputs[0], dq->outputs[0]);
    ol_node *bdq = producer(fc->inputs[1], "DequantizeLinear");
    cr_assert_eq(ol_node_attr_int(bdq, "axis", -1), 0);
    cr_assert_eq(ol_tensor_numel(ol_value_constant(bdq->inputs[1])), 5);
    cr_assert_eq(bdq->n_inputs, 3, "onnxruntime fuses a Gemm group only with the weight's zero point");
    cr_assert_eq(ol_value_constant(producer(fc->inputs[2], "DequantizeLinear")->inputs[0])->dtype, OL_INT32);
    cr_assert(fc->outputs[0]->is_output);
    cr_assert_str_eq(fc->outputs[0]->name, "y");
    assert_close(reference, model, &data, 0.05);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

/* Add with a constant: the constant becomes uint8 through its own DequantizeLinear. */
Test(pass_quantize, add_constant_is_quantized_like_an_activation)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(N, 2, 6, 6), BATCH);
    ol_node *c = conv(g, "conv1", x, 2, 4, true);
    ol_node *add = IRB_NODE(g, "Add", "add", "y", c->outputs[0], pt_random_weight(g, "offset", -1, 1,
                            IRB_DIMS(4, 1, 1)));
    irb_output(g, add->outputs[0]);
    ol_model *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    add = irb_find_node(model->graph, "add");
    activation_dq(add, 0);
    ol_node *cdq = producer(add->inputs[1], "DequantizeLinear");
    cr_assert_eq(ol_value_constant(cdq->inputs[0])->dtype, OL_UINT8);
    cr_assert_str_eq(add->inputs[1]->name, "offset", "the DequantizeLinear stands for the float constant");
    only_reader(add->outputs[0], "QuantizeLinear");
    assert_close(reference, model, &data, 0.03);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

/* A MatMul reading two activations (attention scores) quantizes both; one with a 2-D constant
 * gets per-column weight scales (axis 1). */
Test(pass_quantize, matmul_activation_and_weight_inputs)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(N, 3, 4), (const char *const[]){"N", NULL, NULL});
    ol_node *proj = IRB_NODE(g, "MatMul", "proj", "p", x, pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 6)));
    ol_node *tr = IRB_NODE(g, "Transpose", "tr", "pt", proj->outputs[0]);
    cr_assert_eq(ol_node_set_attr_ints(tr, "perm", (int64_t[]){0, 2, 1}, 3, &irb_err), OL_OK);
    ol_node *scores = IRB_NODE(g, "MatMul", "scores", "y", proj->outputs[0], tr->outputs[0]);
    irb_output(g, scores->outputs[0]);
    ol_model *reference = pt_clone(model);
    size_t n = N * 3 * 4;
    float *xs = malloc(n * sizeof *xs);
    qt_uniform(xs, n, 3, -1, 1);
    qt_data data = qt_data_write(3, (int64_t[]){N, 3, 4}, xs, NULL);
    free(xs);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    g = model->graph;
    ol_node *p = irb_find_node(g, "proj"), *s = irb_find_node(g, "scores");
    ol_node *wdq = producer(p->inputs[1], "DequantizeLinear");
    cr_assert_eq(ol_node_attr_int(wdq, "axis", -1), 1);
    cr_assert_eq(ol_tensor_numel(ol_value_constant(wdq->inputs[1])), 6);
    cr_assert_eq(wdq->n_inputs, 2, "a MatMul's int8 weights: zero point 0 is the default, left out");
    activation_dq(s, 0);
    /* The Transpose moves the projection's integers; the scores read them with its parameters. */
    ol_node *t = irb_find_node(g, "tr");
    ol_node *q = producer(t->inputs[0], "QuantizeLinear");
    ol_node *tdq = producer(s->inputs[1], "DequantizeLinear");
    cr_assert_eq(tdq->inputs[0], t->outputs[0]);
    cr_assert_eq(tdq->inputs[1], q->inputs[1]);
    assert_close(reference, model, &data, 0.05);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

Test(pass_quantize, excluded_nodes_and_ops_stay_float)
{
    ol_model *model = block();
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize{exclude-nodes=conv2,exclude-ops=\"Add;Gemm\"}", &data, &report);
    ol_graph *g = model->graph;
    ol_node *c2 = irb_find_node(g, "conv2"), *add = irb_find_node(g, "add"), *fc = irb_find_node(g, "fc");
    cr_assert_str_eq(c2->inputs[1]->name, "conv2.weight");
    cr_assert_eq(ol_value_constant(c2->inputs[1])->dtype, OL_FLOAT);
    cr_assert_str_eq(fc->inputs[1]->name, "fc.weight");
    cr_assert_neq(strcmp(qt_reader(add->outputs[0])->op_type, "QuantizeLinear"), 0);
    /* conv1 is still quantized; the Relu after the excluded Add stays (its input is float). */
    cr_assert_eq(ol_value_constant(producer(irb_find_node(g, "conv1")->inputs[1], "DequantizeLinear")->inputs[0])->dtype,
                 OL_INT8);
    cr_assert_eq(ptest_count_ops(g, "Relu"), 1);
    const ol_pass_note *note = qt_note(&report, "kept in float as asked");
    cr_assert(note && strstr(note->message, "conv2") && strstr(note->message, "add") && strstr(note->message, "fc"));
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

Test(pass_quantize, unknown_excluded_node_is_an_error)
{
    ol_model *model = block();
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    ol_error err = {0};
    cr_assert_eq(qt_run(model, "quantize{exclude-nodes=conv9}", &data, 0, &report, &err), OL_ERR_ARG);
    cr_assert(strstr(err.message, "no node named 'conv9'"), "%s", err.message);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

/* x -> conv -> BatchNormalization -> y: onnxruntime has no integer BatchNormalization. */
static ol_model *conv_bn(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(N, 2, 6, 6), BATCH);
    ol_node *c = conv(g, "conv1", x, 2, 4, true);
    ol_node *bn = IRB_NODE(g, "BatchNormalization", "bn", "y", c->outputs[0], pt_random_weight(g, "g", 0.5f, 1.5f,
                           IRB_DIMS(4)), pt_random_weight(g, "b", -1, 1, IRB_DIMS(4)), pt_random_weight(g, "m", -1, 1,
                           IRB_DIMS(4)), pt_random_weight(g, "v", 0.5f, 1.5f, IRB_DIMS(4)));
    irb_output(g, bn->outputs[0]);
    return model;
}

Test(pass_quantize, unfused_group_is_reported_and_kept_float)
{
    ol_model *model = conv_bn();
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    ol_node *bn = irb_find_node(model->graph, "bn");
    activation_dq(bn, 0);   /* the Conv's group still ends in a Q; the BN reads its DQ in float */
    cr_assert(bn->outputs[0]->is_output);
    const ol_pass_note *note = qt_note(&report, "'bn' (BatchNormalization) kept in float");
    cr_assert(note && note->kind == OL_NOTE_WARNING);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

Test(pass_quantize, allow_unfused_quantizes_the_group_anyway)
{
    ol_model *model = conv_bn();
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize{allow-unfused=true}", &data, &report);
    ol_node *bn = irb_find_node(model->graph, "bn");
    activation_dq(bn, 0);
    only_reader(bn->outputs[0], "QuantizeLinear");
    cr_assert(qt_note(&report, "'bn' (BatchNormalization) quantized though onnxruntime will run it in float"));
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

/* With symmetric int8 activations the zero point is 0, not the bottom of the range, so the Relu
 * cannot be folded: it stays, reported. */
Test(pass_quantize, symmetric_activations_keep_the_relu)
{
    ol_model *model = conv_relu(), *reference = pt_clone(model);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize{activations=int8,symmetric-activations=true}", &data, &report);
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "Relu"), 1);
    ol_node *q = only_reader(irb_find_node(g, "conv1")->outputs[0], "QuantizeLinear");
    cr_assert_eq(ol_value_constant(q->inputs[2])->dtype, OL_INT8);
    cr_assert_eq(zero_point(q), 0);
    cr_assert(qt_note(&report, "'relu1' (Relu) kept in float"));
    assert_close(reference, model, &data, 0.03);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(reference);
    ol_model_destroy(model);
}

/* Every calibration method gives a model that computes what the float one does. */
Test(pass_quantize, every_method_stays_close)
{
    const char *methods[] = {"quantize{method=minmax}", "quantize{method=percentile,percentile=99.9}",
                             "quantize{method=entropy}", "quantize{method=mse}"};
    qt_data data = images(2, 6, 6);
    for (int m = 0; m < 4; m++) {
        ol_model *model = block(), *reference = pt_clone(model);
        ol_pipeline_report report;
        qt_quantize(model, methods[m], &data, &report);
        cr_log_info("%s", methods[m]);
        assert_close(reference, model, &data, 0.1);
        ol_pipeline_report_clear(&report);
        ol_model_destroy(reference);
        ol_model_destroy(model);
    }
    qt_data_remove(&data);
}

Test(pass_quantize, same_input_gives_identical_bytes)
{
    ol_model *a = block(), *b = pt_clone(a);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(a, "quantize{method=entropy}", &data, &report);
    ol_pipeline_report_clear(&report);
    qt_quantize(b, "quantize{method=entropy}", &data, &report);
    ol_pipeline_report_clear(&report);
    ol_bytes x = irb_write(a), y = irb_write(b);
    cr_assert_eq(x.size, y.size);
    cr_assert_eq(memcmp(x.data, y.data, x.size), 0);
    free(x.data);
    free(y.data);
    qt_data_remove(&data);
    ol_model_destroy(a);
    ol_model_destroy(b);
}

Test(pass_quantize, opset_is_raised_to_13)
{
    ol_model *model = conv_relu();
    cr_assert_eq(ol_model_set_opset(model, "", 11), 0);
    for (size_t i = 0; i < model->graph->n_nodes; i++)
        model->graph->nodes[i]->opset = 11;
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    qt_quantize(model, "quantize", &data, &report);
    cr_assert_eq(ol_model_opset(model, ""), 13);
    cr_assert_eq(irb_find_node(model->graph, "conv1")->opset, 13);
    cr_assert(qt_note(&report, "raised the model's opset from 11 to 13"));
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

/* Squeeze took its axes as an attribute before opset 13: raising the opset would break it. */
Test(pass_quantize, opset_that_cannot_be_raised_is_refused)
{
    ol_model *model = irb_model();
    cr_assert_eq(ol_model_set_opset(model, "", 11), 0);
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(N, 2, 6, 6), BATCH);
    ol_node *c = conv(g, "conv1", x, 2, 1, false);
    ol_node *sq = IRB_NODE(g, "Squeeze", "squeeze", "y", c->outputs[0]);
    cr_assert_eq(ol_node_set_attr_ints(sq, "axes", (int64_t[]){1}, 1, &irb_err), OL_OK);
    irb_output(g, sq->outputs[0]);
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    ol_error err = {0};
    cr_assert_eq(qt_run(model, "quantize", &data, 0, &report, &err), OL_ERR_UNSUPPORTED);
    cr_assert(strstr(err.message, "node 'squeeze' (Squeeze)") && strstr(err.message, "opset 13"), "%s",
              err.message);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

Test(pass_quantize, no_data_is_an_error)
{
    ol_model *model = conv_relu();
    ol_pipeline_report report;
    ol_error err = {0};
    cr_assert_eq(qt_run(model, "quantize", NULL, 0, &report, &err), OL_ERR_ARG);
    cr_assert(strstr(err.message, "--data"), "%s", err.message);
    ol_pipeline_report_clear(&report);
    ol_model_destroy(model);
}

/* Calibration reads --calibration-samples of the data set, no more. */
Test(pass_quantize, calibration_sample_count)
{
    ol_model *model = conv_relu();
    qt_data data = images(2, 6, 6);
    ol_pipeline_report report;
    ol_error err = {0};
    cr_assert_eq(qt_run(model, "quantize", &data, 3, &report, &err), OL_OK, "%s", err.message);
    cr_assert(qt_note(&report, "on 3 samples"));
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}
