/* dedupe-initializers: identical tensors share one initializer, the first in file order. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_dedupe_initializers;

Test(dedupe_initializers, identical_tensors_share_the_first)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 2));
    const float v[4] = {1, 2, 3, 4}, w[4] = {1, 2, 3, 5};
    ol_value *a = pt_floats(g, "a", IRB_DIMS(2, 2), v);
    ol_value *b = pt_floats(g, "b", IRB_DIMS(2, 2), v);
    ol_value *c = pt_floats(g, "c", IRB_DIMS(2, 2), w);    /* one element differs */
    ol_value *d = pt_floats(g, "d", IRB_DIMS(4), v);       /* other shape */
    ol_value *e = pt_floats(g, "e", IRB_DIMS(2, 2), v);
    ol_node *n1 = IRB_NODE(g, "Add", "n1", "y1", x, a);
    ol_node *n2 = IRB_NODE(g, "Mul", "n2", "y2", n1->outputs[0], b);
    ol_node *n3 = IRB_NODE(g, "Sub", "n3", "y3", n2->outputs[0], c);
    ol_node *n4 = IRB_NODE(g, "Reshape", "n4", "y4", n3->outputs[0], PT_INTS(g, "shape", 4));
    ol_node *n5 = IRB_NODE(g, "Add", "n5", "y", n4->outputs[0], d);
    irb_output(g, n5->outputs[0]);
    irb_output(g, IRB_NODE(g, "Div", "n7", "z", n3->outputs[0], e)->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(n2->inputs[1], a);
    cr_assert_eq(irb_find_node(g, "n7")->inputs[1], a);
    cr_assert_eq(n3->inputs[1], c);
    cr_assert_eq(n5->inputs[1], d);
    cr_assert_null(ol_graph_find_value(g, "b"));
    cr_assert_null(ol_graph_find_value(g, "e"));
    cr_assert_eq(g->n_initializers, 4);   /* a, c, d, shape */
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(dedupe_initializers, each_subgraph_on_its_own)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *cond = pt_input(g, "cond", OL_BOOL, 0, NULL, NULL);
    ol_node *node = IRB_NODE(g, "If", "if", "y", cond);
    for (int k = 0; k < 2; k++) {
        ol_graph *branch = ptest_attach_subgraph(node, k ? "else_branch" : "then_branch");
        ol_value *p = PT_INTS(branch, k ? "e1" : "t1", 7, 8);
        ol_value *q = PT_INTS(branch, k ? "e2" : "t2", 7, 8);
        irb_output(branch, IRB_NODE(branch, "Add", k ? "eadd" : "tadd", k ? "eo" : "to", p, q)->outputs[0]);
    }
    irb_output(g, node->outputs[0]);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(irb_subgraph(node, "then_branch")->n_initializers, 1);
    cr_assert_eq(irb_subgraph(node, "else_branch")->n_initializers, 1);
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

/* Large tensors are bucketed by a sample of their bytes: ones that agree everywhere the sample looks
 * but differ in between stay apart, and exact copies still merge. */
Test(dedupe_initializers, large_tensors_differing_between_sampled_bytes)
{
    enum { N = 4096, COPIES = 6 };
    float *v = calloc(N, sizeof *v);
    cr_assert(v);
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(N));
    ol_value *w[COPIES];
    for (int k = 0; k < COPIES; k++) {
        /* Tensors 0-2 differ from each other at one element each; 3-5 copy 0-2. */
        memset(v, 0, N * sizeof *v);
        v[N / 2 + 1 + k % 3] = 1.0f;   /* mid-tensor, between the sampled words */
        char name[8];
        snprintf(name, sizeof name, "w%d", k);
        w[k] = pt_floats(g, name, IRB_DIMS(N), v);
    }
    ol_value *y = x;
    for (int k = 0; k < COPIES; k++) {
        char name[8];
        snprintf(name, sizeof name, "add%d", k);
        y = IRB_NODE(g, "Add", name, NULL, y, w[k])->outputs[0];
    }
    irb_output(g, y);
    ol_model *before = pt_clone(model);
    cr_assert(pt_run_settled(pass, model, NULL));
    cr_assert_eq(g->n_initializers, 3);
    for (int k = 0; k < COPIES; k++) {
        char name[8];
        snprintf(name, sizeof name, "add%d", k);
        cr_assert_eq(irb_find_node(g, name)->inputs[1], w[k % 3], "add%d reads w%d", k, k % 3);
    }
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
    free(v);
}
