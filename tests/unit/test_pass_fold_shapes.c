/* fold-shapes: the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of PyTorch exports, with
 * static shapes (folded to constants) and symbolic ones (0 and -1 where legal). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_fold_shapes;

/* Unsqueeze(Gather(Shape(x), index), [0]): dim `index` of x as a 1-element vector. */
static ol_value *dim_of(ol_graph *g, ol_value *x, int64_t index, const char *tag)
{
    char name[64];
    snprintf(name, sizeof name, "%s_shape", tag);
    ol_node *shape = IRB_NODE(g, "Shape", name, NULL, x);
    snprintf(name, sizeof name, "%s_index", tag);
    ol_value *idx = pt_ints(g, name, 0, NULL, &index);
    snprintf(name, sizeof name, "%s_gather", tag);
    ol_node *gather = IRB_NODE(g, "Gather", name, NULL, shape->outputs[0], idx);
    snprintf(name, sizeof name, "%s_axes", tag);
    ol_value *axes = PT_INTS(g, name, 0);
    snprintf(name, sizeof name, "%s_unsqueeze", tag);
    return IRB_NODE(g, "Unsqueeze", name, NULL, gather->outputs[0], axes)->outputs[0];
}

static const ol_tensor *target_of(const ol_graph *g)
{
    const ol_tensor *t = ol_value_constant(irb_find_node(g, "reshape")->inputs[1]);
    cr_assert(t, "the Reshape target is not a constant");
    return t;
}

static void assert_target(const ol_graph *g, const int64_t *want, size_t n)
{
    const ol_tensor *t = target_of(g);
    cr_assert_eq(t->dtype, OL_INT64);
    cr_assert_eq(ol_tensor_numel(t), (int64_t)n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(((const int64_t *)t->data)[i], want[i], "target[%zu] = %lld, expected %lld", i,
                     (long long)((const int64_t *)t->data)[i], (long long)want[i]);
}

/* Only the Reshape and the data path remain: every shape node went. */
static void assert_chain_gone(const ol_graph *g)
{
    cr_assert_eq(ptest_count_ops(g, "Shape"), 0);
    cr_assert_eq(ptest_count_ops(g, "Gather"), 0);
    cr_assert_eq(ptest_count_ops(g, "Unsqueeze"), 0);
    cr_assert_eq(ptest_count_ops(g, "Concat"), 0);
}

static const char *const batch[] = {"N", NULL, NULL};

Test(fold_shapes, symbolic_batch_becomes_copy)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 4, 6), batch);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "h", x);
    ol_node *target = IRB_NODE(g, "Concat", "concat", "target", dim_of(g, x, 0, "b"),
                               PT_INTS(g, "rest", 2, 12));
    cr_assert_eq(ol_node_set_attr_int(target, "axis", 0, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Reshape", "reshape", "y", relu->outputs[0], target->outputs[0])->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    assert_target(g, (int64_t[]){0, 2, 12}, 3);
    assert_chain_gone(g);
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_shapes, static_shape_arithmetic_becomes_a_constant)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 4, 6));
    /* channel shuffle: [d0, 2, d1 / 2, d2] */
    ol_value *half = IRB_NODE(g, "Div", "div", "half", pt_ints(g, "c", 0, NULL, (int64_t[]){4}),
                              pt_ints(g, "two", 0, NULL, (int64_t[]){2}))->outputs[0];
    ol_node *shape = IRB_NODE(g, "Shape", "shape", "s", x);
    ol_node *g1 = IRB_NODE(g, "Gather", "gather1", "d1", shape->outputs[0],
                           pt_ints(g, "i1", 0, NULL, (int64_t[]){1}));
    ol_node *div = IRB_NODE(g, "Div", "div2", "d1_half", g1->outputs[0], pt_ints(g, "two2", 0, NULL,
                            (int64_t[]){2}));
    ol_node *cast = IRB_NODE(g, "Cast", "cast", "d1_half64", div->outputs[0]);
    cr_assert_eq(ol_node_set_attr_int(cast, "to", OL_INT64, &irb_err), OL_OK);
    ol_node *unsq = IRB_NODE(g, "Unsqueeze", "unsq", "d1_vec", cast->outputs[0], PT_INTS(g, "axes", 0));
    ol_node *target = IRB_NODE(g, "Concat", "concat", "target", dim_of(g, x, 0, "b"),
                               PT_INTS(g, "two_vec", 2),
                               unsq->outputs[0], dim_of(g, x, 2, "w"));
    cr_assert_eq(ol_node_set_attr_int(target, "axis", 0, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Reshape", "reshape", "y", x, target->outputs[0])->outputs[0]);
    irb_output(g, half);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    assert_target(g, (int64_t[]){2, 2, 2, 6}, 4);
    cr_assert_str_eq(irb_find_node(g, "reshape")->inputs[1]->name, "target");   /* name kept */
    assert_chain_gone(g);
    /* Shape-sized integer arithmetic folds too; as a graph output it becomes a Constant node. */
    cr_assert_str_eq(pt_producer(pt_output(g, "half"))->op_type, "Constant");
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_shapes, one_unknown_dim_becomes_infer)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 4, 6), batch);
    ol_node *t = IRB_NODE(g, "Transpose", "transpose", "xt", x);   /* [4, N, 6] */
    cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){1, 0, 2}, 3, &irb_err), OL_OK);
    /* [N, 4, 6] applied to [4, N, 6]: N is not the data's dim 0, so it can only be inferred */
    ol_node *target = IRB_NODE(g, "Concat", "concat", "target", dim_of(g, x, 0, "b"),
                               PT_INTS(g, "rest", 4, 6));
    cr_assert_eq(ol_node_set_attr_int(target, "axis", 0, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Reshape", "reshape", "y", t->outputs[0], target->outputs[0])->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    assert_target(g, (int64_t[]){-1, 4, 6}, 3);
    assert_chain_gone(g);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_shapes, two_unknown_dims_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 3, 6), (const char *const[]){"N", "M", NULL});
    ol_node *t = IRB_NODE(g, "Transpose", "transpose", "xt", x);   /* [M, N, 6] */
    cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){1, 0, 2}, 3, &irb_err), OL_OK);
    ol_node *target = IRB_NODE(g, "Concat", "concat", "target", dim_of(g, x, 0, "n"), dim_of(g, x, 1, "m"),
                               PT_INTS(g, "rest", 6));
    cr_assert_eq(ol_node_set_attr_int(target, "axis", 0, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Reshape", "reshape", "y", t->outputs[0], target->outputs[0])->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Shape"), 2);
    ol_model_destroy(model);
}

