/* eliminate-dead on hand-built graphs: what is dead (nodes nobody reads, unused initializers, in
 * every graph), what counts as a read (graph outputs, node inputs, references from subgraphs), and
 * what is never removed (graph inputs, initializers that are graph inputs, subgraph interfaces).
 * Every run goes through the pass manager with the IR verifier after each pass. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ir_builders.h"
#include "onnxlite/ir.h"
#include "pass_builders.h"

#define DIMS IRB_DIMS

static ol_value *out(const ol_node *node)
{
    return node->outputs[0];
}

/* The value is gone from its graph (erased and compacted away). */
static void expect_gone(const ol_graph *graph, const char *name)
{
    cr_expect_null(ol_graph_find_value(graph, name), "'%s' should have been removed", name);
}

static void expect_kept(const ol_graph *graph, const char *name)
{
    cr_expect_not_null(ol_graph_find_value(graph, name), "'%s' should have been kept", name);
}

static bool has_initializer(const ol_graph *graph, const char *name)
{
    for (size_t i = 0; i < graph->n_initializers; i++)
        if (strcmp(graph->initializers[i]->name, name) == 0)
            return true;
    return false;
}

Test(eliminate_dead, removes_a_dead_chain_and_what_only_it_read)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(1, 4));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, DIMS(1, 4));
    ol_value *kept_w = irb_weight(g, "kept_w", OL_FLOAT, DIMS(1, 4));
    /* Dead: a = Add(x, w); b = Relu(a); c = Neg(b); nobody reads c. */
    ol_node *add = IRB_NODE(g, "Add", "add", "a", x, w);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "b", out(add));
    IRB_NODE(g, "Neg", "neg", "c", out(relu));
    /* Live: y = Mul(x, kept_w) is the output. */
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "y", x, kept_w);
    irb_output(g, out(mul));

    cr_assert(ptest_run(model, "eliminate-dead"));
    cr_expect_eq(ol_graph_live_node_count(g), 1);
    cr_expect_eq(g->n_nodes, 1, "erased nodes are compacted away");
    cr_expect_str_eq(g->nodes[0]->name, "mul");
    expect_gone(g, "a");
    expect_gone(g, "b");
    expect_gone(g, "c");
    expect_gone(g, "w");
    cr_expect(!has_initializer(g, "w"));
    cr_expect(has_initializer(g, "kept_w"));
    expect_kept(g, "x");
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(eliminate_dead, keeps_outputs_and_nodes_with_one_output_read)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(2, 4));
    /* Split has two outputs; only the first is read. */
    ol_node *split = IRB_NODE(g, "Split", "split", "first", x);
    cr_assert(ol_node_new_output(split, "second", &irb_err), "%s", irb_err.message);
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", out(split));
    irb_output(g, out(relu));
    /* A graph output that nothing else reads is read by the caller. */
    ol_node *neg = IRB_NODE(g, "Neg", "neg", "n", x);
    irb_output(g, out(neg));

    cr_assert_not(ptest_run(model, "eliminate-dead"), "nothing is dead");
    cr_expect_eq(ol_graph_live_node_count(g), 3);
    expect_kept(g, "second");
    ol_model_destroy(model);
}

Test(eliminate_dead, keeps_graph_inputs_even_unused)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(4));
    irb_input(g, "unused", DIMS(4));
    /* An initializer that is also a graph input (IR < 4 style) is a default the caller may
     * override: part of the interface. */
    ol_value *with_default = irb_weight(g, "with_default", OL_FLOAT, DIMS(4));
    ol_value **inputs = realloc(g->inputs, (g->n_inputs + 1) * sizeof *inputs);
    cr_assert_not_null(inputs);
    g->inputs = inputs;
    g->cap_inputs = g->n_inputs + 1;
    g->inputs[g->n_inputs++] = with_default;
    with_default->is_input = true;
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "y", x);
    irb_output(g, out(relu));

    cr_assert_not(ptest_run(model, "eliminate-dead"));
    cr_expect_eq(g->n_inputs, 3);
    expect_kept(g, "unused");
    expect_kept(g, "with_default");
    cr_expect(has_initializer(g, "with_default"));
    ol_model_destroy(model);
}

