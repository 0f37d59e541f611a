/* Model statistics and per-node MACs on hand-built graphs whose shapes are set directly, so the
 * figures do not depend on shape inference. Expected values are worked out by hand in comments. */
#include <criterion/criterion.h>
#include <string.h>

#include "analysis/model_stats.h"
#include "analysis/node_macs.h"
#include "ir_builders.h"
#include "onnxlite/ir.h"

#define DIMS IRB_DIMS
#define INPUTS(...)                                                                                \
    sizeof((ol_value *[]){__VA_ARGS__}) / sizeof(ol_value *), (ol_value *[])                       \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define UNKNOWN_SHAPE -1, NULL

/* A node of the default domain with one output of the given float shape (rank -1: unknown, as if
 * shape inference had not run). */
static ol_node *node(ol_graph *graph, const char *op_type, const char *name, size_t n_inputs,
                     ol_value *const *inputs, int out_rank, const int64_t *out_dims)
{
    ol_node *n = irb_node(graph, op_type, name, NULL, n_inputs, inputs);
    if (out_rank >= 0)
        cr_assert_eq(ol_type_set_tensor(&n->outputs[0]->type, OL_FLOAT, out_rank, out_dims), 0);
    return n;
}

static ol_value *out(const ol_node *n)
{
    return n->outputs[0];
}

static void set_int(ol_node *n, const char *name, int64_t value)
{
    cr_assert_eq(ol_node_set_attr_int(n, name, value, &irb_err), OL_OK, "%s", irb_err.message);
}

static void set_ints(ol_node *n, const char *name, int count, const int64_t *values)
{
    cr_assert_eq(ol_node_set_attr_ints(n, name, values, (size_t)count, &irb_err), OL_OK, "%s",
                 irb_err.message);
}

static void expect_macs(const ol_node *n, ol_mac_class mac_class, uint64_t macs)
{
    ol_node_macs got = ol_node_mac_count(n);
    cr_expect_eq(got.mac_class, mac_class, "%s: class %d, expected %d", n->op_type, got.mac_class,
                 mac_class);
    cr_expect(got.known, "%s: MACs unknown", n->op_type);
    cr_expect_eq(got.macs, macs, "%s: %llu MACs, expected %llu", n->op_type,
                 (unsigned long long)got.macs, (unsigned long long)macs);
}

/* ---------------------------------------------------------------------------------------------- */
/* Per-node MACs */

Test(node_macs, conv_with_groups_and_strides)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 32, 56, 56));
    ol_value *w =
        irb_weight(g, "w", OL_FLOAT, DIMS(64, 8, 3, 3)); /* group 4: 32 / 4 = 8 in per group */
    ol_value *b = irb_weight(g, "b", OL_FLOAT, DIMS(64));
    ol_node *conv = node(g, "Conv", "conv", INPUTS(x, w, b), DIMS(1, 64, 28, 28));
    set_int(conv, "group", 4);
    set_ints(conv, "strides", DIMS(2, 2));
    set_ints(conv, "pads", DIMS(1, 1, 1, 1));
    /* 64*28*28 outputs, each 8 channels x 3x3 taps; the bias add is not a MAC. */
    expect_macs(conv, OL_MACS_LINEAR, 64ull * 28 * 28 * 8 * 9);
    ol_model_destroy(model);
}

Test(node_macs, depthwise_conv)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(2, 32, 112, 112));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, DIMS(32, 1, 3, 3));
    ol_node *conv = node(g, "Conv", "dw", INPUTS(x, w), DIMS(2, 32, 112, 112));
    set_int(conv, "group", 32);
    expect_macs(conv, OL_MACS_LINEAR, 2ull * 32 * 112 * 112 * 9);
    ol_model_destroy(model);
}

Test(node_macs, conv_transpose_counts_per_input_element)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 16, 8, 8));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, DIMS(16, 4, 2, 2)); /* group 2: M = 8 outputs */
    ol_node *deconv = node(g, "ConvTranspose", "up", INPUTS(x, w), DIMS(1, 8, 16, 16));
    set_int(deconv, "group", 2);
    set_ints(deconv, "strides", DIMS(2, 2));
    /* every one of the 16*8*8 inputs meets 4 output channels x 2x2 taps */
    expect_macs(deconv, OL_MACS_LINEAR, 16ull * 8 * 8 * 4 * 4);
    ol_model_destroy(model);
}

