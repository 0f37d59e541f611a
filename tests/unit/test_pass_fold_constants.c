/* fold-constants: constant subgraphs run once through the executor and become initializers; the size
 * cap; what is never folded; graph outputs; subgraphs. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_fold_constants;

/* x[2,3] @ Transpose(W[3,3]) + Reshape(b, [3]): both weight computations fold. */
static ol_model *weights_computed_at_run_time(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(3, 3));
    ol_value *b = pt_random_weight(g, "b", -1, 1, IRB_DIMS(1, 3));
    ol_node *t = IRB_NODE(g, "Transpose", "transpose", "w_t", w);
    cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){1, 0}, 2, &irb_err), OL_OK);
    ol_node *r = IRB_NODE(g, "Reshape", "reshape", "b_flat", b, PT_INTS(g, "b_shape", 3));
    ol_node *mm = IRB_NODE(g, "MatMul", "matmul", "prod", x, t->outputs[0]);
    ol_node *add = IRB_NODE(g, "Add", "add", "y", mm->outputs[0], r->outputs[0]);
    irb_output(g, add->outputs[0]);
    return model;
}

Test(fold_constants, folds_weight_computations_into_initializers)
{
    ol_model *model = weights_computed_at_run_time();
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "Transpose"), 0);
    cr_assert_eq(ptest_count_ops(g, "Reshape"), 0);
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    /* The folded values keep their names; what they were computed from is gone. */
    ol_value *wt = ol_graph_find_value(g, "w_t");
    cr_assert(wt && wt->constant, "w_t is not an initializer");
    cr_assert_eq(wt->constant->dims[0], 3);
    const float *w = pt_const_floats(ol_graph_find_value(before->graph, "w")), *t = pt_const_floats(wt);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            cr_assert_eq(t[i * 3 + j], w[j * 3 + i]);
    cr_assert_null(ol_graph_find_value(g, "w"));
    cr_assert_null(ol_graph_find_value(g, "b_shape"));
    cr_assert_eq(g->n_initializers, 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_constants, turns_constant_nodes_into_initializers)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 2));
    ol_node *c = irb_node(g, "Constant", "const", "k", 0, NULL);
    ol_tensor *t = ol_tensor_create(OL_FLOAT, 2, (int64_t[]){2, 2}, &irb_err);
    memcpy(ol_tensor_mutable_data(t, &irb_err), (float[]){1, 2, 3, 4}, 16);
    cr_assert_eq(ol_node_set_attr_tensor(c, "value", t, &irb_err), OL_OK);
    ol_node *ints = irb_node(g, "Constant", "const_ints", "perm_src", 0, NULL);
    cr_assert_eq(ol_node_set_attr_ints(ints, "value_ints", (int64_t[]){2, 2}, 2, &irb_err), OL_OK);
    ol_node *r = IRB_NODE(g, "Reshape", "reshape", "k2", c->outputs[0], ints->outputs[0]);
    ol_node *mm = IRB_NODE(g, "MatMul", "matmul", "y", x, r->outputs[0]);
    irb_output(g, mm->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Constant"), 0);
    cr_assert_eq(ol_graph_live_node_count(g), 1);
    cr_assert_str_eq(irb_find_node(g, "matmul")->inputs[1]->name, "k2");
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

/* ConstantOfShape([64, 64]) makes 16 KiB from 16 bytes. */
static ol_model *big_from_small(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(64, 64));
    ol_node *fill = IRB_NODE(g, "ConstantOfShape", "fill", "ones", PT_INTS(g, "shape", 64, 64));
    ol_tensor *one = ol_tensor_create(OL_FLOAT, 1, (int64_t[]){1}, &irb_err);
    ((float *)ol_tensor_mutable_data(one, &irb_err))[0] = 1;
    cr_assert_eq(ol_node_set_attr_tensor(fill, "value", one, &irb_err), OL_OK);
    irb_output(g, IRB_NODE(g, "Add", "add", "y", x, fill->outputs[0])->outputs[0]);
    return model;
}

Test(fold_constants, size_cap_keeps_big_outputs_as_nodes)
{
    ol_model *model = big_from_small();
    cr_assert_not(pt_run(pass, model, "size-limit=1024"));
    cr_assert_eq(ptest_count_ops(model->graph, "ConstantOfShape"), 1);
    /* The default cap (16 KiB, plus the 16 bytes of the shape it frees) admits this output. */
    ol_model *before = pt_clone(model);
    cr_assert(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(model->graph, "ConstantOfShape"), 0);
    cr_assert_eq(ol_graph_find_value(model->graph, "ones")->constant->nbytes, 64 * 64 * 4);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_constants, graph_output_becomes_a_constant_node_under_its_name)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 3));
    ol_node *t = IRB_NODE(g, "Transpose", "transpose", "y", w);
    cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){1, 0}, 2, &irb_err), OL_OK);
    irb_output(g, t->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    ol_value *y = pt_output(g, "y");
    cr_assert_str_eq(pt_producer(y)->op_type, "Constant");
    cr_assert_eq(y->type.rank, 2);
    cr_assert_eq(g->n_initializers, 0);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_constants, leaves_random_dropout_dequantize_and_other_domains)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 2));
    irb_output(g, IRB_NODE(g, "RandomNormalLike", "random", "r", w)->outputs[0]);
    irb_output(g, IRB_NODE(g, "Dropout", "dropout", "d", w)->outputs[0]);
    ol_value *q = irb_weight(g, "q", OL_INT8, IRB_DIMS(2, 2));
    ol_value *scale = pt_floats(g, "scale", 0, NULL, (float[]){0.5f});
    irb_output(g, IRB_NODE(g, "DequantizeLinear", "dq", "dq_out", q, scale)->outputs[0]);
    ol_node *custom = ol_graph_add_node(g, "Relu", "com.example", "custom", &irb_err);
    cr_assert_eq(ol_node_add_input(custom, w, &irb_err), OL_OK);
    irb_output(g, ol_node_new_output(custom, "c", &irb_err));
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ol_graph_live_node_count(g), 4);
    ol_model_destroy(model);
}

