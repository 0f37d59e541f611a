/* fold-scale-into-conv: per-channel Mul/Add/Sub/Div after and Mul/Div before Conv, ConvTranspose
 * and Gemm; constants that do not act per channel, adds before a padded Conv, shared outputs. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_fold_scale_into_conv;

static ol_node *conv(ol_graph *g, ol_value *x, int64_t out_c, int64_t in_c, int64_t group, bool padded)
{
    ol_node *c = IRB_NODE(g, "Conv", "conv", "c", x,
                          pt_random_weight(g, "w", -1, 1, IRB_DIMS(out_c, in_c / group, 3, 3)),
                          pt_random_weight(g, "b", -1, 1, IRB_DIMS(out_c)));
    cr_assert_eq(ol_node_set_attr_int(c, "group", group, &irb_err), OL_OK);
    if (padded)
        cr_assert_eq(ol_node_set_attr_ints(c, "pads", (int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    return c;
}

/* Runs the pass, expects `nodes` live nodes after it and the same outputs. */
static void check(ol_model *model, bool changes, size_t nodes)
{
    ol_model *before = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, NULL), changes);
    cr_assert_eq(ol_graph_live_node_count(model->graph), nodes, "%zu nodes left, expected %zu",
                 ol_graph_live_node_count(model->graph), nodes);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
}

Test(fold_scale_into_conv, mul_then_add_after_conv)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 5, 5));
    ol_node *c = conv(g, x, 4, 3, 1, true);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "m", pt_random_weight(g, "s", 0.5f, 2, IRB_DIMS(4, 1, 1)),
                            c->outputs[0]);
    ol_node *add = IRB_NODE(g, "Add", "add", "a", mul->outputs[0],
                            pt_random_weight(g, "t", -1, 1, IRB_DIMS(1, 4, 1, 1)));
    irb_output(g, IRB_NODE(g, "Relu", "relu", "y", add->outputs[0])->outputs[0]);
    check(model, true, 2);
    cr_assert_eq(g->n_initializers, 2);
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, div_and_reversed_sub_after_conv)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 4, 4, 4));
    ol_node *c = conv(g, x, 4, 4, 2, false);
    ol_node *div = IRB_NODE(g, "Div", "div", "d", c->outputs[0], pt_floats(g, "k", 0, NULL, (float[]){4.0f}));
    /* t - y = -1 * y + t */
    ol_node *sub = IRB_NODE(g, "Sub", "sub", "y", pt_random_weight(g, "t", -1, 1, IRB_DIMS(4, 1, 1)),
                            div->outputs[0]);
    irb_output(g, sub->outputs[0]);
    check(model, true, 1);
    cr_assert_str_eq(pt_producer(pt_output(g, "y"))->op_type, "Conv");
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, input_scaling_before_grouped_padded_conv)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 4, 5, 5));
    /* (x / std) with a std per input channel, the usual input normalization */
    ol_value *std = pt_random_weight(g, "std", 0.5f, 2, IRB_DIMS(1, 4, 1, 1));
    ol_node *div = IRB_NODE(g, "Div", "div", "xn", x, std);
    ol_node *c = conv(g, div->outputs[0], 6, 4, 2, true);
    irb_output(g, c->outputs[0]);
    check(model, true, 1);
    cr_assert_eq(c->inputs[0], x);
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, add_before_padded_conv_stays)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 5, 5));
    ol_node *add = IRB_NODE(g, "Add", "add", "xs", x, pt_random_weight(g, "mean", -1, 1, IRB_DIMS(3, 1, 1)));
    irb_output(g, conv(g, add->outputs[0], 2, 3, 1, true)->outputs[0]);
    check(model, false, 2);
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, constants_that_are_not_per_channel_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 5, 5));
    ol_node *c = conv(g, x, 2, 3, 1, true);
    /* varies along the width */
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "m", c->outputs[0], pt_random_weight(g, "s", -1, 1,
                            IRB_DIMS(1, 5)));
    /* grows the output to [2, 2, 5, 5] */
    ol_node *add = IRB_NODE(g, "Add", "add", "y", mul->outputs[0],
                            pt_random_weight(g, "t", -1, 1, IRB_DIMS(2, 1, 1, 1)));
    irb_output(g, add->outputs[0]);
    check(model, false, 3);
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, shared_conv_output_stays)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 5, 5));
    ol_node *c = conv(g, x, 2, 3, 1, true);
    irb_output(g, IRB_NODE(g, "Mul", "mul", "y", c->outputs[0], pt_floats(g, "k", 0, NULL,
               (float[]){3}))->outputs[0]);
    irb_output(g, c->outputs[0]);
    check(model, false, 2);
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, conv_transpose_output_channels)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 4, 3, 3));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 3, 2, 2));
    ol_node *d = IRB_NODE(g, "ConvTranspose", "deconv", "d", x, w);
    cr_assert_eq(ol_node_set_attr_int(d, "group", 2, &irb_err), OL_OK);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "m", d->outputs[0], pt_random_weight(g, "s", 0.5f, 2,
                            IRB_DIMS(6, 1, 1)));
    ol_node *add = IRB_NODE(g, "Add", "add", "y", mul->outputs[0], pt_random_weight(g, "t", -1, 1,
                            IRB_DIMS(6, 1, 1)));
    irb_output(g, add->outputs[0]);
    check(model, true, 1);
    cr_assert_eq(d->n_inputs, 3, "no bias was added for the Add");
    ol_model_destroy(model);
}

Test(fold_scale_into_conv, gemm_columns_and_inputs)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(5, 3));   /* transA: A is [K, M] */
    ol_node *pre = IRB_NODE(g, "Mul", "pre", "xs", pt_random_weight(g, "k", 0.5f, 2, IRB_DIMS(5, 1)), x);
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(5, 4));
    ol_node *gemm = IRB_NODE(g, "Gemm", "gemm", "f", pre->outputs[0], w);
    cr_assert_eq(ol_node_set_attr_int(gemm, "transA", 1, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(gemm, "beta", 3.0f, &irb_err), OL_OK);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "m", gemm->outputs[0], pt_random_weight(g, "s", -2, 2,
                            IRB_DIMS(4)));
    ol_node *sub = IRB_NODE(g, "Sub", "sub", "y", mul->outputs[0], pt_random_weight(g, "t", -1, 1,
                            IRB_DIMS(1, 4)));
    irb_output(g, sub->outputs[0]);
    check(model, true, 1);
    cr_assert_eq(gemm->inputs[0], x);
    cr_assert_float_eq(ol_node_attr_float(gemm, "beta", 0), 1.0f, 0, "the added C is not scaled");
    ol_model_destroy(model);
}
