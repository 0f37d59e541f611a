/* fuse-bn: BatchNormalization into Conv, ConvTranspose (grouped) and Gemm, computed in double and
 * rounded once; into the unpadded Conv or Gemm that follows; Mul/Add on request where there is
 * nothing to fold into; what stays. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/ktensor.h"
#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_fuse_bn;

/* BatchNormalization of `x` over `c` channels with random statistics (variance > 0). */
static ol_node *add_bn(ol_graph *g, ol_value *x, int64_t c, const char *out)
{
    char name[4][64];
    const char *what[4] = {"scale", "bias", "mean", "var"};
    for (int i = 0; i < 4; i++)
        snprintf(name[i], sizeof name[i], "%s_%s", out, what[i]);
    ol_value *scale = pt_random_weight(g, name[0], 0.5f, 2, IRB_DIMS(c));
    ol_value *bias = pt_random_weight(g, name[1], -1, 1, IRB_DIMS(c));
    ol_value *mean = pt_random_weight(g, name[2], -1, 1, IRB_DIMS(c));
    ol_value *var = pt_random_weight(g, name[3], 0.1f, 2, IRB_DIMS(c));
    ol_node *bn = IRB_NODE(g, "BatchNormalization", out, out, x, scale, bias, mean, var);
    cr_assert_eq(ol_node_set_attr_float(bn, "epsilon", 1e-3f, &irb_err), OL_OK);
    return bn;
}

static void check(ol_model *model, size_t nodes_after, const char *kept_op)
{
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(model->graph, "BatchNormalization"), 0);
    cr_assert_eq(ol_graph_live_node_count(model->graph), nodes_after);
    cr_assert_eq(ptest_count_ops(model->graph, kept_op), 1);
    cr_assert_eq(model->graph->n_initializers, 2);   /* the layer's weights and bias */
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
}

Test(fuse_bn, into_conv_with_bias)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 5, 5));
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "c", x, pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 3, 3, 3)),
                             pt_random_weight(g, "b", -1, 1, IRB_DIMS(4)));
    cr_assert_eq(ol_node_set_attr_ints(conv, "pads", (int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    ol_node *bn = add_bn(g, conv->outputs[0], 4, "y");
    irb_output(g, bn->outputs[0]);
    check(model, 1, "Conv");
    /* The Conv now produces the output, under its name. */
    cr_assert_str_eq(pt_producer(pt_output(g, "y"))->name, "conv");
    ol_model_destroy(model);
}

Test(fuse_bn, into_conv_without_bias_adds_one)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3, 4, 4));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 3, 1, 1));
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "c", x, w);
    ol_node *bn = add_bn(g, conv->outputs[0], 4, "bn_out");
    irb_output(g, IRB_NODE(g, "Relu", "relu", "y", bn->outputs[0])->outputs[0]);
    check(model, 2, "Conv");
    cr_assert_eq(conv->n_inputs, 3);
    ol_model_destroy(model);
}

Test(fuse_bn, weights_are_computed_in_double_and_rounded_once)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 3, 3));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 8, 1, 1));
    ol_value *b = pt_random_weight(g, "b", -1, 1, IRB_DIMS(2));
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "c", x, w, b);
    ol_node *bn = add_bn(g, conv->outputs[0], 2, "y");
    irb_output(g, bn->outputs[0]);
    float w0[16], b0[2], sc[2], bi[2], mu[2], var[2];
    memcpy(w0, pt_const_floats(w), sizeof w0);
    memcpy(b0, pt_const_floats(b), sizeof b0);
    memcpy(sc, pt_const_floats(bn->inputs[1]), sizeof sc);
    memcpy(bi, pt_const_floats(bn->inputs[2]), sizeof bi);
    memcpy(mu, pt_const_floats(bn->inputs[3]), sizeof mu);
    memcpy(var, pt_const_floats(bn->inputs[4]), sizeof var);
    cr_assert(pt_run(pass, model, NULL));
    const float *w1 = pt_const_floats(conv->inputs[1]), *b1 = pt_const_floats(conv->inputs[2]);
    for (int c = 0; c < 2; c++) {
        double s = (double)sc[c] / sqrt((double)var[c] + (double)1e-3f);
        for (int k = 0; k < 8; k++)
            cr_assert_eq(w1[c * 8 + k], (float)(w0[c * 8 + k] * s), "w[%d][%d]", c, k);
        cr_assert_eq(b1[c], (float)((double)b0[c] * s + ((double)bi[c] - (double)mu[c] * s)), "b[%d]", c);
    }
    ol_model_destroy(model);
}