Test(node_macs, gemm_with_trans_b)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = irb_input(g, "a", DIMS(2, 512));
    ol_value *b = irb_weight(g, "fc.w", OL_FLOAT, DIMS(1000, 512));
    ol_value *c = irb_weight(g, "fc.b", OL_FLOAT, DIMS(1000));
    ol_node *gemm = node(g, "Gemm", "fc", INPUTS(a, b, c), DIMS(2, 1000));
    set_int(gemm, "transB", 1);
    expect_macs(gemm, OL_MACS_LINEAR, 2ull * 1000 * 512);
    ol_model_destroy(model);
}

Test(node_macs, gemm_with_trans_a_and_k_from_b_when_a_is_unknown)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = irb_input(g, "a", DIMS(300, 2)); /* transA: K = 300 */
    ol_value *b = irb_weight(g, "b", OL_FLOAT, DIMS(300, 7));
    ol_node *gemm = node(g, "Gemm", "g1", INPUTS(a, b), DIMS(2, 7));
    set_int(gemm, "transA", 1);
    expect_macs(gemm, OL_MACS_LINEAR, 2ull * 7 * 300);

    ol_value *unknown = irb_input(g, "u", UNKNOWN_SHAPE);
    ol_value *bt = irb_weight(g, "bt", OL_FLOAT, DIMS(7, 300)); /* transB: K = 300 from B */
    ol_node *gemm2 = node(g, "Gemm", "g2", INPUTS(unknown, bt), DIMS(2, 7));
    set_int(gemm2, "transB", 1);
    expect_macs(gemm2, OL_MACS_LINEAR, 2ull * 7 * 300);
    ol_model_destroy(model);
}

Test(node_macs, batched_matmul_with_broadcast)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *a = irb_input(g, "a", DIMS(8, 4, 16, 32));
    ol_value *b = irb_weight(g, "b", OL_FLOAT, DIMS(32, 64)); /* broadcast over the 8x4 batch */
    ol_node *mm = node(g, "MatMul", "mm", INPUTS(a, b), DIMS(8, 4, 16, 64));
    expect_macs(mm, OL_MACS_LINEAR, 8ull * 4 * 16 * 64 * 32);

    ol_value *v = irb_input(g, "v", DIMS(32)); /* 1-D left operand: a vector */
    ol_node *mv = node(g, "MatMul", "mv", INPUTS(v, b), DIMS(64));
    expect_macs(mv, OL_MACS_LINEAR, 64ull * 32);
    ol_model_destroy(model);
}

Test(node_macs, quantized_and_integer_forms)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 3, 10, 10));
    ol_value *scale = irb_weight(g, "s", OL_FLOAT, 0, NULL);
    ol_value *zero = irb_weight(g, "z", OL_UINT8, 0, NULL);
    ol_value *w = irb_weight(g, "w", OL_INT8, DIMS(6, 3, 3, 3));
    ol_node *qconv = node(g, "QLinearConv", "qconv",
                          INPUTS(x, scale, zero, w, scale, zero, scale, zero), DIMS(1, 6, 8, 8));
    expect_macs(qconv, OL_MACS_LINEAR, 6ull * 8 * 8 * 27);

    ol_value *a = irb_input(g, "a", DIMS(5, 12));
    ol_value *b = irb_weight(g, "b", OL_INT8, DIMS(12, 3));
    ol_node *mmi = node(g, "MatMulInteger", "mmi", INPUTS(a, b), DIMS(5, 3));
    expect_macs(mmi, OL_MACS_LINEAR, 5ull * 3 * 12);
    ol_node *qmm = node(g, "QLinearMatMul", "qmm",
                        INPUTS(a, scale, zero, b, scale, zero, scale, zero), DIMS(5, 3));
    expect_macs(qmm, OL_MACS_LINEAR, 5ull * 3 * 12);
    ol_model_destroy(model);
}

Test(node_macs, other_ops_use_their_documented_per_element_figures)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 8, 10, 10));
    ol_node *relu = node(g, "Relu", "relu", INPUTS(x), DIMS(1, 8, 10, 10));
    expect_macs(relu, OL_MACS_OTHER, 800);
    ol_node *pool = node(g, "MaxPool", "pool", INPUTS(out(relu)), DIMS(1, 8, 5, 5));
    set_ints(pool, "kernel_shape", DIMS(3, 3));
    expect_macs(pool, OL_MACS_OTHER, 200 * 9);
    ol_node *gap = node(g, "GlobalAveragePool", "gap", INPUTS(out(pool)), DIMS(1, 8, 1, 1));
    expect_macs(gap, OL_MACS_OTHER, 200);
    ol_value *p = irb_weight(g, "p", OL_FLOAT, DIMS(8));
    ol_node *bn = node(g, "BatchNormalization", "bn", INPUTS(x, p, p, p, p), DIMS(1, 8, 10, 10));
    expect_macs(bn, OL_MACS_OTHER, 800);
    ol_node *ln = node(g, "LayerNormalization", "ln", INPUTS(x, p), DIMS(1, 8, 10, 10));
    expect_macs(ln, OL_MACS_OTHER, 1600);
    ol_node *sum = node(g, "Sum", "sum3", INPUTS(x, x, x), DIMS(1, 8, 10, 10));
    expect_macs(sum, OL_MACS_OTHER, 1600);
    ol_node *reshape = node(g, "Reshape", "reshape", INPUTS(x), DIMS(800));
    expect_macs(reshape, OL_MACS_NONE, 0);
    ol_model_destroy(model);
}

