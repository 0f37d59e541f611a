/* cse: equal nodes merge onto the first; different attributes, random ops, subgraphs and other
 * domains do not. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_cse;

Test(cse, equal_nodes_merge_onto_the_first_and_cascade)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *r1 = IRB_NODE(g, "Relu", "relu1", "r1", x);
    ol_node *r2 = IRB_NODE(g, "Relu", "relu2", "r2", x);
    ol_node *s1 = IRB_NODE(g, "Sigmoid", "sig1", "s1", r1->outputs[0]);
    ol_node *s2 = IRB_NODE(g, "Sigmoid", "sig2", "s2", r2->outputs[0]);   /* equal once r2 is r1 */
    irb_output(g, IRB_NODE(g, "Add", "add", "y", s1->outputs[0], s2->outputs[0])->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 3);
    ol_node *add = irb_find_node(g, "add");
    cr_assert_eq(add->inputs[0], s1->outputs[0]);
    cr_assert_eq(add->inputs[1], s1->outputs[0]);
    cr_assert_eq(irb_find_node(g, "relu1"), r1);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(cse, attributes_must_match)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *a = IRB_NODE(g, "LeakyRelu", "a", "ya", x);
    ol_node *b = IRB_NODE(g, "LeakyRelu", "b", "yb", x);
    ol_node *c = IRB_NODE(g, "LeakyRelu", "c", "yc", x);
    cr_assert_eq(ol_node_set_attr_float(a, "alpha", 0.1f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(b, "alpha", 0.2f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(c, "alpha", 0.1f, &irb_err), OL_OK);
    ol_node *sum = IRB_NODE(g, "Sum", "sum", "y", a->outputs[0], b->outputs[0], c->outputs[0]);
    irb_output(g, sum->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    /* c went (the pass compacts, so it is looked for by name), b stays */
    cr_assert_eq(ptest_count_ops(g, "LeakyRelu"), 2);
    cr_assert_eq(irb_find_node(g, "b"), b);
    cr_assert_eq(sum->inputs[2], a->outputs[0]);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(cse, equal_constant_nodes_merge)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_value *k[2];
    for (int i = 0; i < 2; i++) {
        ol_node *c = irb_node(g, "Constant", i ? "k2" : "k1", i ? "v2" : "v1", 0, NULL);
        cr_assert_eq(ol_node_set_attr_ints(c, "value_ints", (int64_t[]){1, 2}, 2, &irb_err), OL_OK);
        k[i] = c->outputs[0];
    }
    ol_node *cast = IRB_NODE(g, "Cast", "cast", "kf", k[1]);
    cr_assert_eq(ol_node_set_attr_int(cast, "to", OL_FLOAT, &irb_err), OL_OK);
    ol_node *cast0 = IRB_NODE(g, "Cast", "cast0", "kf0", k[0]);
    cr_assert_eq(ol_node_set_attr_int(cast0, "to", OL_FLOAT, &irb_err), OL_OK);
    ol_node *add = IRB_NODE(g, "Add", "add", "s", x, cast->outputs[0]);
    irb_output(g, IRB_NODE(g, "Mul", "mul", "y", add->outputs[0], cast0->outputs[0])->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Constant"), 1);
    cr_assert_eq(ptest_count_ops(g, "Cast"), 1);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(cse, random_subgraph_and_foreign_nodes_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    for (int i = 0; i < 2; i++) {
        irb_output(g, IRB_NODE(g, "RandomUniformLike", NULL, NULL, x)->outputs[0]);
        ol_node *custom = ol_graph_add_node(g, "Relu", "com.example", NULL, &irb_err);
        cr_assert_eq(ol_node_add_input(custom, x, &irb_err), OL_OK);
        irb_output(g, ol_node_new_output(custom, NULL, &irb_err));
        ol_value *cond = pt_input(g, i ? "c2" : "c1", OL_BOOL, 0, NULL, NULL);
        ol_node *node = IRB_NODE(g, "If", NULL, NULL, cond);
        for (int b = 0; b < 2; b++) {
            ol_graph *branch = ptest_attach_subgraph(node, b ? "else_branch" : "then_branch");
            irb_output(branch, ol_graph_add_outer_ref(branch, x, &irb_err));
        }
        irb_output(g, node->outputs[0]);
    }
    /* same condition for both Ifs: only their bodies could tell them apart */
    ol_node *if2 = g->nodes[5];
    cr_assert_eq(ol_node_set_input(if2, 0, g->nodes[2]->inputs[0], &irb_err), OL_OK);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 6);
    ol_model_destroy(model);
}

Test(cse, two_graph_outputs_keep_their_nodes)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    irb_output(g, IRB_NODE(g, "Relu", "a", "ya", x)->outputs[0]);
    irb_output(g, IRB_NODE(g, "Relu", "b", "yb", x)->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    ol_model_destroy(model);
}