Test(fold_constants, a_graph_input_with_a_default_is_not_a_constant)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 2));
    /* Listed as a graph input too: the caller may feed another value. */
    cr_assert_eq(ol_type_set_tensor(&w->type, OL_FLOAT, 2, (int64_t[]){2, 2}), 0);
    w->is_input = true;
    g->inputs = realloc(g->inputs, sizeof *g->inputs);
    g->inputs[0] = w;
    g->n_inputs = g->cap_inputs = 1;
    irb_output(g, IRB_NODE(g, "Transpose", "t", "y", w)->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Transpose"), 1);
    ol_model_destroy(model);
}

Test(fold_constants, folds_inside_if_branches_with_outer_constants)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *cond = pt_input(g, "cond", OL_BOOL, 0, NULL, NULL);
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 3));
    ol_node *node = IRB_NODE(g, "If", "if", "y", cond);
    for (int b = 0; b < 2; b++) {
        ol_graph *branch = ptest_attach_subgraph(node, b ? "else_branch" : "then_branch");
        ol_value *ref = ol_graph_add_outer_ref(branch, w, &irb_err);
        cr_assert(ref, "%s", irb_err.message);
        ol_node *t = IRB_NODE(branch, b ? "Identity" : "Transpose", b ? "id" : "t", b ? "e_out" : "t_out",
                              ref);
        if (!b)
            cr_assert_eq(ol_node_set_attr_ints(t, "perm", (int64_t[]){1, 0}, 2, &irb_err), OL_OK);
        ol_node *flat = IRB_NODE(branch, "Reshape", b ? "flat_e" : "flat_t", b ? "e_flat" : "t_flat",
                                 t->outputs[0], PT_INTS(branch, b ? "shape_e" : "shape_t", 6));
        irb_output(branch, flat->outputs[0]);
    }
    irb_output(g, node->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    ol_graph *then_branch = irb_subgraph(node, "then_branch");
    cr_assert_eq(ptest_count_ops(then_branch, "Transpose"), 0);
    cr_assert_eq(ol_graph_live_node_count(then_branch), 1);   /* the output keeps a Constant node */
    cr_assert_eq(ol_graph_live_node_count(irb_subgraph(node, "else_branch")), 1);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fold_constants, identity_of_a_shared_constant_is_not_copied)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 2));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(2, 2));
    ol_node *id = IRB_NODE(g, "Identity", "id", "w_alias", w);
    ol_node *mm = IRB_NODE(g, "MatMul", "mm", "p", x, id->outputs[0]);
    irb_output(g, IRB_NODE(g, "Add", "add", "y", mm->outputs[0], w)->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(g->n_initializers, 1);
    cr_assert_eq(mm->inputs[1], w);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

/* Transpose(w) where w is also read elsewhere: folding would store w twice. */
Test(fold_constants, a_shared_input_is_not_freed_so_its_copy_counts)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(4, 4));
    ol_value *w = pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 4));   /* 64 bytes */
    ol_node *t = IRB_NODE(g, "Transpose", "t", "w_t", w);
    ol_node *mm = IRB_NODE(g, "MatMul", "mm", "p", x, t->outputs[0]);
    irb_output(g, IRB_NODE(g, "Add", "add", "y", mm->outputs[0], w)->outputs[0]);
    cr_assert_not(pt_run(pass, model, "size-limit=63"));
    cr_assert_eq(ptest_count_ops(g, "Transpose"), 1);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run(pass, model, "size-limit=64"));
    cr_assert_eq(ptest_count_ops(g, "Transpose"), 0);
    cr_assert_eq(g->n_initializers, 2);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

/* An input read only by the folded node is freed: its size is available to the outputs. */
Test(fold_constants, a_freed_input_pays_for_the_output)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(4, 4));
    ol_node *t = IRB_NODE(g, "Transpose", "t", "w_t", pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 4)));
    irb_output(g, IRB_NODE(g, "MatMul", "mm", "y", x, t->outputs[0])->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run(pass, model, "size-limit=0"));
    cr_assert_eq(ptest_count_ops(g, "Transpose"), 0);
    cr_assert_eq(g->n_initializers, 1);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}
