/* remove-noops: which nodes are proven to change nothing, with static and symbolic shapes, and how
 * graph outputs keep their names. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_remove_noops;

static const char *const batch[] = {"N", NULL, NULL, NULL};

/* x[N,3,4,4] -> op -> Relu -> y: the op is removed iff `removed`, and outputs match either way. */
static void check_single(ol_node *(*build)(ol_graph *g, ol_value *x), bool removed)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 3, 4, 4), batch);
    ol_node *op = build(g, x);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "y", op->outputs[0]);
    irb_output(g, relu->outputs[0]);
    const char *op_type = op->op_type;
    ol_model *before = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, NULL), removed, "%s: removal expected: %d", op_type, removed);
    cr_assert_eq(ol_graph_live_node_count(g), removed ? 1 : 2);
    if (removed)
        cr_assert_eq(relu->inputs[0], x);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

static ol_node *identity(ol_graph *g, ol_value *x) { return IRB_NODE(g, "Identity", "id", NULL, x); }

static ol_node *dropout(ol_graph *g, ol_value *x)
{
    ol_node *d = IRB_NODE(g, "Dropout", "drop", NULL, x, pt_floats(g, "ratio", 0, NULL, (float[]){0.5f}));
    cr_assert(ol_node_new_output(d, "mask", &irb_err));   /* present but unread */
    return d;
}

static ol_node *cast_same(ol_graph *g, ol_value *x)
{
    ol_node *c = IRB_NODE(g, "Cast", "cast", NULL, x);
    cr_assert_eq(ol_node_set_attr_int(c, "to", OL_FLOAT, &irb_err), OL_OK);
    return c;
}

static ol_node *cast_double(ol_graph *g, ol_value *x)
{
    ol_node *c = IRB_NODE(g, "Cast", "cast", NULL, x);
    cr_assert_eq(ol_node_set_attr_int(c, "to", OL_DOUBLE, &irb_err), OL_OK);
    return c;
}

static ol_node *transpose_identity(ol_graph *g, ol_value *x)
{
    ol_node *t = IRB_NODE(g, "Transpose", "t", NULL, x);
    cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){0, 1, 2, 3}, 4, &irb_err), OL_OK);
    return t;
}

static ol_node *transpose_real(ol_graph *g, ol_value *x)
{
    ol_node *t = IRB_NODE(g, "Transpose", "t", NULL, x);
    cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){0, 1, 3, 2}, 4, &irb_err), OL_OK);
    return t;
}

/* [0, 3, -1, 4] on [N, 3, 4, 4]: copy N, keep 3, infer 4, keep 4. */
static ol_node *reshape_same(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Reshape", "r", NULL, x, PT_INTS(g, "shape", 0, 3, -1, 4));
}

static ol_node *reshape_other(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Reshape", "r", NULL, x, PT_INTS(g, "shape", 0, 3, 16, 1));
}

static ol_node *pad_zero(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Pad", "pad", NULL, x, PT_INTS(g, "pads", 0, 0, 0, 0, 0, 0, 0, 0));
}

static ol_node *pad_one(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Pad", "pad", NULL, x, PT_INTS(g, "pads", 0, 0, 1, 0, 0, 0, 0, 0));
}

/* x[:, :, 0:100, -4:] keeps everything; the symbolic batch axis is not sliced. */
static ol_node *slice_all(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Slice", "slice", NULL, x, PT_INTS(g, "starts", 0, -4),
                    PT_INTS(g, "ends", 100, INT64_MAX),
                    PT_INTS(g, "axes", 2, 3));
}

static ol_node *slice_batch_to_max(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Slice", "slice", NULL, x, PT_INTS(g, "starts", 0), PT_INTS(g, "ends", INT64_MAX),
                    PT_INTS(g, "axes", 0));
}

static ol_node *slice_some(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Slice", "slice", NULL, x, PT_INTS(g, "starts", 1), PT_INTS(g, "ends", 100),
                    PT_INTS(g, "axes", 3));
}

/* The batch is only known to be >= 0: slicing it to a fixed end may cut it. */
static ol_node *slice_batch_to_fixed(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Slice", "slice", NULL, x, PT_INTS(g, "starts", 0), PT_INTS(g, "ends", 1000),
                    PT_INTS(g, "axes", 0));
}

static ol_node *expand_ones(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Expand", "expand", NULL, x, PT_INTS(g, "shape", 1, 3, 1, 4));
}

static ol_node *expand_grow(ol_graph *g, ol_value *x)
{
    return IRB_NODE(g, "Expand", "expand", NULL, x, PT_INTS(g, "shape", 2, 1, 3, 4, 4));
}

static ol_node *concat_one(ol_graph *g, ol_value *x)
{
    ol_node *c = IRB_NODE(g, "Concat", "cat", NULL, x);
    cr_assert_eq(ol_node_set_attr_int(c, "axis", 1, &irb_err), OL_OK);
    return c;
}

static ol_node *concat_two(ol_graph *g, ol_value *x)
{
    ol_node *c = IRB_NODE(g, "Concat", "cat", NULL, x, x);
    cr_assert_eq(ol_node_set_attr_int(c, "axis", 1, &irb_err), OL_OK);
    return c;
}