Test(fold_shapes, allowzero_keeps_the_chain)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 4, 6), batch);
    ol_node *target = IRB_NODE(g, "Concat", "concat", "target", dim_of(g, x, 0, "b"), PT_INTS(g, "rest", 24));
    cr_assert_eq(ol_node_set_attr_int(target, "axis", 0, &irb_err), OL_OK);
    ol_node *reshape = IRB_NODE(g, "Reshape", "reshape", "y", x, target->outputs[0]);
    cr_assert_eq(ol_node_set_attr_int(reshape, "allowzero", 1, &irb_err), OL_OK);
    irb_output(g, reshape->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Concat"), 1);
    ol_model_destroy(model);
}

Test(fold_shapes, shape_start_end_and_slice)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 4, 6), batch);
    /* Shape(x, start=1) = [4, 6]; Slice of Shape(x) [0:1] = [N]: target [N, 4 * 6] -> [0, 24] */
    ol_node *tail = IRB_NODE(g, "Shape", "tail", "dims_tail", x);
    cr_assert_eq(ol_node_set_attr_int(tail, "start", 1, &irb_err), OL_OK);
    ol_node *prod = IRB_NODE(g, "ReduceProd", "prod", "inner", tail->outputs[0]);
    ol_node *full = IRB_NODE(g, "Shape", "full", "dims", x);
    ol_node *head = IRB_NODE(g, "Slice", "head", "dims_head", full->outputs[0], PT_INTS(g, "s0", 0),
                             PT_INTS(g, "e0", 1));
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "inner_x1", tail->outputs[0], PT_INTS(g, "ones", 1, 1));
    ol_node *target = IRB_NODE(g, "Concat", "concat", "target", head->outputs[0],
                               PT_INTS(g, "flat", 24));
    cr_assert_eq(ol_node_set_attr_int(target, "axis", 0, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Reshape", "reshape", "y", x, target->outputs[0])->outputs[0]);
    irb_output(g, prod->outputs[0]);
    irb_output(g, mul->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    assert_target(g, (int64_t[]){0, 24}, 2);
    /* ReduceProd is not evaluated, but its input is static; Mul by ones folds to [4, 6]. */
    cr_assert_eq(ptest_count_ops(g, "ReduceProd"), 1);
    cr_assert(ol_value_constant(irb_find_node(g, "prod")->inputs[0]));
    cr_assert_str_eq(pt_producer(pt_output(g, "inner_x1"))->op_type, "Constant");
    cr_assert_eq(ptest_count_ops(g, "Shape"), 0);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}
