/* merge-transposes: composition, cancellation, the NHWC/NCHW ping-pong across unary ops, and what
 * stays. */
#include <criterion/criterion.h>
#include <string.h>

#include "onnxlite/shape.h"
#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_merge_transposes;

static ol_node *transpose(ol_graph *g, const char *name, ol_value *x, const int64_t *perm, size_t n)
{
    ol_node *t = IRB_NODE(g, "Transpose", name, NULL, x);
    if (perm)
        cr_assert_eq(ol_node_set_attr_ints(t, "perm", perm, n, &irb_err), OL_OK);
    return t;
}

static void check(ol_model *model, size_t transposes, size_t nodes)
{
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(model->graph, "Transpose"), transposes);
    cr_assert_eq(ol_graph_live_node_count(model->graph), nodes);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
}

Test(merge_transposes, inverse_pair_cancels)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 2, 3, 4));
    ol_node *to_nhwc = transpose(g, "to_nhwc", x, (int64_t[]){0, 2, 3, 1}, 4);
    ol_node *to_nchw = transpose(g, "to_nchw", to_nhwc->outputs[0], (int64_t[]){0, 3, 1, 2}, 4);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "y", to_nchw->outputs[0]);
    irb_output(g, relu->outputs[0]);
    check(model, 0, 1);
    cr_assert_eq(relu->inputs[0], x);
    ol_model_destroy(model);
}

Test(merge_transposes, chain_composes_into_one)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3, 4));
    ol_node *a = transpose(g, "a", x, (int64_t[]){1, 0, 2}, 3);
    ol_node *b = transpose(g, "b", a->outputs[0], (int64_t[]){0, 2, 1}, 3);
    ol_node *c = transpose(g, "c", b->outputs[0], NULL, 0);   /* reversal */
    irb_output(g, c->outputs[0]);
    check(model, 1, 1);
    size_t n;
    const int64_t *perm = ol_node_attr_ints(pt_producer(g->outputs[0]), "perm", &n);
    /* a then b: [1,0,2] indexed by [0,2,1] = [1,2,0]; then the reversal: [0,2,1] */
    cr_assert(perm && n == 3);
    cr_assert(perm[0] == 0 && perm[1] == 2 && perm[2] == 1, "perm [%lld %lld %lld]", (long long)perm[0],
              (long long)perm[1], (long long)perm[2]);
    ol_model_destroy(model);
}

Test(merge_transposes, ping_pong_across_unary_ops)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 2, 3, 4));
    ol_node *to_nhwc = transpose(g, "to_nhwc", x, (int64_t[]){0, 2, 3, 1}, 4);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", to_nhwc->outputs[0]);
    ol_node *sig = IRB_NODE(g, "Sigmoid", "sigmoid", "s", relu->outputs[0]);
    ol_node *to_nchw = transpose(g, "to_nchw", sig->outputs[0], (int64_t[]){0, 3, 1, 2}, 4);
    irb_output(g, IRB_NODE(g, "Neg", "neg", "y", to_nchw->outputs[0])->outputs[0]);
    cr_assert_eq(ol_model_infer_shapes(model, &irb_err), OL_OK, "%s", irb_err.message);
    check(model, 0, 3);
    cr_assert_eq(relu->inputs[0], x);
    /* The moved ops' types follow the layout they now compute in. */
    cr_assert_eq(sig->outputs[0]->type.dims[1].value, 2);
    cr_assert_eq(sig->outputs[0]->type.dims[3].value, 4);
    cr_assert_eq(ol_model_infer_shapes(model, &irb_err), OL_OK, "%s", irb_err.message);
    ol_model_destroy(model);
}

Test(merge_transposes, shared_inner_transpose_stays_for_its_other_reader)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *a = transpose(g, "a", x, (int64_t[]){1, 0}, 2);
    ol_node *b = transpose(g, "b", a->outputs[0], (int64_t[]){1, 0}, 2);
    irb_output(g, IRB_NODE(g, "Relu", "relu", "y", b->outputs[0])->outputs[0]);
    irb_output(g, a->outputs[0]);
    check(model, 1, 2);
    ol_model_destroy(model);
}

Test(merge_transposes, unary_read_twice_stays)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_node *a = transpose(g, "a", x, (int64_t[]){1, 0}, 2);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", a->outputs[0]);
    ol_node *b = transpose(g, "b", relu->outputs[0], (int64_t[]){1, 0}, 2);
    irb_output(g, b->outputs[0]);
    irb_output(g, relu->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Transpose"), 2);
    ol_model_destroy(model);
}