Test(fuse_bn, into_grouped_conv_transpose)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 4, 3, 3));
    /* 2 groups of 2 input channels, 3 output channels each: 6 outputs */
    ol_node *deconv = IRB_NODE(g, "ConvTranspose", "deconv", "d", x,
                               pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 3, 2, 2)),
                               pt_random_weight(g, "b", -1, 1, IRB_DIMS(6)));
    cr_assert_eq(ol_node_set_attr_int(deconv, "group", 2, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_ints(deconv, "strides", (int64_t[]){2, 2}, 2, &irb_err), OL_OK);
    irb_output(g, add_bn(g, deconv->outputs[0], 6, "y")->outputs[0]);
    check(model, 1, "ConvTranspose");
    ol_model_destroy(model);
}

Test(fuse_bn, into_gemm_with_scaled_bias)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(3, 5));
    ol_node *gemm = IRB_NODE(g, "Gemm", "gemm", "f", x, pt_random_weight(g, "w", -1, 1, IRB_DIMS(6, 5)),
                             pt_random_weight(g, "c", -1, 1, IRB_DIMS(1, 6)));
    cr_assert_eq(ol_node_set_attr_int(gemm, "transB", 1, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(gemm, "alpha", 0.5f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(gemm, "beta", 2.0f, &irb_err), OL_OK);
    irb_output(g, add_bn(g, gemm->outputs[0], 6, "y")->outputs[0]);
    check(model, 1, "Gemm");
    ol_model_destroy(model);
}

/* After a Relu and before a graph output there is no layer: the BN stays one node (a Mul and an Add
 * would be two), unless `decompose` asks for them. */
Test(fuse_bn, nothing_to_fold_into_stays_or_becomes_mul_add)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3, 4, 4));
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", x);
    irb_output(g, add_bn(g, relu->outputs[0], 3, "y")->outputs[0]);
    ol_model *untouched = pt_clone(model);
    cr_assert_not(pt_run(pass, untouched, NULL));
    cr_assert_eq(ptest_count_ops(untouched->graph, "BatchNormalization"), 1);
    ol_model_destroy(untouched);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, "decompose=true"));
    cr_assert_eq(ptest_count_ops(g, "BatchNormalization"), 0);
    cr_assert_eq(ptest_count_ops(g, "Mul"), 1);
    ol_node *add = pt_producer(pt_output(g, "y"));
    cr_assert_str_eq(add->op_type, "Add");
    const ol_tensor *shift = ol_value_constant(add->inputs[1]);
    cr_assert(shift && shift->rank == 3 && shift->dims[0] == 3 && shift->dims[1] == 1 && shift->dims[2] == 1);
    cr_assert_eq(g->n_initializers, 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fuse_bn, conv_read_twice_is_not_changed)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 4, 4));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(3, 3, 1, 1));
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "c", x, w);
    irb_output(g, add_bn(g, conv->outputs[0], 3, "y")->outputs[0]);
    irb_output(g, IRB_NODE(g, "Relu", "relu", "z", conv->outputs[0])->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(conv->n_inputs, 2, "the shared Conv was changed");
    cr_assert_eq(ptest_count_ops(g, "BatchNormalization"), 1);
    ol_model_destroy(model);
}

/* BN -> Conv without padding (grouped, with and without a bias): the weights absorb the scale per
 * input channel and the bias the weights summed against the shift. */
static void check_into_next_conv(bool with_bias)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 4, 5, 5));
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", x);
    ol_node *bn = add_bn(g, relu->outputs[0], 4, "bn_out");
    /* 2 groups of 2 input channels, 3 outputs each */
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(6, 2, 3, 3));
    ol_node *conv = with_bias ? IRB_NODE(g, "Conv", "conv", "y", bn->outputs[0], w,
                                         pt_random_weight(g, "b", -1, 1, IRB_DIMS(6)))
                              : IRB_NODE(g, "Conv", "conv", "y", bn->outputs[0], w);
    cr_assert_eq(ol_node_set_attr_int(conv, "group", 2, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_ints(conv, "strides", (int64_t[]){2, 2}, 2, &irb_err), OL_OK);
    irb_output(g, conv->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "BatchNormalization"), 0);
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    cr_assert_eq(conv->inputs[0], relu->outputs[0]);
    cr_assert_eq(conv->n_inputs, 3);
    cr_assert_eq(g->n_initializers, 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fuse_bn, into_next_grouped_conv_with_bias) { check_into_next_conv(true); }
