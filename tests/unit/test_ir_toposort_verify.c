/* Stable topological sorting, cycle reports, and the verifier's messages for broken invariants.
 * Broken graphs are made either through the public API (values used before a node produces them) or
 * by corrupting links through the internal use-list helpers, as a buggy pass would. */
#include <criterion/criterion.h>
#include <string.h>

#include "ir/ir_internal.h"
#include "ir_builders.h"

static ol_model *model;
static ol_graph *g;
static ol_value *x;

static void setup(void)
{
    model = irb_model();
    g = model->graph;
    x = irb_input(g, "x", IRB_DIMS(4));
}

static void teardown(void)
{
    ol_model_destroy(model);
}

TestSuite(ir_toposort, .init = setup, .fini = teardown);
TestSuite(ir_verify, .init = setup, .fini = teardown);

static void assert_order(ol_node *const *expected, size_t n)
{
    cr_assert_eq(g->n_nodes, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(g->nodes[i], expected[i], "position %zu holds '%s', expected '%s'", i,
                     g->nodes[i]->name, expected[i]->name);
}

Test(ir_toposort, empty_graph)
{
    cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK);
    cr_assert_eq(g->n_nodes, 0);
}

Test(ir_toposort, sorted_graph_keeps_its_order)
{
    /* Two independent chains, interleaved and with the second chain created first: any order that
     * respects the edges is valid, and the sort must keep exactly this one. */
    ol_node *b1 = IRB_NODE(g, "Neg", "b1", "vb1", x);
    ol_node *a1 = IRB_NODE(g, "Relu", "a1", "va1", x);
    ol_node *b2 = IRB_NODE(g, "Neg", "b2", "vb2", b1->outputs[0]);
    ol_node *a2 = IRB_NODE(g, "Relu", "a2", "va2", a1->outputs[0]);
    ol_node *join = IRB_NODE(g, "Add", "join", "sum", a2->outputs[0], b2->outputs[0]);
    ol_node *lone = IRB_NODE(g, "Abs", "lone", "abs", x);
    irb_output(g, join->outputs[0]);
    irb_output(g, lone->outputs[0]);
    ol_node *expected[] = {b1, a1, b2, a2, join, lone};
    for (int round = 0; round < 2; round++) {
        cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK, "%s", irb_err.message);
        assert_order(expected, 6);
    }
    irb_assert_verifies(g);
}

Test(ir_toposort, shuffled_graph_becomes_valid_and_stable)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    ol_node *b = IRB_NODE(g, "Neg", "B", "b", a->outputs[0]);
    ol_node *c = IRB_NODE(g, "Abs", "C", "c", x);
    ol_node *d = IRB_NODE(g, "Add", "D", "d", b->outputs[0], c->outputs[0]);
    irb_output(g, d->outputs[0]);
    /* Reverse the order (ordering is not a link, so a pass may permute nodes freely). */
    ol_node *shuffled[] = {d, c, b, a};
    memcpy(g->nodes, shuffled, sizeof shuffled);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'D' (Add) reads 'b' before node 'B' produces it (cycle or nodes out "
                          "of order)");

    cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK, "%s", irb_err.message);
    /* Ready nodes leave in their current order: C (position 1) and A (3) are ready first, then B,
     * then D. */
    ol_node *expected[] = {c, a, b, d};
    assert_order(expected, 4);
    irb_assert_verifies(g);
}

Test(ir_toposort, drops_erased_nodes)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    ol_node *b = IRB_NODE(g, "Neg", "B", "b", x);
    ol_node *c = IRB_NODE(g, "Abs", "C", "c", b->outputs[0]);
    ol_graph_erase_node(g, a);
    cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK, "%s", irb_err.message);
    ol_node *expected[] = {b, c};
    assert_order(expected, 2);
    cr_assert_eq(ol_graph_live_node_count(g), 2);
}

