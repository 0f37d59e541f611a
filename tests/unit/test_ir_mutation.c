/* The link-maintaining mutation API: use lists stay exact through add_input, set_input, erase_node
 * and replace_all_uses, and erase + compact reclaims nodes without disturbing the rest. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ir_builders.h"

Test(ir_mutation, add_input_records_each_use)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    /* A node reading the same value twice has two uses, one per input index. */
    ol_node *mul = IRB_NODE(g, "Mul", "square", "sq", x, x);
    ol_node *add = IRB_NODE(g, "Add", "add", "sum", mul->outputs[0], x);
    IRB_ASSERT_USES(x, {mul, 0}, {mul, 1}, {add, 1});
    IRB_ASSERT_USES(mul->outputs[0], {add, 0});
    cr_assert_eq(add->outputs[0]->n_uses, 0);
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_mutation, set_input_moves_one_use)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_value *y = irb_input(g, "y", IRB_DIMS(2));
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "m", x, x);

    cr_assert_eq(ol_node_set_input(mul, 1, y, &irb_err), OL_OK);
    IRB_ASSERT_USES(x, {mul, 0});
    IRB_ASSERT_USES(y, {mul, 1});
    cr_assert_eq(mul->inputs[1], y);

    /* Setting the same value again changes nothing. */
    cr_assert_eq(ol_node_set_input(mul, 1, y, &irb_err), OL_OK);
    IRB_ASSERT_USES(y, {mul, 1});

    /* NULL omits the input and drops its use. */
    cr_assert_eq(ol_node_set_input(mul, 0, NULL, &irb_err), OL_OK);
    cr_assert_eq(x->n_uses, 0);
    cr_assert_null(mul->inputs[0]);
    cr_assert_eq(ol_node_set_input(mul, 0, x, &irb_err), OL_OK);
    IRB_ASSERT_USES(x, {mul, 0});

    /* Out-of-range indices are refused without side effects. */
    ol_error err = {0};
    cr_assert_eq(ol_node_set_input(mul, 2, x, &err), OL_ERR_ARG);
    cr_assert_str_eq(err.message, "node 'mul' has no input 2");
    IRB_ASSERT_USES(x, {mul, 0});
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_mutation, erase_node_unlinks_inputs_and_outputs)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *a = IRB_NODE(g, "Relu", "a", "ra", x);
    ol_node *b = IRB_NODE(g, "Neg", "b", "nb", x);
    ol_node *c = IRB_NODE(g, "Add", "c", "sum", a->outputs[0], b->outputs[0]);
    irb_output(g, c->outputs[0]);
    ol_value *ra = a->outputs[0];

    ol_graph_erase_node(g, c);
    /* c's inputs forget it; its output loses its producer but is still a graph output. */
    cr_assert(c->erased);
    cr_assert_eq(ra->n_uses, 0);
    cr_assert_eq(b->outputs[0]->n_uses, 0);
    cr_assert_null(g->outputs[0]->producer);
    cr_assert_eq(ol_graph_live_node_count(g), 2);
    cr_assert_eq(g->n_nodes, 3);   /* memory stays until compact, so loops over nodes are safe */
    /* Erasing twice is harmless. */
    ol_graph_erase_node(g, c);
    cr_assert_eq(ol_graph_live_node_count(g), 2);

    ol_graph_erase_node(g, a);
    IRB_ASSERT_USES(x, {b, 0});
    cr_assert_null(ra->producer);
    ol_graph_compact(g);
    cr_assert_eq(g->n_nodes, 1);
    cr_assert_eq(g->nodes[0], b);
    cr_assert_eq(ol_graph_live_node_count(g), 1);
    /* The values of erased nodes remain (a pass may reconnect them); "sum" is now undefined. */
    cr_assert_eq(ol_graph_find_value(g, "ra"), ra);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "graph output 'sum' is never defined");
    ol_model_destroy(model);
}

Test(ir_mutation, replace_all_uses_moves_every_use)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *a = IRB_NODE(g, "Relu", "a", "ra", x);
    ol_node *b = IRB_NODE(g, "Relu", "b", "rb", x);   /* a duplicate of a */
    ol_value *ra = a->outputs[0], *rb = b->outputs[0];
    ol_node *u1 = IRB_NODE(g, "Neg", "u1", "n1", rb);
    ol_node *u2 = IRB_NODE(g, "Mul", "u2", "m2", ra, rb);
    ol_node *u3 = IRB_NODE(g, "Add", "u3", "s3", u1->outputs[0], u2->outputs[0]);
    irb_output(g, u3->outputs[0]);

    cr_assert_eq(ol_value_replace_all_uses(rb, ra, &irb_err), OL_OK, "%s", irb_err.message);
    /* Existing uses first, then the moved ones in their original order. */
    IRB_ASSERT_USES(ra, {u2, 0}, {u1, 0}, {u2, 1});
    cr_assert_eq(rb->n_uses, 0);
    cr_assert_eq(u1->inputs[0], ra);
    cr_assert_eq(u2->inputs[0], ra);
    cr_assert_eq(u2->inputs[1], ra);
    /* The dead duplicate can now go. */
    ol_graph_erase_node(g, b);
    cr_assert_eq(ol_graph_erase_value(g, rb, &irb_err), OL_OK, "%s", irb_err.message);
    ol_graph_compact(g);
    cr_assert_eq(g->n_nodes, 4);
    cr_assert_null(ol_graph_find_value(g, "rb"));
    irb_assert_verifies(g);
    /* Replacing a value by itself is a no-op. */
    cr_assert_eq(ol_value_replace_all_uses(ra, ra, &irb_err), OL_OK);
    IRB_ASSERT_USES(ra, {u2, 0}, {u1, 0}, {u2, 1});
    ol_model_destroy(model);
}