Test(fuse_bn, into_next_conv_without_bias_adds_one) { check_into_next_conv(false); }

/* Padding feeds zeros where the BN would give its shift: the BN stays. */
Test(fuse_bn, next_conv_with_padding_keeps_it)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 3, 4, 4));
    ol_node *bn = add_bn(g, x, 3, "bn_out");
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "y", bn->outputs[0],
                             pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 3, 3, 3)));
    cr_assert_eq(ol_node_set_attr_ints(conv, "pads", (int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    irb_output(g, conv->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "BatchNormalization"), 1);
    cr_assert_eq(conv->inputs[0], bn->outputs[0]);
    ol_model_destroy(model);
}

/* BN over the K features of a Gemm's A, with B transposed or not, beta scaling C. */
static void check_into_next_gemm(bool trans_b)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(3, 5));
    ol_node *bn = add_bn(g, x, 5, "bn_out");
    ol_value *w = trans_b ? pt_random_weight(g, "w", -1, 1, IRB_DIMS(6, 5))
                          : pt_random_weight(g, "w", -1, 1, IRB_DIMS(5, 6));
    ol_node *gemm = IRB_NODE(g, "Gemm", "gemm", "y", bn->outputs[0], w,
                             pt_random_weight(g, "c", -1, 1, IRB_DIMS(6)));
    cr_assert_eq(ol_node_set_attr_int(gemm, "transB", trans_b, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(gemm, "beta", 0.5f, &irb_err), OL_OK);
    irb_output(g, gemm->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 1);
    cr_assert_eq(gemm->inputs[0], x);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fuse_bn, into_next_gemm) { check_into_next_gemm(false); }
Test(fuse_bn, into_next_gemm_with_transposed_b) { check_into_next_gemm(true); }

Test(fuse_bn, training_mode_and_read_statistics_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3, 4, 4));
    ol_node *training = add_bn(g, x, 3, "y");
    cr_assert_eq(ol_node_set_attr_int(training, "training_mode", 1, &irb_err), OL_OK);
    irb_output(g, training->outputs[0]);
    ol_node *stats = add_bn(g, x, 3, "z");
    irb_output(g, stats->outputs[0]);
    irb_output(g, ol_node_new_output(stats, "running_mean", &irb_err));
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "BatchNormalization"), 2);
    ol_model_destroy(model);
}

/* float16 weights: each folded weight is the float16 nearest to the exact product (no detour
 * through float32, which would round twice). */
Test(fuse_bn, float16_weights_are_rounded_to_nearest)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT16, IRB_DIMS(1, 16, 2, 2), NULL);
    ol_tensor *wt = ol_tensor_create(OL_FLOAT16, 4, (int64_t[]){3, 16, 1, 1}, &irb_err);
    uint16_t *wd = ol_tensor_mutable_data(wt, &irb_err);
    for (int i = 0; i < 48; i++)
        wd[i] = ol_float_to_half((float)((i * 37 % 101) - 50) / 7.0f);
    uint16_t w0[48];
    memcpy(w0, wd, sizeof w0);
    ol_value *w = ol_graph_add_initializer(g, "w", wt, &irb_err);
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "c", x, w);
    ol_node *bn = add_bn(g, conv->outputs[0], 3, "y");
    irb_output(g, bn->outputs[0]);
    double s[3];
    for (int c = 0; c < 3; c++)
        s[c] = (double)pt_const_floats(bn->inputs[1])[c] /
               sqrt((double)pt_const_floats(bn->inputs[4])[c] + (double)1e-3f);
    cr_assert(pt_run(pass, model, NULL));
    const uint16_t *w1 = ol_value_constant(conv->inputs[1])->data;
    for (int i = 0; i < 48; i++) {
        double exact = (double)ol_half_to_float(w0[i]) * s[i / 16];
        double got = ol_half_to_float(w1[i]);
        /* the neighbours one step up and down in magnitude (the bit patterns next to it) */
        for (int step = -1; step <= 1; step += 2) {
            double other = ol_half_to_float((uint16_t)(w1[i] + step));
            if (!isnan(other))
                cr_assert_leq(fabs(got - exact), fabs(other - exact),
                              "w[%d]: %g is not the nearest to %.17g", i, got, exact);
        }
    }
    ol_model_destroy(model);
}
