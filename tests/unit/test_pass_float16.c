/* float16: which nodes and constants go float16, the Casts at the boundaries (graph inputs and
 * outputs, nodes kept in float32), values beyond float16's range (constants, and activations
 * observed on a data set), and closeness to the float32 model in the executor. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "kernels/ktensor.h"
#include "pass/builtin_passes.h"
#include "pass_testing.h"
#include "quant_testing.h"

static const ol_pass_def *pass = &ol_pass_float16;

/* float16 keeps 11 bits: a few layers of random data stay well within 1% of the output's range. */
#define TOLERANCE 0.01

static size_t ops(const ol_model *m, const char *op)
{
    return ptest_count_ops(m->graph, op);
}

static ol_model *converted(ol_model *model, const char *options, bool expect_change)
{
    ol_model *before = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, options), expect_change);
    pt_assert_close_outputs(before, model, TOLERANCE);
    ol_model_destroy(before);
    return model;
}

static ol_dtype elem(const ol_model *m, const char *name)
{
    ol_value *v = ol_graph_find_value(m->graph, name);
    cr_assert(v, "no value '%s'", name);
    const ol_tensor *t = ol_value_constant(v);
    return t ? t->dtype : v->type.elem;
}

/* x[1, 2, 5, 5] -> Conv(w, b) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(fc_w, fc_b) -> y */
static ol_model *cnn(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 2, 5, 5), NULL);
    ol_value *c = IRB_NODE(g, "Conv", "conv", "c", x, pt_random_weight(g, "w", -1, 1, IRB_DIMS(3, 2, 3, 3)),
                           pt_random_weight(g, "b", -1, 1, IRB_DIMS(3)))->outputs[0];
    ol_value *r = IRB_NODE(g, "Relu", "relu", "r", c)->outputs[0];
    ol_value *p = IRB_NODE(g, "GlobalAveragePool", "gap", "p", r)->outputs[0];
    ol_value *f = IRB_NODE(g, "Flatten", "flatten", "f", p)->outputs[0];
    ol_node *fc = IRB_NODE(g, "Gemm", "fc", "y", f, pt_random_weight(g, "fc_w", -1, 1, IRB_DIMS(4, 3)),
                           pt_random_weight(g, "fc_b", -1, 1, IRB_DIMS(4)));
    cr_assert_eq(ol_node_set_attr_int(fc, "transB", 1, &irb_err), OL_OK);
    irb_output(g, fc->outputs[0]);
    return model;
}

Test(float16, cnn_runs_in_float16_behind_a_float32_interface)
{
    ol_model *m = converted(cnn(), NULL, true);
    cr_assert_eq(elem(m, "w"), OL_FLOAT16);
    cr_assert_eq(elem(m, "fc_b"), OL_FLOAT16);
    cr_assert_eq(elem(m, "c"), OL_FLOAT16);
    cr_assert_eq(elem(m, "x"), OL_FLOAT, "the input stays float32");
    cr_assert_eq(elem(m, "y"), OL_FLOAT, "the output stays float32");
    cr_assert_eq(ops(m, "Cast"), 2, "one Cast in, one out");
    cr_assert_eq(ops(m, "Clip"), 1, "the float32 input is clipped to float16's range first");
    ol_node *out = pt_producer(pt_output(m->graph, "y"));
    cr_assert_str_eq(out->op_type, "Cast");
    cr_assert_eq(ol_node_attr_int(out, "to", 0), OL_FLOAT);
    cr_assert_str_eq(pt_producer(out->inputs[0])->op_type, "Gemm");
    ol_model_destroy(m);
}

/* The model's own float32 <-> float16 data, to run a model with float16 inputs on the same data. */
static ol_ktensor run_one(const ol_model *m, const float *x, int rank, const int64_t *dims)
{
    ol_session *s;
    cr_assert_eq(ol_session_create(m, NULL, &s, &irb_err), OL_OK, "%s", irb_err.message);
    ol_ktensor in = {0}, out = {0};
    ol_dtype type = ol_session_input(s, 0)->type.elem;
    ol_ktensor_set_shape(&in, type, rank, dims);
    int64_t n = ol_ktensor_numel(&in);
    void *data = malloc(ol_ktensor_nbytes(&in));
    for (int64_t i = 0; i < n; i++)
        if (type == OL_FLOAT16)
            ((uint16_t *)data)[i] = ol_float_to_half(x[i]);
        else
            ((float *)data)[i] = x[i];
    in.data = data;
    cr_assert_eq(ol_session_run(s, &in, &out, &irb_err), OL_OK, "%s", irb_err.message);
    free(data);
    ol_session_destroy(s);
    return out;
}

