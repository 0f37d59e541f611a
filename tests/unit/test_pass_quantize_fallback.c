/* quantize{max-accuracy-drop=...}: the layers whose quantization costs the most accuracy stay in
 * float, as few as meet the budget, measured on labelled data. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "pass_testing.h"
#include "quant_testing.h"

#define SAMPLES 200
#define FEATURES 16
#define CLASSES 10

/* x[N,16] -> fc1 (Gemm) -> Relu -> fc2 (Gemm) -> y[N,10]. Input feature 15 is always 0 in the data
 * and fc1 weighs it by 100: the float model never sees that weight, but a single weight scale for
 * fc1 (per-channel=false) is then 100 / 127 and rounds every other fc1 weight (below 0.5) to 0 or
 * one step: quantizing fc1 ruins the model, quantizing fc2 does not. */
static ol_model *classifier(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, FEATURES), (const char *const[]){"N", NULL});
    float w1[FEATURES * FEATURES];
    qt_uniform(w1, FEATURES * FEATURES, 9, -0.5f, 0.5f);
    w1[15 * FEATURES + 3] = 100;   /* row 15: input feature 15 */
    ol_node *fc1 = IRB_NODE(g, "Gemm", "fc1", "h", x, pt_floats(g, "w1", 2, (int64_t[]){FEATURES, FEATURES}, w1),
                            pt_random_weight(g, "b1", -0.1f, 0.1f, IRB_DIMS(FEATURES)));
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "hr", fc1->outputs[0]);
    ol_node *fc2 = IRB_NODE(g, "Gemm", "fc2", "y", relu->outputs[0], pt_random_weight(g, "w2", -0.5f, 0.5f,
                            IRB_DIMS(FEATURES, CLASSES)), pt_random_weight(g, "b2", -0.1f, 0.1f, IRB_DIMS(CLASSES)));
    irb_output(g, fc2->outputs[0]);
    return model;
}

/* Samples with feature 15 at 0, labelled with the float model's own predictions (so that its
 * accuracy is 100%). */
static qt_data labelled(const ol_model *model, bool with_labels)
{
    float *x = malloc(SAMPLES * FEATURES * sizeof *x);
    qt_uniform(x, SAMPLES * FEATURES, 21, -1, 1);
    for (int s = 0; s < SAMPLES; s++)
        x[s * FEATURES + 15] = 0;
    ol_ktensor in = {.data = x}, out = {0};
    ol_ktensor_set_shape(&in, OL_FLOAT, 2, (int64_t[]){SAMPLES, FEATURES});
    ol_session *session = NULL;
    cr_assert_eq(ol_session_create(model, NULL, &session, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(ol_session_run(session, &in, &out, &irb_err), OL_OK, "%s", irb_err.message);
    ol_session_destroy(session);
    int64_t labels[SAMPLES];
    const float *y = out.data;
    for (int s = 0; s < SAMPLES; s++) {
        labels[s] = 0;
        for (int c = 1; c < CLASSES; c++)
            if (y[s * CLASSES + c] > y[s * CLASSES + labels[s]])
                labels[s] = c;
    }
    qt_data d = qt_data_write(2, (int64_t[]){SAMPLES, FEATURES}, x, with_labels ? labels : NULL);
    free(out.data);
    free(x);
    return d;
}

/* The node reads its float weight directly, not through a DequantizeLinear. */
static bool weight_is_float(const ol_model *model, const char *node)
{
    const ol_tensor *w = ol_value_constant(irb_find_node(model->graph, node)->inputs[1]);
    return w && w->dtype == OL_FLOAT;
}

Test(pass_quantize_fallback, most_sensitive_layer_stays_float)
{
    ol_model *model = classifier();
    qt_data data = labelled(model, true);
    ol_pipeline_report report;
    qt_quantize(model, "quantize{per-channel=false,max-accuracy-drop=2}", &data, &report);
    cr_assert(weight_is_float(model, "fc1"));
    cr_assert_not(weight_is_float(model, "fc2"), "fc2 is quantized: keeping fc1 alone meets the budget");
    const ol_pass_note *note = qt_note(&report, "max-accuracy-drop 2");
    cr_assert(note, "no fallback note");
    cr_assert(strstr(note->message, "float 100.00%"), "%s", note->message);
    cr_assert(strstr(note->message, "kept in float: fc1 ->"), "%s", note->message);
    cr_assert_eq(note->kind, OL_NOTE_INFO, "%s", note->message);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

/* Without the fallback the same quantization keeps nothing in float. */
Test(pass_quantize_fallback, off_by_default)
{
    ol_model *model = classifier();
    qt_data data = labelled(model, true);
    ol_pipeline_report report;
    qt_quantize(model, "quantize{per-channel=false}", &data, &report);
    cr_assert_not(weight_is_float(model, "fc1"));
    cr_assert_not(weight_is_float(model, "fc2"));
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

/* Per-channel scales isolate the outlier: the quantized model is within a generous budget. */
Test(pass_quantize_fallback, budget_met_keeps_everything_quantized)
{
    ol_model *model = classifier();
    qt_data data = labelled(model, true);
    ol_pipeline_report report;
    qt_quantize(model, "quantize{max-accuracy-drop=50}", &data, &report);
    cr_assert_not(weight_is_float(model, "fc1"));
    cr_assert_not(weight_is_float(model, "fc2"));
    cr_assert(qt_note(&report, "within the budget, every layer quantized"));
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}

Test(pass_quantize_fallback, needs_labels)
{
    ol_model *model = classifier();
    qt_data data = labelled(model, false);
    ol_pipeline_report report;
    ol_error err = {0};
    cr_assert_eq(qt_run(model, "quantize{max-accuracy-drop=1}", &data, 0, &report, &err), OL_ERR_ARG);
    cr_assert(strstr(err.message, "--labels"), "%s", err.message);
    ol_pipeline_report_clear(&report);
    qt_data_remove(&data);
    ol_model_destroy(model);
}
