/* inline-constant-if: the taken branch replaces the If, with its initializers, outer references
 * and output names; what cannot be inlined stays. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_inline_constant_if;

static ol_value *bool_constant(ol_graph *g, const char *name, bool value)
{
    ol_tensor *t = ol_tensor_create(OL_BOOL, 0, NULL, &irb_err);
    ((uint8_t *)ol_tensor_mutable_data(t, &irb_err))[0] = value;
    ol_value *v = ol_graph_add_initializer(g, name, t, &irb_err);
    cr_assert(v, "%s", irb_err.message);
    return v;
}

/* y = If(cond) then (x + k_then) * 2 else Neg(x); z = Relu(y) */
static ol_node *build(ol_model *model, bool cond)
{
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *node = IRB_NODE(g, "If", "if", "y", bool_constant(g, "cond", cond));
    ol_graph *then_branch = ptest_attach_subgraph(node, "then_branch");
    ol_value *xt = ol_graph_add_outer_ref(then_branch, x, &irb_err);
    ol_value *k = pt_random_weight(then_branch, "k_then", -1, 1, IRB_DIMS(3));
    ol_node *add = IRB_NODE(then_branch, "Add", "t_add", "t_sum", xt, k);
    ol_node *mul = IRB_NODE(then_branch, "Mul", "t_mul", "t_out", add->outputs[0],
                            pt_floats(then_branch, "two", 0, NULL, (float[]){2}));
    irb_output(then_branch, mul->outputs[0]);
    ol_graph *else_branch = ptest_attach_subgraph(node, "else_branch");
    ol_value *xe = ol_graph_add_outer_ref(else_branch, x, &irb_err);
    irb_output(else_branch, IRB_NODE(else_branch, "Neg", "e_neg", "e_out", xe)->outputs[0]);
    irb_output(g, IRB_NODE(g, "Relu", "relu", "z", node->outputs[0])->outputs[0]);
    return node;
}

Test(inline_constant_if, true_condition_inlines_the_then_branch)
{
    ol_model *model = irb_model();
    build(model, true);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "If"), 0);
    cr_assert_eq(ol_graph_live_node_count(g), 3);
    cr_assert_eq(irb_find_node(g, "t_add")->inputs[0], ol_graph_find_value(g, "x"));
    cr_assert(ol_graph_find_value(g, "k_then") && ol_graph_find_value(g, "k_then")->constant);
    cr_assert_null(ol_graph_find_value(g, "cond"));
    cr_assert_eq(irb_find_node(g, "relu")->inputs[0], ol_graph_find_value(g, "t_out"));
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(inline_constant_if, false_condition_inlines_the_else_branch)
{
    ol_model *model = irb_model();
    build(model, false);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    ol_graph *g = model->graph;
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    cr_assert_eq(ptest_count_ops(g, "Neg"), 1);
    cr_assert_eq(g->n_initializers, 0);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(inline_constant_if, branch_returning_an_outer_value_as_graph_output)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *node = IRB_NODE(g, "If", "if", "y", bool_constant(g, "cond", true));
    for (int b = 0; b < 2; b++) {
        ol_graph *branch = ptest_attach_subgraph(node, b ? "else_branch" : "then_branch");
        irb_output(branch, ol_graph_add_outer_ref(branch, x, &irb_err));
    }
    irb_output(g, node->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    /* x is a graph input: the output needs a node of its own, under its name */
    ol_node *id = pt_producer(pt_output(g, "y"));
    cr_assert_str_eq(id->op_type, "Identity");
    cr_assert_eq(id->inputs[0], x);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(inline_constant_if, unknown_condition_and_nested_subgraphs_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *cond = pt_input(g, "cond", OL_BOOL, 0, NULL, NULL);
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *runtime = IRB_NODE(g, "If", "runtime", "y1", cond);
    ol_node *nested = IRB_NODE(g, "If", "nested", "y2", bool_constant(g, "always", true));
    for (int b = 0; b < 2; b++) {
        ol_graph *branch = ptest_attach_subgraph(runtime, b ? "else_branch" : "then_branch");
        irb_output(branch, ol_graph_add_outer_ref(branch, x, &irb_err));
        branch = ptest_attach_subgraph(nested, b ? "else_branch" : "then_branch");
        ol_value *c = ol_graph_add_outer_ref(branch, cond, &irb_err);
        ol_node *inner = IRB_NODE(branch, "If", b ? "inner_e" : "inner_t", b ? "ie" : "it", c);
        for (int k = 0; k < 2; k++) {
            ol_graph *leaf = ptest_attach_subgraph(inner, k ? "else_branch" : "then_branch");
            ol_value *ref = ol_graph_add_outer_ref(leaf, ol_graph_add_outer_ref(branch, x, &irb_err),
                                                   &irb_err);
            irb_output(leaf, IRB_NODE(leaf, k ? "Neg" : "Abs", NULL, NULL, ref)->outputs[0]);
        }
        irb_output(branch, inner->outputs[0]);
    }
    irb_output(g, runtime->outputs[0]);
    irb_output(g, nested->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "If"), 2);
    ol_model_destroy(model);
}

Test(inline_constant_if, nested_constant_ifs_inline_from_the_inside_out)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *outer = IRB_NODE(g, "If", "outer", "y", bool_constant(g, "c_outer", false));
    for (int b = 0; b < 2; b++) {
        ol_graph *branch = ptest_attach_subgraph(outer, b ? "else_branch" : "then_branch");
        ol_value *c = bool_constant(branch, b ? "c_else" : "c_then", true);
        ol_node *inner = IRB_NODE(branch, "If", b ? "inner_e" : "inner_t", b ? "ie" : "it", c);
        for (int k = 0; k < 2; k++) {
            ol_graph *leaf = ptest_attach_subgraph(inner, k ? "else_branch" : "then_branch");
            ol_value *ref = ol_graph_add_outer_ref(leaf, ol_graph_add_outer_ref(branch, x, &irb_err),
                                                   &irb_err);
            char name[16];
            snprintf(name, sizeof name, "leaf%d%d", b, k);
            irb_output(leaf, IRB_NODE(leaf, k ? "Neg" : "Abs", name, NULL, ref)->outputs[0]);
        }
        irb_output(branch, inner->outputs[0]);
    }
    irb_output(g, outer->outputs[0]);
    ol_model *before = pt_clone(model);
    /* The first run inlines the inner Ifs (the outer branches hold subgraphs); the host's fixpoint
     * rerun then inlines the outer one. */
    cr_assert(pass->flags & OL_PASS_FIXPOINT);
    cr_assert(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "If"), 1);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "If"), 0);
    ol_node *abs = pt_producer(pt_output(g, "y"));
    cr_assert_str_eq(abs->name, "leaf10");   /* else branch of the outer, then branch of the inner */
    cr_assert_eq(abs->inputs[0], x);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}