static double value_at(const ol_ktensor *t, int64_t i)
{
    return t->dtype == OL_FLOAT16 ? ol_half_to_float(((const uint16_t *)t->data)[i]) : ((const float *)t->data)[i];
}

Test(float16, float16_interface_without_casts)
{
    ol_model *m = cnn(), *before = pt_clone(m);
    cr_assert(pt_run_settled(pass, m, "keep-io-float32=false"));
    cr_assert_eq(elem(m, "x"), OL_FLOAT16);
    cr_assert_eq(elem(m, "y"), OL_FLOAT16);
    cr_assert_eq(ops(m, "Cast"), 0);
    float x[50];
    for (int i = 0; i < 50; i++)
        x[i] = (float)((i * 37) % 19) / 9.5f - 1.0f;
    int64_t dims[] = {1, 2, 5, 5};
    ol_ktensor a = run_one(before, x, 4, dims), b = run_one(m, x, 4, dims);
    cr_assert_eq(b.dtype, OL_FLOAT16);
    double largest = 0, worst = 0;
    for (int64_t i = 0; i < ol_ktensor_numel(&a); i++) {
        largest = fmax(largest, fabs(value_at(&a, i)));
        worst = fmax(worst, fabs(value_at(&a, i) - value_at(&b, i)));
    }
    cr_assert(worst <= TOLERANCE * largest, "error %g of %g", worst, largest);
    free(a.data);
    free(b.data);
    ol_model_destroy(before);
    ol_model_destroy(m);
}

/* An attention-mask pattern with a constant beyond float16's range: x[2, 2] -> Sigmoid ->
 * Mul(big = {-1e9, 0}) -> Add(x, .) -> Softmax -> Add(eps = 1e-12) -> y. */
static ol_model *masked(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 2), NULL);
    ol_value *s = IRB_NODE(g, "Sigmoid", "sig", "s", x)->outputs[0];
    ol_value *m = IRB_NODE(g, "Mul", "mul", "m", s, pt_floats(g, "big", IRB_DIMS(2), (const float[]){-1e9f, 0}))
                      ->outputs[0];
    ol_value *a = IRB_NODE(g, "Add", "add", "a", x, m)->outputs[0];
    ol_value *p = IRB_NODE(g, "Softmax", "softmax", "p", a)->outputs[0];
    irb_output(g, IRB_NODE(g, "Add", "add_eps", "y", p, pt_floats(g, "eps", IRB_DIMS(1), (const float[]){1e-12f}))
                      ->outputs[0]);
    return model;
}

/* keep: the constant and the Mul reading it stay float32, and the Mul's -5e8s enter float16
 * clipped to -65504 (not -inf); what follows runs in float16. */
Test(float16, out_of_range_constants_stay_float32)
{
    ol_model *m = converted(masked(), NULL, true);
    cr_assert_eq(elem(m, "big"), OL_FLOAT);
    cr_assert_eq(elem(m, "m"), OL_FLOAT, "the Mul reading it stays float32");
    cr_assert_eq(elem(m, "s"), OL_FLOAT16);
    cr_assert_eq(elem(m, "a"), OL_FLOAT16);
    ol_node *add = irb_find_node(m->graph, "add");
    ol_node *cast = pt_producer(add->inputs[1]);
    cr_assert_str_eq(cast->op_type, "Cast");
    cr_assert_str_eq(pt_producer(cast->inputs[0])->op_type, "Clip");
    ol_model_destroy(m);
}

/* clamp: -1e9 becomes -65504 and the Mul runs in float16 too. */
Test(float16, out_of_range_constants_clamped)
{
    ol_model *m = converted(masked(), "out-of-range=clamp", true);
    const ol_value *big = ol_graph_find_value(m->graph, "big");
    cr_assert_eq(ol_value_constant(big)->dtype, OL_FLOAT16);
    cr_assert_float_eq(ol_half_to_float(((const uint16_t *)ol_value_constant(big)->data)[0]), -65504.0f, 0);
    cr_assert_eq(elem(m, "m"), OL_FLOAT16);
    ol_model_destroy(m);
}

