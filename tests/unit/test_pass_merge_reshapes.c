/* merge-reshapes: chains of Reshape/Flatten/Squeeze/Unsqueeze read the original input. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_merge_reshapes;

static const int64_t *target(const ol_node *reshape, size_t *n)
{
    const ol_tensor *t = ol_value_constant(reshape->inputs[1]);
    cr_assert(t && t->dtype == OL_INT64, "no constant target");
    *n = (size_t)ol_tensor_numel(t);
    return t->data;
}

static void check(ol_model *model, size_t nodes)
{
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(model->graph), nodes);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
}

Test(merge_reshapes, reshape_of_reshape_with_symbolic_batch)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 3, 4), (const char *const[]){"N", NULL, NULL});
    ol_node *a = IRB_NODE(g, "Reshape", "a", "xa", x, PT_INTS(g, "sa", 0, 12));
    ol_node *b = IRB_NODE(g, "Reshape", "b", "y", a->outputs[0], PT_INTS(g, "sb", 0, 2, 6));
    irb_output(g, b->outputs[0]);
    check(model, 1);
    cr_assert_eq(b->inputs[0], x);
    size_t n;
    const int64_t *t = target(b, &n);
    cr_assert(n == 3 && t[0] == 0 && t[1] == 2 && t[2] == 6);   /* 0 over 0: still x's batch */
    cr_assert_null(ol_graph_find_value(g, "sa"));
    ol_model_destroy(model);
}

Test(merge_reshapes, copy_of_an_inner_dim_is_resolved)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(4, 6));
    ol_node *a = IRB_NODE(g, "Reshape", "a", "xa", x, PT_INTS(g, "sa", 3, 8));
    ol_node *b = IRB_NODE(g, "Reshape", "b", "y", a->outputs[0], PT_INTS(g, "sb", 0, 2, -1));
    irb_output(g, b->outputs[0]);
    check(model, 1);
    size_t n;
    const int64_t *t = target(b, &n);
    cr_assert(n == 3 && t[0] == 3 && t[1] == 2 && t[2] == -1);
    ol_model_destroy(model);
}

Test(merge_reshapes, squeeze_unsqueeze_flatten_chain_becomes_one_reshape)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 1, 3, 4));
    ol_node *sq = IRB_NODE(g, "Squeeze", "squeeze", "s", x, PT_INTS(g, "axes", 1));
    ol_node *unsq = IRB_NODE(g, "Unsqueeze", "unsqueeze", "u", sq->outputs[0], PT_INTS(g, "axes2", 0));
    ol_node *flat = IRB_NODE(g, "Flatten", "flatten", "y", unsq->outputs[0]);
    cr_assert_eq(ol_node_set_attr_int(flat, "axis", 2, &irb_err), OL_OK);
    irb_output(g, flat->outputs[0]);
    check(model, 1);
    ol_node *r = pt_producer(pt_output(g, "y"));
    cr_assert_str_eq(r->op_type, "Reshape");
    cr_assert_eq(r->inputs[0], x);
    size_t n;
    const int64_t *t = target(r, &n);
    cr_assert(n == 2 && t[0] == 2 && t[1] == 12);
    ol_model_destroy(model);
}

Test(merge_reshapes, unresolvable_copy_stays)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 6), (const char *const[]){"N", NULL});
    /* the intermediate's dim 1 is inferred from the symbolic batch: 0 there cannot be written */
    ol_node *a = IRB_NODE(g, "Reshape", "a", "xa", x, PT_INTS(g, "sa", 3, -1));
    ol_node *b = IRB_NODE(g, "Reshape", "b", "y", a->outputs[0], PT_INTS(g, "sb", 3, 0, 1));
    irb_output(g, b->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(b->inputs[0], a->outputs[0]);
    ol_model_destroy(model);
}