Test(eliminate_dead, initializers_option_keeps_unused_initializers)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(4));
    irb_weight(g, "spare", OL_FLOAT, DIMS(4));
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "y", x);
    irb_output(g, out(relu));

    cr_assert_not(ptest_run(model, "eliminate-dead{initializers=false}"));
    cr_expect(has_initializer(g, "spare"));
    cr_assert(ptest_run(model, "eliminate-dead{initializers=true}"));
    cr_expect(!has_initializer(g, "spare"));
    expect_gone(g, "spare");
    ol_model_destroy(model);
}

Test(eliminate_dead, leaves_a_model_without_dead_code_unchanged)
{
    ol_model *model = irb_read("tests/fixtures/small_cnn.onnx");
    size_t nodes = ol_graph_live_node_count(model->graph);
    size_t initializers = model->graph->n_initializers;
    ol_bytes before = irb_write(model);
    cr_assert_not(ptest_run(model, "eliminate-dead"));
    ol_bytes after = irb_write(model);
    cr_expect_eq(ol_graph_live_node_count(model->graph), nodes);
    cr_expect_eq(model->graph->n_initializers, initializers);
    cr_expect(before.size == after.size && memcmp(before.data, after.data, before.size) == 0,
              "the model is written back byte for byte");
    free(before.data);
    free(after.data);
    ol_model_destroy(model);
}

/* ---------------------------------------------------------------------------------------------- */
/* Subgraphs */

/* main: p = Relu(x); out = If(cond) with then_branch T; `out` is the graph output.
 * T: reads p (outer reference); t_out = Identity(t_w) is its output. */
typedef struct if_model {
    ol_model *model;
    ol_graph *g, *then_g;
    ol_value *x, *p;
    ol_node *relu, *choose;
    ol_value *p_ref;   /* p as seen from T */
} if_model;

static if_model make_if_model(void)
{
    if_model m = {.model = irb_model()};
    m.g = m.model->graph;
    m.x = irb_input(m.g, "x", DIMS(4));
    ol_value *cond = irb_input(m.g, "cond", DIMS(1));
    m.relu = IRB_NODE(m.g, "Relu", "relu", "p", m.x);
    m.p = out(m.relu);
    m.choose = IRB_NODE(m.g, "If", "choose", "out", cond);
    irb_output(m.g, out(m.choose));
    m.then_g = ptest_attach_subgraph(m.choose, "then_branch");
    m.p_ref = ol_graph_add_outer_ref(m.then_g, m.p, &irb_err);
    cr_assert(m.p_ref, "%s", irb_err.message);
    ol_value *t_w = irb_weight(m.then_g, "t_w", OL_FLOAT, DIMS(4));
    ol_node *id = IRB_NODE(m.then_g, "Identity", "t_id", "t_out", t_w);
    cr_assert_eq(ol_graph_add_output(m.then_g, out(id), &irb_err), OL_OK, "%s", irb_err.message);
    irb_assert_verifies(m.g);
    return m;
}

Test(eliminate_dead, sweeps_dead_nodes_and_initializers_inside_subgraphs)
{
    if_model m = make_if_model();
    /* Live read of p inside T keeps p; a dead Neg and an unused initializer in T go. */
    ol_node *mul = IRB_NODE(m.then_g, "Mul", "t_mul", "t_prod", m.p_ref, m.p_ref);
    IRB_NODE(m.then_g, "Neg", "t_neg", "t_dead", out(mul));
    irb_weight(m.then_g, "t_spare", OL_FLOAT, DIMS(4));
    ol_node *keep = IRB_NODE(m.then_g, "Add", "t_add", "t_sum", out(mul), m.p_ref);
    cr_assert_eq(ol_graph_add_output(m.then_g, out(keep), &irb_err), OL_OK, "%s", irb_err.message);

    cr_assert(ptest_run(m.model, "eliminate-dead"));
    cr_expect_eq(ptest_count_ops(m.then_g, "Neg"), 0);
    expect_gone(m.then_g, "t_dead");
    expect_gone(m.then_g, "t_spare");
    cr_expect_eq(ptest_count_ops(m.then_g, "Mul"), 1);
    cr_expect_eq(ptest_count_ops(m.g, "Relu"), 1, "the implicit use from T keeps p's producer");
    expect_kept(m.then_g, "p");
    cr_expect_eq(irb_count_uses(m.p, m.choose, OL_IMPLICIT_USE), 1);
    ol_model_destroy(m.model);
}