Test(node_macs, missing_shapes_make_the_count_unknown)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 3, 8, 8));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, DIMS(4, 3, 3, 3));
    ol_node *conv = node(g, "Conv", "conv", INPUTS(x, w), UNKNOWN_SHAPE);
    ol_node_macs got = ol_node_mac_count(conv);
    cr_expect_eq(got.mac_class, OL_MACS_LINEAR);
    cr_expect_not(got.known);
    cr_expect_eq(got.macs, 0);
    ol_model_destroy(model);
}

Test(node_macs, ops_of_other_domains_have_no_cost_model)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(4, 4));
    ol_node *n = ol_graph_add_node(g, "MatMul", "com.example", "custom", &irb_err);
    cr_assert(n);
    cr_assert_eq(ol_node_add_input(n, x, &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_input(n, x, &irb_err), OL_OK);
    ol_value *y = ol_node_new_output(n, NULL, &irb_err);
    cr_assert_eq(ol_type_set_tensor(&y->type, OL_FLOAT, 2, (const int64_t[]){4, 4}), 0);
    expect_macs(n, OL_MACS_NONE, 0);
    ol_model_destroy(model);
}

/* ---------------------------------------------------------------------------------------------- */
/* Whole-model statistics */

/* x -> Conv -> Relu -> Relu -> Add(.., Constant) -> Gemm, with one Conv left without shapes. */
static ol_model *small_network(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 3, 8, 8));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, DIMS(4, 3, 3, 3)); /* 108 floats */
    ol_value *b = irb_weight(g, "b", OL_FLOAT, DIMS(4));          /* 4 floats */
    ol_node *conv = node(g, "Conv", "conv", INPUTS(x, w, b), DIMS(1, 4, 6, 6));
    ol_node *relu1 = node(g, "Relu", "relu1", INPUTS(out(conv)), DIMS(1, 4, 6, 6));
    ol_node *relu2 = node(g, "Relu", "relu2", INPUTS(out(relu1)), DIMS(1, 4, 6, 6));
    ol_node *konst = node(g, "Constant", "k", 0, NULL, DIMS(3));
    cr_assert_eq(
        ol_node_set_attr_ints(konst, "value_ints", (const int64_t[]){1, 2, 3}, 3, &irb_err), OL_OK);
    ol_node *add = node(g, "Add", "add", INPUTS(out(relu2), out(relu2)), DIMS(1, 4, 6, 6));
    ol_value *fw = irb_weight(g, "fc.w", OL_INT8, DIMS(10, 144)); /* 1440 int8 */
    ol_value *flat = irb_input(g, "flat", DIMS(1, 144));
    ol_node *fc = node(g, "Gemm", "fc", INPUTS(flat, fw), DIMS(1, 10));
    set_int(fc, "transB", 1);
    node(g, "Conv", "conv_unknown", INPUTS(out(add), w), UNKNOWN_SHAPE);
    return model;
}

Test(model_stats, counts_parameters_and_weight_bytes_by_dtype)
{
    ol_model *model = small_network();
    ol_model_stats stats;
    cr_assert_eq(ol_model_stats_compute(model, &stats, &irb_err), OL_OK, "%s", irb_err.message);
    cr_expect_eq(stats.parameter_count, 108 + 4 + 1440 + 3);
    cr_expect_eq(stats.weights_by_dtype[OL_FLOAT].elements, 112);
    cr_expect_eq(stats.weights_by_dtype[OL_FLOAT].bytes, 112 * 4);
    cr_expect_eq(stats.weights_by_dtype[OL_INT8].elements, 1440);
    cr_expect_eq(stats.weights_by_dtype[OL_INT8].bytes, 1440);
    cr_expect_eq(stats.weights_by_dtype[OL_INT64].elements, 3); /* the Constant's value_ints */
    cr_expect_eq(stats.weights_by_dtype[OL_INT64].bytes, 24);
    cr_expect_eq(stats.weight_bytes, 448 + 1440 + 24);
    ol_model_stats_free(&stats);
    ol_model_destroy(model);
}

