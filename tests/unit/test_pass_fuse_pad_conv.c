/* fuse-pad-conv: zero constant padding of spatial axes moves into the Conv's pads; anything else
 * stays. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_fuse_pad_conv;

/* x[1,2,5,5] -> Pad(pads, mode, value) -> Conv(3x3, its own pads) -> y */
static ol_model *pad_conv(const int64_t *pads, const char *mode, float value, const int64_t *conv_pads)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 2, 5, 5));
    ol_value *amounts = pt_ints(g, "pads", 1, (int64_t[]){8}, pads);
    ol_node *pad = IRB_NODE(g, "Pad", "pad", "xp", x, amounts, pt_floats(g, "value", 0, NULL, &value));
    if (mode)
        cr_assert_eq(ol_node_set_attr_string(pad, "mode", mode, &irb_err), OL_OK);
    ol_node *conv = IRB_NODE(g, "Conv", "conv", "y", pad->outputs[0],
                             pt_random_weight(g, "w", -1, 1, IRB_DIMS(3, 2, 3, 3)));
    if (conv_pads)
        cr_assert_eq(ol_node_set_attr_ints(conv, "pads", conv_pads, 4, &irb_err), OL_OK);
    irb_output(g, conv->outputs[0]);
    return model;
}

static void check(ol_model *model, bool fused, const int64_t *want_pads)
{
    ol_model *before = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, NULL), fused);
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "Pad"), fused ? 0 : 1);
    if (fused) {
        size_t n;
        const int64_t *pads = ol_node_attr_ints(irb_find_node(g, "conv"), "pads", &n);
        cr_assert(pads && n == 4);
        for (int i = 0; i < 4; i++)
            cr_assert_eq(pads[i], want_pads[i], "pads[%d] = %lld, expected %lld", i, (long long)pads[i],
                         (long long)want_pads[i]);
        cr_assert_null(ol_graph_find_value(g, "pads"), "the Pad's amounts were left behind");
    }
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fuse_pad_conv, asymmetric_tensorflow_padding)
{
    check(pad_conv((int64_t[]){0, 0, 0, 1, 0, 0, 1, 2}, NULL, 0, NULL), true, (int64_t[]){0, 1, 1, 2});
}

Test(fuse_pad_conv, adds_to_existing_pads)
{
    check(pad_conv((int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, "constant", 0, (int64_t[]){1, 0, 0, 1}), true,
          (int64_t[]){2, 1, 1, 2});
}

Test(fuse_pad_conv, nonzero_value_stays)
{
    check(pad_conv((int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, NULL, 0.5f, NULL), false, NULL);
}

Test(fuse_pad_conv, reflect_mode_stays)
{
    check(pad_conv((int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, "reflect", 0, NULL), false, NULL);
}

Test(fuse_pad_conv, batch_padding_stays)
{
    check(pad_conv((int64_t[]){1, 0, 0, 0, 0, 0, 0, 0}, NULL, 0, NULL), false, NULL);
}

Test(fuse_pad_conv, cropping_stays)
{
    check(pad_conv((int64_t[]){0, 0, -1, 0, 0, 0, 0, 0}, NULL, 0, NULL), false, NULL);
}

Test(fuse_pad_conv, same_auto_pad_stays)
{
    ol_model *model = pad_conv((int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, NULL, 0, NULL);
    cr_assert_eq(ol_node_set_attr_string(irb_find_node(model->graph, "conv"), "auto_pad", "SAME_UPPER",
                                         &irb_err), OL_OK);
    check(model, false, NULL);
}

Test(fuse_pad_conv, padded_value_read_elsewhere_stays)
{
    ol_model *model = pad_conv((int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, NULL, 0, NULL);
    irb_output(model->graph, ol_graph_find_value(model->graph, "xp"));
    check(model, false, NULL);
}
