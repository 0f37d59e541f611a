/* quantize-dynamic: int8 weights and DynamicQuantizeLinear + MatMulInteger for MatMul/Gemm, 8-bit
 * embedding tables for Gather, what stays float, and that the result is close to the float model. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"
#include "quant_testing.h"

static const ol_pass_def *pass = &ol_pass_quantize_dynamic;

/* Relative error allowed against the float model (of the output's largest magnitude): 8-bit weights
 * and activations on a few products of random [-1, 1) data stay well inside 3%. */
#define TOLERANCE 0.03

static size_t ops(const ol_model *m, const char *op)
{
    return ptest_count_ops(m->graph, op);
}

/* x[2, 3, 8] @ w1[8, 6] -> y1, and with `second` also x @ w2[8, 4] -> y2 (or x @ w1 again with
 * `tied`). */
static ol_model *matmuls(bool second, bool tied)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 3, 8), NULL);
    ol_value *w1 = pt_random_weight(g, "w1", -1, 1, IRB_DIMS(8, 6));
    irb_output(g, IRB_NODE(g, "MatMul", "mm1", "y1", x, w1)->outputs[0]);
    if (second) {
        ol_value *w2 = tied ? w1 : pt_random_weight(g, "w2", -1, 1, IRB_DIMS(8, 4));
        irb_output(g, IRB_NODE(g, "MatMul", "mm2", "y2", x, w2)->outputs[0]);
    }
    return model;
}

static ol_model *quantized(ol_model *model, const char *options, bool expect_change)
{
    ol_model *before = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, options), expect_change);
    pt_assert_close_outputs(before, model, TOLERANCE);
    ol_model_destroy(before);
    return model;
}

Test(quantize_dynamic, matmul_becomes_matmul_integer)
{
    ol_model *m = quantized(matmuls(false, false), NULL, true);
    cr_assert_eq(ops(m, "MatMul"), 0);
    cr_assert_eq(ops(m, "DynamicQuantizeLinear"), 1);
    cr_assert_eq(ops(m, "MatMulInteger"), 1);
    cr_assert_eq(ops(m, "Cast"), 1);
    cr_assert_eq(ops(m, "Mul"), 2);
    ol_node *mm = NULL;
    for (size_t i = 0; i < m->graph->n_nodes; i++)
        if (strcmp(m->graph->nodes[i]->op_type, "MatMulInteger") == 0)
            mm = m->graph->nodes[i];
    cr_assert_str_eq(mm->name, "mm1");
    const ol_tensor *w = ol_value_constant(mm->inputs[1]);
    cr_assert(w && w->dtype == OL_INT8 && w->rank == 2 && w->dims[0] == 8 && w->dims[1] == 6);
    cr_assert_eq(mm->n_inputs, 3, "int8 weights have zero point 0: no b_zero_point");
    cr_assert_null(ol_graph_find_value(m->graph, "w1"), "the float weight is gone");
    cr_assert_str_eq(pt_producer(pt_output(m->graph, "y1"))->op_type, "Mul");
    ol_model_destroy(m);
}

/* Symmetric int8: the largest weight maps to +-127 and zero to zero. */
Test(quantize_dynamic, int8_weights_are_symmetric)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *w = pt_floats(g, "w", IRB_DIMS(2, 2), (const float[]){0.5f, -1.0f, 0.0f, 0.25f});
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(3, 2), NULL);
    irb_output(g, IRB_NODE(g, "MatMul", "mm", "y", x, w)->outputs[0]);
    ol_model *m = quantized(model, NULL, true);
    const ol_tensor *q = ol_value_constant(ol_graph_find_value(m->graph, "w_quantized"));
    const ol_tensor *s = ol_value_constant(ol_graph_find_value(m->graph, "w_scale"));
    cr_assert(q && s);
    const int8_t *qd = q->data;
    cr_assert_eq(qd[0], 64);
    cr_assert_eq(qd[1], -127);
    cr_assert_eq(qd[2], 0);
    cr_assert_eq(qd[3], 32);
    cr_assert_float_eq(*(const float *)s->data, 1.0f / 127, 1e-9);
    ol_model_destroy(m);
}

/* The query, key and value projections read one activation: it is quantized once. */
Test(quantize_dynamic, shared_activation_is_quantized_once)
{
    ol_model *m = quantized(matmuls(true, false), NULL, true);
    cr_assert_eq(ops(m, "MatMulInteger"), 2);
    cr_assert_eq(ops(m, "DynamicQuantizeLinear"), 1);
    ol_model_destroy(m);
}

Test(quantize_dynamic, tied_weights_are_stored_once)
{
    ol_model *m = quantized(matmuls(true, true), NULL, true);
    cr_assert_eq(ops(m, "MatMulInteger"), 2);
    cr_assert_eq(m->graph->n_initializers, 2, "one int8 weight and its scale");
    ol_model_destroy(m);
}

Test(quantize_dynamic, per_channel_scales_per_column)
{
    ol_model *m = quantized(matmuls(false, false), "per-channel=true", true);
    const ol_tensor *s = ol_value_constant(ol_graph_find_value(m->graph, "w1_scale"));
    cr_assert(s && s->rank == 1 && s->dims[0] == 6);
    ol_model_destroy(m);
}

Test(quantize_dynamic, uint8_weights_carry_a_zero_point)
{
    ol_model *m = quantized(matmuls(false, false), "weight-type=uint8", true);
    const ol_tensor *q = ol_value_constant(ol_graph_find_value(m->graph, "w1_quantized"));
    cr_assert(q && q->dtype == OL_UINT8);
    cr_assert(ol_graph_find_value(m->graph, "w1_zero_point"));
    ol_model_destroy(m);
}