/* B reads "a" and produces "b"; A reads "b" and produces "a". The value "a" is created before its
 * producer, which is how the API lets a cycle be closed. */
static void make_cycle(ol_node **na, ol_node **nb)
{
    ol_value *a = ol_graph_add_value(g, "a", &irb_err);
    *nb = IRB_NODE(g, "Neg", "B", "b", a);
    *na = ol_graph_add_node(g, "Relu", "", "A", &irb_err);
    cr_assert_eq(ol_node_add_input(*na, (*nb)->outputs[0], &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_output(*na, a, &irb_err), OL_OK, "%s", irb_err.message);
}

Test(ir_toposort, cycle_is_reported_naming_a_node_on_it)
{
    ol_node *na, *nb;
    make_cycle(&na, &nb);
    ol_node *before[] = {nb, na};
    assert_order(before, 2);
    ol_error err = {0};
    cr_assert_eq(ol_graph_toposort(g, &err), OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "graph has a cycle: node 'B' (Neg) depends on its own output "
                                  "through input 'a'");
    /* A failed sort leaves the order alone. */
    assert_order(before, 2);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'B' (Neg) reads 'a' before node 'A' produces it (cycle or nodes out "
                          "of order)");
}

Test(ir_toposort, cycle_report_skips_nodes_downstream_of_it)
{
    /* "down" comes first and cannot be placed, but it only reads from the cycle: naming it would
     * send the user to the wrong place. */
    ol_value *a = ol_graph_add_value(g, "a", &irb_err);
    ol_node *down = IRB_NODE(g, "Abs", "down", "d", a);
    ol_node *nb = IRB_NODE(g, "Neg", "B", "b", a);
    ol_node *na = ol_graph_add_node(g, "Relu", "", "A", &irb_err);
    cr_assert_eq(ol_node_add_input(na, nb->outputs[0], &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_output(na, a, &irb_err), OL_OK);
    irb_output(g, down->outputs[0]);
    ol_error err = {0};
    cr_assert_eq(ol_graph_toposort(g, &err), OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "graph has a cycle: node 'A' (Relu) depends on its own output "
                                  "through input 'b'");
}

Test(ir_toposort, self_loop)
{
    ol_value *a = ol_graph_add_value(g, "a", &irb_err);
    ol_node *n = ol_graph_add_node(g, "Add", "", "self", &irb_err);
    cr_assert_eq(ol_node_add_input(n, x, &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_input(n, a, &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_output(n, a, &irb_err), OL_OK);
    ol_error err = {0};
    cr_assert_eq(ol_graph_toposort(g, &err), OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "graph has a cycle: node 'self' (Add) depends on its own output "
                                  "through input 'a'");
}

Test(ir_verify, valid_graph_passes)
{
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(4));
    ol_node *add = IRB_NODE(g, "Add", "add", "y", x, w);
    irb_output(g, add->outputs[0]);
    irb_assert_verifies(g);
    cr_assert_eq(ol_model_verify(model, &irb_err), OL_OK);
}

Test(ir_verify, dangling_input)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    IRB_NODE(g, "Neg", "B", "b", a->outputs[0]);
    ol_graph_erase_node(g, a);   /* B still reads "a", which nothing defines now */
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'B' (Neg) input 'a' is never defined (dangling)");
}

Test(ir_verify, unnamed_nodes_are_labelled)
{
    ol_value *loose = ol_graph_add_value(g, "loose", &irb_err);
    IRB_NODE(g, "Neg", NULL, "b", loose);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node '(unnamed)' (Neg) input 'loose' is never defined (dangling)");
}

Test(ir_verify, use_list_missing_a_use)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    ol_node *b = IRB_NODE(g, "Neg", "B", "b", a->outputs[0]);
    ol_value_remove_use(a->outputs[0], b, 0);
    const char *msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "node 'B' (Neg) reads 'a' but the value's use list does not record it");
}