static ol_node *max_one(ol_graph *g, ol_value *x) { return IRB_NODE(g, "Max", "max", NULL, x); }
static ol_node *mean_one(ol_graph *g, ol_value *x) { return IRB_NODE(g, "Mean", "mean", NULL, x); }
static ol_node *sum_two(ol_graph *g, ol_value *x) { return IRB_NODE(g, "Sum", "sum", NULL, x, x); }

Test(remove_noops, identity) { check_single(identity, true); }
Test(remove_noops, concat_of_one_input) { check_single(concat_one, true); }
Test(remove_noops, concat_of_two_stays) { check_single(concat_two, false); }
Test(remove_noops, max_of_one_input) { check_single(max_one, true); }
Test(remove_noops, mean_of_one_input) { check_single(mean_one, true); }
Test(remove_noops, sum_of_two_stays) { check_single(sum_two, false); }
Test(remove_noops, inference_dropout) { check_single(dropout, true); }
Test(remove_noops, cast_to_own_type) { check_single(cast_same, true); }
Test(remove_noops, cast_to_other_type_stays) { check_single(cast_double, false); }
Test(remove_noops, identity_transpose) { check_single(transpose_identity, true); }
Test(remove_noops, real_transpose_stays) { check_single(transpose_real, false); }
Test(remove_noops, reshape_to_same_shape_with_symbolic_batch) { check_single(reshape_same, true); }
Test(remove_noops, reshape_to_other_shape_stays) { check_single(reshape_other, false); }
Test(remove_noops, zero_pad) { check_single(pad_zero, true); }
Test(remove_noops, real_pad_stays) { check_single(pad_one, false); }
Test(remove_noops, slice_of_everything) { check_single(slice_all, true); }
Test(remove_noops, slice_of_symbolic_dim_to_int64_max) { check_single(slice_batch_to_max, true); }
Test(remove_noops, real_slice_stays) { check_single(slice_some, false); }
Test(remove_noops, slice_of_symbolic_dim_to_fixed_end_stays) { check_single(slice_batch_to_fixed, false); }
Test(remove_noops, expand_by_ones) { check_single(expand_ones, true); }
Test(remove_noops, growing_expand_stays) { check_single(expand_grow, false); }

Test(remove_noops, dropout_with_read_mask_or_training_mode_stays)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *masked = IRB_NODE(g, "Dropout", "masked", "m_out", x);
    irb_output(g, ol_node_new_output(masked, "mask", &irb_err));
    ol_tensor *yes = ol_tensor_create(OL_BOOL, 0, NULL, &irb_err);
    ((uint8_t *)ol_tensor_mutable_data(yes, &irb_err))[0] = 1;
    ol_value *training = ol_graph_add_initializer(g, "training", yes, &irb_err);
    ol_node *trained = IRB_NODE(g, "Dropout", "trained", "t_out", x,
                                pt_floats(g, "ratio", 0, NULL, (float[]){0.5f}), training);
    irb_output(g, masked->outputs[0]);
    irb_output(g, trained->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    ol_model_destroy(model);
}

Test(remove_noops, graph_output_keeps_its_name)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", x);
    ol_node *id = IRB_NODE(g, "Identity", "id", "y", relu->outputs[0]);
    irb_output(g, id->outputs[0]);
    /* An Identity from an input straight to an output cannot go: the output needs a producer. */
    irb_output(g, IRB_NODE(g, "Identity", "passthrough", "z", x)->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    cr_assert_eq(pt_producer(pt_output(g, "y")), relu);
    cr_assert_str_eq(pt_producer(pt_output(g, "z"))->op_type, "Identity");
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(remove_noops, chains_and_subgraphs)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *cond = pt_input(g, "cond", OL_BOOL, 0, NULL, NULL);
    ol_value *x = irb_input(g, "x", IRB_DIMS(3));
    ol_node *a = IRB_NODE(g, "Identity", "a", "xa", x);
    ol_node *b = IRB_NODE(g, "Identity", "b", "xb", a->outputs[0]);
    ol_node *node = IRB_NODE(g, "If", "if", "y", cond);
    for (int k = 0; k < 2; k++) {
        ol_graph *branch = ptest_attach_subgraph(node, k ? "else_branch" : "then_branch");
        ol_value *ref = ol_graph_add_outer_ref(branch, b->outputs[0], &irb_err);
        ol_node *id = IRB_NODE(branch, "Identity", k ? "eid" : "tid", k ? "e1" : "t1", ref);
        ol_node *neg = IRB_NODE(branch, k ? "Neg" : "Abs", k ? "eneg" : "tabs", k ? "e2" : "t2",
                                id->outputs[0]);
        irb_output(branch, neg->outputs[0]);
    }
    irb_output(g, node->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 1);
    cr_assert_eq(ol_graph_live_node_count(irb_subgraph(node, "then_branch")), 1);
    cr_assert_eq(ol_graph_live_node_count(irb_subgraph(node, "else_branch")), 1);
    irb_assert_uses(x, (ol_use[]){{node, OL_IMPLICIT_USE}, {node, OL_IMPLICIT_USE}}, 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}