Test(eliminate_dead, a_subgraph_that_stops_reading_an_outer_value_frees_its_producer)
{
    if_model m = make_if_model();
    /* T's only reader of p is dead: once it goes, the reference goes, then Relu in main. */
    IRB_NODE(m.then_g, "Neg", "t_neg", "t_dead", m.p_ref);

    cr_assert(ptest_run(m.model, "eliminate-dead"));
    cr_expect_eq(ptest_count_ops(m.then_g, "Neg"), 0);
    expect_gone(m.then_g, "p");
    cr_expect_eq(ptest_count_ops(m.g, "Relu"), 0);
    expect_gone(m.g, "p");
    cr_expect_eq(ptest_count_ops(m.g, "If"), 1);
    expect_kept(m.then_g, "t_w");
    ol_model_destroy(m.model);
}

Test(eliminate_dead, a_dead_node_with_subgraphs_goes_with_what_only_they_read)
{
    if_model m = make_if_model();
    IRB_NODE(m.then_g, "Neg", "t_neg", "t_neg_out", m.p_ref);
    /* Make the If dead: the graph's output is now x's Sigmoid instead. */
    ol_node *sig = IRB_NODE(m.g, "Sigmoid", "sig", "s", m.x);
    m.g->outputs[0] = out(sig);
    out(m.choose)->is_output = false;
    out(sig)->is_output = true;

    cr_assert(ptest_run(m.model, "eliminate-dead"));
    cr_expect_eq(ptest_count_ops(m.g, "If"), 0);
    cr_expect_eq(ptest_count_ops(m.g, "Relu"), 0, "read only from the dead If's branch");
    cr_expect_eq(ol_graph_live_node_count(m.g), 1);
    expect_kept(m.g, "cond");
    ol_model_destroy(m.model);
}

Test(eliminate_dead, references_are_released_level_by_level_in_nested_subgraphs)
{
    if_model m = make_if_model();
    /* T holds an inner If J whose branch I reads p through T's reference; J's output is unread. */
    ol_value *t_cond = irb_weight(m.then_g, "t_cond", OL_BOOL, DIMS(1));
    ol_node *inner = IRB_NODE(m.then_g, "If", "inner", "inner_out", t_cond);
    ol_graph *inner_g = ptest_attach_subgraph(inner, "then_branch");
    ol_value *p_ref2 = ol_graph_add_outer_ref(inner_g, m.p_ref, &irb_err);
    cr_assert(p_ref2, "%s", irb_err.message);
    ol_node *neg = IRB_NODE(inner_g, "Neg", "i_neg", "i_out", p_ref2);
    cr_assert_eq(ol_graph_add_output(inner_g, out(neg), &irb_err), OL_OK, "%s", irb_err.message);
    irb_assert_verifies(m.g);

    cr_assert(ptest_run(m.model, "eliminate-dead"));
    cr_expect_eq(ptest_count_ops(m.then_g, "If"), 0, "the inner If is dead");
    expect_gone(m.then_g, "t_cond");
    expect_gone(m.then_g, "p");
    cr_expect_eq(ptest_count_ops(m.g, "Relu"), 0);
    ol_model_destroy(m.model);
}

Test(eliminate_dead, keeps_subgraph_outputs_and_reaches_the_fixpoint_in_one_run)
{
    if_model m = make_if_model();
    /* p's reference in T is unused, so it goes and Relu with it; T's output is read by the If node,
     * not inside T, and stays with what produces it. */
    cr_assert(ptest_run(m.model, "eliminate-dead"));
    expect_gone(m.then_g, "p");
    cr_expect_eq(ptest_count_ops(m.g, "Relu"), 0);
    expect_kept(m.then_g, "t_out");
    expect_kept(m.then_g, "t_w");
    cr_expect_eq(ptest_count_ops(m.then_g, "Identity"), 1);
    cr_expect_not(ptest_run(m.model, "eliminate-dead"), "a second run finds nothing more");
    ol_model_destroy(m.model);
}

Test(eliminate_dead, fixture_with_if_is_already_clean)
{
    ol_model *model = irb_read("tests/fixtures/with_if.onnx");
    size_t nodes = ol_graph_live_node_count(model->graph);
    cr_assert_not(ptest_run(model, "eliminate-dead"));
    cr_expect_eq(ol_graph_live_node_count(model->graph), nodes);
    ol_model_destroy(model);
}