/* 1e-12 would flush to 0 in float16; it becomes the smallest subnormal instead. */
Test(float16, tiny_constants_stay_non_zero)
{
    ol_model *m = converted(masked(), NULL, true);
    const ol_tensor *eps = ol_value_constant(ol_graph_find_value(m->graph, "eps"));
    cr_assert_eq(eps->dtype, OL_FLOAT16);
    cr_assert_eq(((const uint16_t *)eps->data)[0], 1, "2^-24 is the half with bits 0x0001");
    ol_model_destroy(m);
}

/* ScatterElements with a reduction has no float16 kernel in onnxruntime: it stays float32 between
 * Casts, its neighbours go float16. */
Test(float16, ops_onnxruntime_cannot_run_stay_float32)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 3), NULL);
    ol_value *r = IRB_NODE(g, "Relu", "relu", "r", x)->outputs[0];
    ol_node *scatter = IRB_NODE(g, "ScatterElements", "scatter", "n", r, pt_ints(g, "idx", IRB_DIMS(1, 3),
                                (const int64_t[]){1, 0, 1}), pt_random_weight(g, "upd", -1, 1, IRB_DIMS(1, 3)));
    cr_assert_eq(ol_node_set_attr_string(scatter, "reduction", "add", &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Sigmoid", "sig", "y", scatter->outputs[0])->outputs[0]);
    ol_model *m = converted(model, NULL, true);
    cr_assert_eq(elem(m, "r"), OL_FLOAT16);
    cr_assert_eq(elem(m, "n"), OL_FLOAT);
    cr_assert_eq(elem(m, "upd"), OL_FLOAT);
    cr_assert_str_eq(pt_producer(irb_find_node(m->graph, "scatter")->inputs[0])->op_type, "Cast",
                     "float16 goes back to float32 before it");
    cr_assert_eq(ops(m, "Cast"), 4, "in, around the scatter, out");
    ol_model_destroy(m);
}

/* Resize's scales are float32 by definition: the data goes float16, the scales stay. */
Test(float16, float32_only_parameters_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 1, 2, 2), NULL);
    ol_value *scales = pt_floats(g, "scales", IRB_DIMS(4), (const float[]){1, 1, 2, 2});
    ol_value *a = IRB_NODE(g, "Relu", "relu", "a", x)->outputs[0];
    ol_node *rs = IRB_NODE(g, "Resize", "resize", "r", a, NULL, scales);
    cr_assert_eq(ol_node_set_attr_string(rs, "mode", "nearest", &irb_err), OL_OK);
    irb_output(g, rs->outputs[0]);
    ol_model *m = converted(model, NULL, true);
    cr_assert_eq(elem(m, "scales"), OL_FLOAT);
    ol_node *resize = irb_find_node(m->graph, "resize");
    cr_assert_eq(resize->outputs[0]->type.elem, OL_FLOAT16);
    cr_assert_eq(resize->inputs[0]->type.elem, OL_FLOAT16);
    ol_model_destroy(m);
}

/* LayerNormalization converts while only Y is read; its float32 Mean output keeps it float32. */
static ol_model *layer_norm(bool mean_used)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 4), NULL);
    ol_value *gamma = pt_random_weight(g, "gamma", 0.5f, 1.5f, IRB_DIMS(4));
    ol_value *beta = pt_random_weight(g, "beta", -1, 1, IRB_DIMS(4));
    ol_node *ln = IRB_NODE(g, "LayerNormalization", "ln", "y", x, gamma, beta);
    irb_output(g, ln->outputs[0]);
    if (mean_used) {
        ol_value *mean = ol_node_new_output(ln, "mean", &irb_err);
        cr_assert(mean);
        cr_assert_eq(ol_node_set_attr_int(ln, "axis", -1, &irb_err), OL_OK);
        irb_output(g, mean);
    }
    return model;
}

Test(float16, layer_norm_with_mean_output_stays)
{
    ol_model *m = converted(layer_norm(false), NULL, true);
    cr_assert_eq(elem(m, "gamma"), OL_FLOAT16);
    ol_model_destroy(m);
    m = converted(layer_norm(true), NULL, false);
    cr_assert_eq(elem(m, "gamma"), OL_FLOAT);
    ol_model_destroy(m);
}

Test(float16, excluded_nodes_and_ops_stay)
{
    ol_model *m = converted(cnn(), "exclude-ops=Gemm", true);
    cr_assert_eq(elem(m, "fc_w"), OL_FLOAT);
    cr_assert_eq(elem(m, "w"), OL_FLOAT16);
    ol_model_destroy(m);
    m = converted(cnn(), "exclude-nodes=conv", true);
    cr_assert_eq(elem(m, "w"), OL_FLOAT);
    cr_assert_eq(elem(m, "fc_w"), OL_FLOAT16);
    ol_model_destroy(m);
}