Test(ir_verify, use_list_with_a_stale_use)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    ol_node *b = IRB_NODE(g, "Neg", "B", "b", a->outputs[0]);
    cr_assert(ol_value_add_use(a->outputs[0], b, 3));
    const char *msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "value 'a' records a use as input 3 of node 'B' (Neg) that the node does "
                          "not have");
    ol_value_remove_use(a->outputs[0], b, 3);
    /* An implicit use needs a subgraph that reads the value. */
    cr_assert(ol_value_add_use(x, b, OL_IMPLICIT_USE));
    msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "value 'x' records an implicit use by node 'B' whose subgraphs do not read "
                          "it");
}

Test(ir_verify, use_by_erased_node)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    ol_node *b = IRB_NODE(g, "Neg", "B", "b", a->outputs[0]);
    cr_assert(ol_value_add_use(x, b, 5));   /* stale: erase_node only drops the uses it knows */
    ol_graph_erase_node(g, b);
    const char *msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "value 'x' is still used by erased node 'B' (Neg)");
}

Test(ir_verify, value_produced_twice)
{
    ol_node *a = IRB_NODE(g, "Relu", "A", "a", x);
    ol_node *b = ol_graph_add_node(g, "Neg", "", "B", &irb_err);
    cr_assert_eq(ol_node_add_input(b, x, &irb_err), OL_OK);
    /* add_output refuses a value that has a producer, so corrupt an omitted-output slot. */
    cr_assert_eq(ol_node_add_output(b, ol_graph_find_value(g, "a"), &irb_err), OL_ERR_INVALID);
    ol_error_clear(&irb_err);
    cr_assert_eq(ol_node_add_output(b, NULL, &irb_err), OL_OK);
    b->outputs[0] = a->outputs[0];
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "value 'a' is produced twice: by node 'A' (Relu) and by node 'B' (Neg)");
}

Test(ir_verify, value_produced_and_also_an_input)
{
    ol_node *a = ol_graph_add_node(g, "Relu", "", "A", &irb_err);
    cr_assert_eq(ol_node_add_input(a, x, &irb_err), OL_OK);
    /* add_output refuses a graph input; a buggy pass could still link it by hand. */
    cr_assert_eq(ol_node_add_output(a, x, &irb_err), OL_ERR_INVALID);
    ol_error_clear(&irb_err);
    cr_assert_eq(ol_node_add_output(a, NULL, &irb_err), OL_OK);
    a->outputs[0] = x;
    x->producer = a;
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "value 'x' is defined more than once: node 'A' (Relu) produces it, but it is "
                          "also a graph input, initializer or outer reference");
}

Test(ir_verify, read_before_produced)
{
    /* Legal through the API: create the value, read it, and only then add its producer. */
    ol_value *m = ol_graph_add_value(g, "m", &irb_err);
    ol_node *reader = IRB_NODE(g, "Neg", "reader", "r", m);
    ol_node *producer = ol_graph_add_node(g, "Relu", "", "producer", &irb_err);
    cr_assert_eq(ol_node_add_input(producer, x, &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_output(producer, m, &irb_err), OL_OK);
    irb_output(g, reader->outputs[0]);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'reader' (Neg) reads 'm' before node 'producer' produces it (cycle "
                          "or nodes out of order)");
    cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK, "%s", irb_err.message);
    ol_node *expected[] = {producer, reader};
    assert_order(expected, 2);
    irb_assert_verifies(g);
}

Test(ir_verify, initializer_type_mismatch)
{
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(4));
    w->type.elem = OL_INT64;
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "initializer 'w' holds float32 data of rank 1 but is declared int64 of "
                          "rank 1");
}

Test(ir_verify, node_without_op_type)
{
    IRB_NODE(g, "", "nameless_op", "o", x);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'nameless_op' has no op_type");
}

Test(ir_verify, undefined_graph_output)
{
    ol_value *v = ol_graph_add_value(g, "nothing", &irb_err);
    irb_output(g, v);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "graph output 'nothing' is never defined");
}