Test(ir_mutation, replace_graph_output_renames_the_replacement)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *id = IRB_NODE(g, "Identity", "id", "result", x);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "relu_out", x);
    ol_node *use = IRB_NODE(g, "Neg", "use", "neg", id->outputs[0]);
    ol_value *result = id->outputs[0], *relu_out = relu->outputs[0];
    irb_output(g, result);
    irb_output(g, use->outputs[0]);

    cr_assert_eq(ol_value_replace_all_uses(result, relu_out, &irb_err), OL_OK, "%s", irb_err.message);
    /* The interface keeps its name: the replacement is now called "result" and is the output. */
    cr_assert_eq(g->outputs[0], relu_out);
    cr_assert_str_eq(relu_out->name, "result");
    cr_assert(relu_out->is_output);
    cr_assert(!result->is_output);
    cr_assert_str_eq(result->name, "relu_out");
    cr_assert_eq(ol_graph_find_value(g, "result"), relu_out);
    cr_assert_eq(ol_graph_find_value(g, "relu_out"), result);
    IRB_ASSERT_USES(relu_out, {use, 0});
    cr_assert_eq(result->n_uses, 0);
    irb_assert_verifies(g);

    ol_graph_erase_node(g, id);
    cr_assert_eq(ol_graph_erase_value(g, result, &irb_err), OL_OK);
    ol_graph_compact(g);
    irb_assert_verifies(g);
    /* The written model has one output named "result", produced by the Relu. */
    ol_bytes bytes = irb_write(model);
    ol_model *back = irb_read_bytes(&bytes);
    cr_assert_str_eq(back->graph->outputs[0]->name, "result");
    cr_assert_str_eq(back->graph->outputs[0]->producer->op_type, "Relu");
    free(bytes.data);
    ol_model_destroy(back);
    ol_model_destroy(model);
}

Test(ir_mutation, replace_graph_output_by_input_fails_cleanly)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(2));
    ol_node *id = IRB_NODE(g, "Identity", "id", "out", x);
    ol_node *other = IRB_NODE(g, "Relu", "other", "out2", x);
    ol_node *use = IRB_NODE(g, "Neg", "use", "neg", id->outputs[0]);
    ol_value *out = id->outputs[0];
    irb_output(g, out);
    irb_output(g, other->outputs[0]);
    irb_output(g, use->outputs[0]);

    /* Each refused replacement names both values and changes nothing. */
    ol_value *refused[] = {x, w, other->outputs[0]};
    for (size_t i = 0; i < 3; i++) {
        ol_error err = {0};
        cr_assert_eq(ol_value_replace_all_uses(out, refused[i], &err), OL_ERR_UNSUPPORTED);
        cr_assert(strstr(err.message, "'out'") && strstr(err.message, refused[i]->name), "%s",
                  err.message);
        cr_assert_str_eq(out->name, "out");
        cr_assert(out->is_output);
        cr_assert_eq(g->outputs[0], out);
        IRB_ASSERT_USES(out, {use, 0});
    }
    IRB_ASSERT_USES(x, {id, 0}, {other, 0});
    cr_assert_str_eq(x->name, "x");
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_mutation, replace_by_value_of_another_graph_refused)
{
    ol_model *model = irb_read("tests/fixtures/with_if.onnx");
    ol_graph *g = model->graph;
    ol_node *choose = irb_find_node(g, "choose");
    ol_graph *then_g = irb_subgraph(choose, "then_branch");
    ol_value *input = ol_graph_find_value(g, "input");
    ol_value *two = ol_graph_find_value(then_g, "two");
    ol_error err = {0};
    /* A main-graph node cannot read a branch-local value. */
    cr_assert_eq(ol_value_replace_all_uses(input, two, &err), OL_ERR_ARG);
    cr_assert(strstr(err.message, "'input'") && strstr(err.message, "'two'"), "%s", err.message);
    cr_assert_eq(input->n_uses, 1);
    cr_assert_eq(two->n_uses, 1);
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_mutation, erase_compact_keeps_order_and_ids)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2));
    ol_node *nodes[6];
    ol_value *prev = x;
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "n%d", i);
        nodes[i] = IRB_NODE(g, "Relu", name, NULL, prev);
        prev = nodes[i]->outputs[0];
    }
    irb_output(g, prev);
    /* Bypass n1 and n3 (Relu is idempotent) and erase them. */
    for (int i = 1; i <= 3; i += 2) {
        cr_assert_eq(ol_value_replace_all_uses(nodes[i]->outputs[0], nodes[i - 1]->outputs[0], &irb_err),
                     OL_OK);
        ol_value *dead = nodes[i]->outputs[0];
        ol_graph_erase_node(g, nodes[i]);
        cr_assert_eq(ol_graph_erase_value(g, dead, &irb_err), OL_OK);
    }
    cr_assert_eq(ol_graph_live_node_count(g), 4);
    ol_graph_compact(g);
    cr_assert_eq(g->n_nodes, 4);
    ol_node *expected[] = {nodes[0], nodes[2], nodes[4], nodes[5]};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(g->nodes[i], expected[i], "node %d", i);
    cr_assert_eq(g->n_values, 5);   /* x and the outputs of the four live nodes */
    IRB_ASSERT_USES(nodes[0]->outputs[0], {nodes[2], 0});
    IRB_ASSERT_USES(nodes[2]->outputs[0], {nodes[4], 0});
    /* New objects keep getting fresh ids after a compact. */
    ol_node *late = IRB_NODE(g, "Relu", "late", NULL, x);
    cr_assert_eq(late->id, 6);
    cr_assert_eq(late->outputs[0]->id, 7);
    irb_assert_verifies(g);
    ol_model_destroy(model);
}