/* A weight read by a float16 node and by one kept float32 stays float32, cast once for the first. */
Test(float16, shared_constant_with_a_float32_reader)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 3, 2, 2), NULL);
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(1, 3, 1, 1));
    ol_value *a = IRB_NODE(g, "Mul", "mul", "a", x, w)->outputs[0];
    ol_value *b = IRB_NODE(g, "Add", "add", "b", a, w)->outputs[0];
    irb_output(g, IRB_NODE(g, "Sigmoid", "sig", "y", b)->outputs[0]);
    ol_model *m = converted(model, "exclude-nodes=add", true);
    cr_assert_eq(elem(m, "w"), OL_FLOAT);
    cr_assert_eq(elem(m, "a"), OL_FLOAT16);
    cr_assert_eq(elem(m, "b"), OL_FLOAT);
    ol_model_destroy(m);
}

/* Constant nodes become float16 initializers; Cast to float32 becomes a Cast to float16. */
Test(float16, constants_and_casts)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *ids = pt_input(g, "ids", OL_INT64, IRB_DIMS(2, 2), NULL);
    ol_node *cast = IRB_NODE(g, "Cast", "cast", "f", ids);
    cr_assert_eq(ol_node_set_attr_int(cast, "to", OL_FLOAT, &irb_err), OL_OK);
    ol_node *k = irb_node(g, "Constant", "k", "kv", 0, NULL);
    ol_tensor *t = ol_tensor_create(OL_FLOAT, 0, NULL, &irb_err);
    *(float *)ol_tensor_mutable_data(t, &irb_err) = 0.25f;
    cr_assert_eq(ol_node_set_attr_tensor(k, "value", t, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Mul", "mul", "y", cast->outputs[0], k->outputs[0])->outputs[0]);
    ol_model *m = converted(model, NULL, true);
    cr_assert_eq(ops(m, "Constant"), 0);
    cr_assert_eq(elem(m, "kv"), OL_FLOAT16);
    cr_assert_eq(ol_node_attr_int(irb_find_node(m->graph, "cast"), "to", 0), OL_FLOAT16);
    ol_model_destroy(m);
}

Test(float16, integer_models_are_left_alone)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = pt_input(g, "a", OL_INT64, IRB_DIMS(2), NULL);
    irb_output(g, IRB_NODE(g, "Add", "add", "y", a, PT_INTS(g, "one", 1))->outputs[0]);
    converted(model, NULL, false);
    ol_model_destroy(model);
}

/* What was kept, clamped or raised is reported in the pass notes. */
Test(float16, notes_report_what_was_kept_clamped_and_raised)
{
    ol_model *m = masked();
    ol_pipeline_report report;
    qt_quantize(m, "float16", NULL, &report);
    cr_assert(qt_note(&report, "beyond float16's range: kept in float32"), "no note on the kept constant");
    cr_assert(qt_note(&report, "1 non-zero constant values below float16's smallest"), "no note on the epsilon");
    cr_assert(qt_note(&report, "nodes in float16"));
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
    m = masked();
    qt_quantize(m, "float16{out-of-range=clamp}", NULL, &report);
    cr_assert(qt_note(&report, "1 constant values beyond float16's range were clamped"), "no note on the clamp");
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
}

/* x[N, 4] -> Mul(k1 = 1000) -> a -> Mul(k2 = 1000) -> y: with x in [-1, 1] y reaches 1e6, which
 * float16 cannot hold, though no constant is out of its range. */
static ol_model *two_scales(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(4, 4), (const char *const[]){"N", NULL});
    ol_value *a = IRB_NODE(g, "Mul", "mul1", "a", x, pt_floats(g, "k1", IRB_DIMS(1), (const float[]){1000}))
                      ->outputs[0];
    irb_output(g, IRB_NODE(g, "Mul", "mul2", "y", a, pt_floats(g, "k2", IRB_DIMS(1), (const float[]){1000}))
                      ->outputs[0]);
    return model;
}

/* 8 samples of x[4], uniform in [-scale, scale), the first element of the first one exactly
 * `scale` (the largest input the samples hold). */
static qt_data samples_up_to(float scale)
{
    float x[32];
    qt_uniform(x, 32, 7, -scale, scale);
    x[0] = scale;
    return qt_data_write(2, (int64_t[]){8, 4}, x, NULL);
}