/* Gemm(A, B^T, C) with beta: B is stored transposed as MatMulInteger reads it, C scaled by beta. */
static ol_model *gemm(float alpha, float beta)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(3, 8), NULL);
    ol_node *n = IRB_NODE(g, "Gemm", "fc", "y", x, pt_random_weight(g, "w", -1, 1, IRB_DIMS(5, 8)),
                          pt_random_weight(g, "c", -1, 1, IRB_DIMS(5)));
    cr_assert_eq(ol_node_set_attr_int(n, "transB", 1, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(n, "alpha", alpha, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(n, "beta", beta, &irb_err), OL_OK);
    irb_output(g, n->outputs[0]);
    return model;
}

Test(quantize_dynamic, gemm_with_transposed_weights_and_beta)
{
    ol_model *m = quantized(gemm(1.0f, 0.5f), "per-channel=true", true);
    cr_assert_eq(ops(m, "Gemm"), 0);
    cr_assert_eq(ops(m, "MatMulInteger"), 1);
    ol_node *add = pt_producer(pt_output(m->graph, "y"));
    cr_assert_str_eq(add->op_type, "Add");
    cr_assert_str_eq(add->name, "fc_Add");
    const ol_tensor *q = ol_value_constant(ol_graph_find_value(m->graph, "w_quantized"));
    cr_assert(q->dims[0] == 8 && q->dims[1] == 5, "stored as [K, N]");
    ol_model_destroy(m);
}

/* What stays float: Gemm with alpha, MatMul of two activations, excluded nodes and op types. */
Test(quantize_dynamic, what_stays_float)
{
    ol_model *m = quantized(gemm(2.0f, 1.0f), NULL, false);
    cr_assert_eq(ops(m, "Gemm"), 1);
    ol_model_destroy(m);

    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = pt_input(g, "a", OL_FLOAT, IRB_DIMS(2, 3), NULL);
    ol_value *b = pt_input(g, "b", OL_FLOAT, IRB_DIMS(3, 2), NULL);
    irb_output(g, IRB_NODE(g, "MatMul", "mm", "y", a, b)->outputs[0]);
    m = quantized(model, NULL, false);
    ol_model_destroy(m);

    m = quantized(matmuls(true, false), "exclude-nodes=mm2", true);
    cr_assert_eq(ops(m, "MatMul"), 1);
    cr_assert_eq(ops(m, "MatMulInteger"), 1);
    ol_model_destroy(m);
    m = quantized(matmuls(true, false), "exclude-ops=MatMul", false);
    cr_assert_eq(ops(m, "MatMul"), 2);
    ol_model_destroy(m);
}

Test(quantize_dynamic, unknown_excluded_node_is_an_error)
{
    ol_model *m = matmuls(false, false);
    ol_pipeline_report report = {0};
    ol_error err = {0};
    cr_assert_neq(ptest_try_run(m, "quantize-dynamic{exclude-nodes=mm9}", &report, &err), OL_OK);
    cr_assert(strstr(err.message, "no node named 'mm9'"), "%s", err.message);
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
}

Test(quantize_dynamic, old_opsets_are_refused)
{
    ol_model *m = matmuls(false, false);
    cr_assert_eq(ol_model_set_opset(m, "", 10), 0);
    ol_pipeline_report report = {0};
    ol_error err = {0};
    cr_assert_neq(ptest_try_run(m, "quantize-dynamic", &report, &err), OL_OK);
    cr_assert(strstr(err.message, "opset 10"), "%s", err.message);
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
}

/* ids -> Gather(table [10, 4]) -> + x -> y */
static ol_model *embedding(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *ids = PT_INTS(g, "ids", 0, 3, 3, 9);
    ol_value *table = pt_random_weight(g, "table", -1, 1, IRB_DIMS(10, 4));
    ol_value *rows = IRB_NODE(g, "Gather", "embed", "rows", table, ids)->outputs[0];
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(4, 4), NULL);
    irb_output(g, IRB_NODE(g, "Add", "add", "y", rows, x)->outputs[0]);
    return model;
}

/* An embedding table read by Gather: stored in int8, the gathered rows dequantized. */
Test(quantize_dynamic, embedding_table_in_int8)
{
    ol_model *m = quantized(embedding(), "per-channel=true", true);
    ol_node *dq = pt_producer(pt_producer(pt_output(m->graph, "y"))->inputs[0]);
    cr_assert_str_eq(dq->op_type, "DequantizeLinear");
    cr_assert_eq(ol_node_attr_int(dq, "axis", 1), -1);
    cr_assert_eq(ol_value_constant(pt_producer(dq->inputs[0])->inputs[0])->dtype, OL_INT8);
    cr_assert_null(ol_graph_find_value(m->graph, "table"));
    ol_model_destroy(m);
    m = quantized(embedding(), "embeddings=false", false);
    cr_assert_eq(ops(m, "DequantizeLinear"), 0);
    ol_model_destroy(m);
}

Test(quantize_dynamic, notes_count_weights_and_bytes)
{
    ol_model *m = matmuls(true, false);
    ol_pipeline_report report;
    qt_quantize(m, "quantize-dynamic", NULL, &report);
    /* w1 [8, 6] and w2 [8, 4]: 80 floats, 320 bytes, to 80 int8 bytes. */
    cr_assert(qt_note(&report, "2 MatMul, 0 Gemm and 0 Gather weights in int8 (per tensor): 320 -> 80 bytes"),
              "note missing or wrong");
    ol_pipeline_report_clear(&report);
    ol_model_destroy(m);
}