Test(model_stats, histogram_is_sorted_by_count_then_name)
{
    ol_model *model = small_network();
    ol_model_stats stats;
    cr_assert_eq(ol_model_stats_compute(model, &stats, &irb_err), OL_OK, "%s", irb_err.message);
    cr_expect_eq(stats.node_count, 7);
    cr_assert_eq(stats.n_ops, 5);
    const char *expected[] = {"Conv", "Relu", "Add", "Constant", "Gemm"};
    const size_t counts[] = {2, 2, 1, 1, 1};
    for (size_t i = 0; i < 5; i++) {
        cr_expect_str_eq(stats.ops[i].op_type, expected[i]);
        cr_expect_eq(stats.ops[i].count, counts[i], "%s", expected[i]);
        cr_expect_str_eq(stats.ops[i].domain, "");
    }
    ol_model_stats_free(&stats);
    ol_model_destroy(model);
}

Test(model_stats, separates_linear_other_and_unknown_macs)
{
    ol_model *model = small_network();
    ol_model_stats stats;
    cr_assert_eq(ol_model_stats_compute(model, &stats, &irb_err), OL_OK, "%s", irb_err.message);
    /* conv 4*6*6*27 = 3888, fc 10*144 = 1440; relu 144 each, add 144 */
    cr_expect_eq(stats.linear_macs, 3888 + 1440);
    cr_expect_eq(stats.other_macs, 3 * 144);
    cr_expect_eq(stats.total_macs, 3888 + 1440 + 3 * 144);
    cr_expect_eq(stats.unknown_mac_nodes, 1);
    cr_expect_eq(stats.n_costs, 6); /* all but the Constant */
    ol_model_stats_free(&stats);
    ol_model_destroy(model);
}

Test(model_stats, heaviest_lists_most_macs_first_and_keeps_graph_order_on_ties)
{
    ol_model *model = small_network();
    ol_model_stats stats;
    cr_assert_eq(ol_model_stats_compute(model, &stats, &irb_err), OL_OK, "%s", irb_err.message);
    const ol_node_cost *top[4];
    size_t n = ol_model_stats_heaviest(&stats, top, 4);
    cr_assert_eq(n, 4);
    const char *expected[] = {"conv", "fc", "relu1", "relu2"};
    for (size_t i = 0; i < n; i++)
        cr_expect_str_eq(top[i]->node->name, expected[i]);

    const ol_node_cost *all[10];
    cr_expect_eq(ol_model_stats_heaviest(&stats, all, 10), 5, "the unknown Conv is left out");
    ol_model_stats_free(&stats);
    ol_model_destroy(model);
}

Test(model_stats, subgraph_nodes_and_initializers_count)
{
    ol_model *model = small_network();
    ol_graph *g = model->graph;
    ol_value *cond = irb_input(g, "cond", DIMS(1));
    ol_node *if_node = node(g, "If", "branch", INPUTS(cond), UNKNOWN_SHAPE);

    ol_graph *body = ol_graph_create(model, g, "then", &irb_err);
    cr_assert(body, "%s", irb_err.message);
    body->owner = if_node;
    ol_value *a = irb_weight(body, "then.a", OL_FLOAT, DIMS(2, 3));
    ol_value *b = irb_weight(body, "then.b", OL_FLOAT, DIMS(3, 5));
    ol_node *mm = node(body, "MatMul", "then.mm", INPUTS(a, b), DIMS(2, 5));
    cr_assert_eq(ol_graph_add_output(body, out(mm), &irb_err), OL_OK, "%s", irb_err.message);
    /* The IR has no setter for graph attributes (only the reader makes them): fill one in. */
    set_int(if_node, "then_branch", 0);
    ol_attr *attr = (ol_attr *)ol_node_attr(if_node, "then_branch");
    attr->type = OL_ATTR_GRAPH;
    attr->g = body;

    ol_model_stats stats;
    cr_assert_eq(ol_model_stats_compute(model, &stats, &irb_err), OL_OK, "%s", irb_err.message);
    cr_expect_eq(stats.node_count, 9);
    cr_expect_eq(stats.parameter_count, 108 + 4 + 1440 + 3 + 6 + 15);
    cr_expect_eq(stats.linear_macs, 3888 + 1440 + 2 * 5 * 3);
    ol_model_stats_free(&stats);
    ol_model_destroy(model);
}