static ol_dtype node_output(const ol_model *m, const char *node)
{
    return irb_find_node(m->graph, node)->outputs[0]->type.elem;
}

/* Without data both Muls run in float16 and 1000 * 1000 becomes infinity; with samples that take
 * mul2 to 1e6, mul2 stays float32 (k2 with it) and the model computes 1e6. */
Test(float16, activations_beyond_range_on_data_stay_float32)
{
    ol_model *plain = two_scales();
    cr_assert(pt_run(pass, plain, NULL));
    cr_assert_eq(node_output(plain, "mul1"), OL_FLOAT16);
    cr_assert_eq(node_output(plain, "mul2"), OL_FLOAT16);

    qt_data data = samples_up_to(1);
    ol_model *m = two_scales();
    ol_pipeline_report report;
    qt_quantize(m, "float16", &data, &report);
    cr_assert_eq(node_output(m, "mul1"), OL_FLOAT16, "1000 is within float16's range and its headroom");
    cr_assert_eq(node_output(m, "mul2"), OL_FLOAT, "1e6 is not");
    cr_assert_eq(elem(m, "k2"), OL_FLOAT, "the constant only mul2 reads stays with it");
    cr_assert_eq(elem(m, "k1"), OL_FLOAT16);
    cr_assert(qt_note(&report, "1 nodes kept in float32: their outputs went beyond 65504 / activation-headroom 2"),
              "no note on the kept node");
    cr_assert(qt_note(&report, "'mul2' (Mul, 1e+06)"), "the note names the node and what it reached");
    cr_assert(qt_note(&report, "activations checked on 8 samples of --data: largest output of a float16 node 1e+03"));
    cr_assert_null(qt_note(&report, "not range-checked"));
    ol_pipeline_report_clear(&report);

    float x[4] = {1, -1, 0.5f, 0.25f};
    int64_t dims[] = {1, 4};
    ol_ktensor overflowed = run_one(plain, x, 2, dims), kept = run_one(m, x, 2, dims);
    cr_assert(isinf(value_at(&overflowed, 0)), "plain float16 gives %g for 1e6", value_at(&overflowed, 0));
    for (int i = 0; i < 4; i++)
        cr_assert(fabs(value_at(&kept, i) - x[i] * 1e6) <= 1e-3 * 1e6, "y[%d] = %g, not %g", i,
                  value_at(&kept, i), x[i] * 1e6);
    free(overflowed.data);
    free(kept.data);

    /* A second run checks again and keeps the same node: nothing changes. */
    size_t casts = ops(m, "Cast");
    qt_quantize(m, "float16", &data, &report);
    cr_assert_eq(node_output(m, "mul2"), OL_FLOAT);
    cr_assert_eq(ops(m, "Cast"), casts);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(plain);
    ol_model_destroy(m);
}

/* Samples taking y to 50000: within float16's range but not within its default headroom (65504 / 2);
 * activation-headroom=1 lets it convert, below 1 is refused. */
Test(float16, activation_headroom_sets_the_limit)
{
    qt_data data = samples_up_to(0.05f);
    ol_model *m = two_scales();
    ol_pipeline_report report;
    qt_quantize(m, "float16", &data, &report);
    cr_assert_eq(node_output(m, "mul2"), OL_FLOAT);
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);

    m = two_scales();
    qt_quantize(m, "float16{activation-headroom=1}", &data, &report);
    cr_assert_eq(node_output(m, "mul2"), OL_FLOAT16);
    cr_assert(qt_note(&report, "largest output of a float16 node 5e+04 (limit 65504 / activation-headroom 1)"));
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);

    m = two_scales();
    ol_error err = {0};
    cr_assert_neq(qt_run(m, "float16{activation-headroom=0.5}", &data, 0, &report, &err), OL_OK);
    cr_assert(strstr(err.message, "activation-headroom must be a finite factor of at least 1"), "%s", err.message);
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
    qt_data_remove(&data);
}

/* Without --data nothing is observed, and the notes say so. */
Test(float16, without_data_activations_are_not_checked)
{
    ol_model *m = two_scales();
    ol_pipeline_report report;
    qt_quantize(m, "float16", NULL, &report);
    cr_assert_eq(node_output(m, "mul2"), OL_FLOAT16);
    cr_assert(qt_note(&report, "activations were not range-checked"), "no note that activations were not checked");
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
}
