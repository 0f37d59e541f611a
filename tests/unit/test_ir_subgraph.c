/* Subgraphs and outer references. tests/fixtures/with_if.onnx holds
 *
 *   shifted = Add(input, C)                        node "shift"
 *   output  = If(cond)                             node "choose"
 *     else_branch: else_out = Sub(shifted, C)
 *     then_branch: two = Constant(); then_out = Mul(shifted, two)
 *
 * so "shifted" is read by both branches and "C" by the else branch and by "shift". Nested scoping is
 * tested on a model built here with protobuf-c (see nested_model()). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"
#include "ir_builders.h"
#include "onnx.pb-c.h"

static ol_model *model;
static ol_graph *g, *then_g, *else_g;
static ol_node *shift, *choose;
static ol_value *shifted, *c_init, *cond;

static void load_with_if(void)
{
    model = irb_read("tests/fixtures/with_if.onnx");
    g = model->graph;
    shift = irb_find_node(g, "shift");
    choose = irb_find_node(g, "choose");
    then_g = irb_subgraph(choose, "then_branch");
    else_g = irb_subgraph(choose, "else_branch");
    shifted = ol_graph_find_value(g, "shifted");
    c_init = ol_graph_find_value(g, "C");
    cond = ol_graph_find_value(g, "cond");
    cr_assert(shifted && c_init && cond);
}

static void teardown(void)
{
    ol_model_destroy(model);
    model = NULL;
}

TestSuite(ir_subgraph, .init = load_with_if, .fini = teardown);

/* The first live node of `graph` with this op_type. */
static ol_node *node_of_type(const ol_graph *graph, const char *op_type)
{
    for (size_t i = 0; i < graph->n_nodes; i++)
        if (!graph->nodes[i]->erased && strcmp(graph->nodes[i]->op_type, op_type) == 0)
            return graph->nodes[i];
    cr_assert_fail("no %s node", op_type);
    return NULL;
}

/* Writes, reads back and verifies; returns the re-read model. */
static ol_model *round_trip(const ol_model *m)
{
    ol_bytes bytes = irb_write(m);
    ol_model *back = irb_read_bytes(&bytes);
    free(bytes.data);
    cr_assert_eq(ol_model_verify(back, &irb_err), OL_OK, "%s", irb_err.message);
    return back;
}

Test(ir_subgraph, outer_values_have_implicit_uses)
{
    cr_assert_eq(then_g->parent, g);
    cr_assert_eq(then_g->owner, choose);
    cr_assert_eq(else_g->owner, choose);
    /* One implicit use per branch that reads the value. */
    IRB_ASSERT_USES(shifted, {choose, OL_IMPLICIT_USE}, {choose, OL_IMPLICIT_USE});
    IRB_ASSERT_USES(c_init, {shift, 1}, {choose, OL_IMPLICIT_USE});
    IRB_ASSERT_USES(cond, {choose, 0});

    /* Inside a branch the name stands for a local reference to the outer value. */
    ol_value *ref = ol_graph_find_value(then_g, "shifted");
    cr_assert_not_null(ref);
    cr_assert_eq(ref->graph, then_g);
    cr_assert_eq(ref->outer, shifted);
    cr_assert_null(ref->producer);
    ol_node *mul = node_of_type(then_g, "Mul");
    IRB_ASSERT_USES(ref, {mul, 0});
    cr_assert_eq(mul->inputs[0], ref);
    /* Constants are seen through references. */
    ol_value *c_ref = ol_graph_find_value(else_g, "C");
    cr_assert_eq(c_ref->outer, c_init);
    cr_assert_eq(ol_value_constant(c_ref), c_init->constant);
    cr_assert_null(ol_graph_find_value(then_g, "C"));
    cr_assert_eq(then_g->n_outputs, 1);
    cr_assert_str_eq(then_g->outputs[0]->name, "then_out");
    irb_assert_verifies(g);
}

Test(ir_subgraph, replace_all_uses_retargets_branch_references)
{
    ol_value *input = ol_graph_find_value(g, "input");
    ol_node *neg = IRB_NODE(g, "Neg", "neg", "negated", input);
    ol_value *negated = neg->outputs[0];
    ol_value *then_ref = ol_graph_find_value(then_g, "shifted");
    ol_value *else_ref = ol_graph_find_value(else_g, "shifted");

    cr_assert_eq(ol_value_replace_all_uses(shifted, negated, &irb_err), OL_OK, "%s", irb_err.message);
    /* The same reference objects now point at the new value and carry its name, since the file
     * format links scopes by name. */
    cr_assert_eq(then_ref->outer, negated);
    cr_assert_eq(else_ref->outer, negated);
    cr_assert_str_eq(then_ref->name, "negated");
    cr_assert_str_eq(else_ref->name, "negated");
    cr_assert_eq(ol_graph_find_value(then_g, "negated"), then_ref);
    cr_assert_null(ol_graph_find_value(then_g, "shifted"));
    cr_assert_null(ol_graph_find_value(else_g, "shifted"));
    IRB_ASSERT_USES(negated, {choose, OL_IMPLICIT_USE}, {choose, OL_IMPLICIT_USE});
    cr_assert_eq(shifted->n_uses, 0);

    /* "neg" was appended after the If that now depends on it. */
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'choose' (If) reads 'negated' in subgraph 'else_branch' before node "
                          "'neg' produces it");
    cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_lt(irb_node_index(g, neg), irb_node_index(g, choose));
    irb_assert_verifies(g);

    /* The dead Add can go; C keeps the branch's use. */
    ol_graph_erase_node(g, shift);
    IRB_ASSERT_USES(c_init, {choose, OL_IMPLICIT_USE});
    ol_graph_compact(g);
    irb_assert_verifies(g);

    ol_model *back = round_trip(model);
    ol_graph *then2 = irb_subgraph(irb_find_node(back->graph, "choose"), "then_branch");
    ol_value *ref2 = node_of_type(then2, "Mul")->inputs[0];
    cr_assert_str_eq(ref2->name, "negated");
    cr_assert_eq(ref2->outer, ol_graph_find_value(back->graph, "negated"));
    ol_model_destroy(back);
}

Test(ir_subgraph, replace_merges_with_an_existing_reference)
{
    /* The else branch reads both "shifted" and "C"; replacing one by the other must leave one
     * reference named "C" there, not two values with the same name. */
    ol_value *else_c = ol_graph_find_value(else_g, "C");
    ol_node *sub = node_of_type(else_g, "Sub");
    cr_assert_eq(ol_value_replace_all_uses(shifted, c_init, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(sub->inputs[0], else_c);
    cr_assert_eq(sub->inputs[1], else_c);
    IRB_ASSERT_USES(else_c, {sub, 1}, {sub, 0});
    cr_assert_eq(ol_graph_find_value(else_g, "C"), else_c);
    cr_assert_null(ol_graph_find_value(else_g, "shifted"));
    cr_assert_str_eq(ol_graph_find_value(then_g, "C")->name, "C");
    /* One implicit use per remaining reference: one in each branch. */
    cr_assert_eq(irb_count_uses(c_init, choose, OL_IMPLICIT_USE), 2);
    cr_assert_eq(irb_count_uses(c_init, shift, 1), 1);
    cr_assert_eq(c_init->n_uses, 3);
    irb_assert_verifies(g);
    ol_graph_compact(else_g);
    irb_assert_verifies(g);

    ol_model *back = round_trip(model);
    ol_graph *else2 = irb_subgraph(irb_find_node(back->graph, "choose"), "else_branch");
    ol_node *sub2 = node_of_type(else2, "Sub");
    cr_assert_str_eq(sub2->inputs[0]->name, "C");
    cr_assert_eq(sub2->inputs[0], sub2->inputs[1]);
    ol_model_destroy(back);
}

Test(ir_subgraph, erase_if_drops_implicit_uses)
{
    ol_graph_erase_node(g, choose);
    cr_assert_eq(shifted->n_uses, 0);
    IRB_ASSERT_USES(c_init, {shift, 1});
    cr_assert_eq(cond->n_uses, 0);
    /* Compacting frees the branches with the node. */
    ol_graph_compact(g);
    cr_assert_eq(g->n_nodes, 1);
    cr_assert_eq(g->nodes[0], shift);
    cr_assert_str_eq(irb_verify_fails(g, OL_ERR_INVALID), "graph output 'output' is never defined");
}

Test(ir_subgraph, toposort_respects_implicit_dependencies)
{
    /* The If has no explicit input from "shift", only its branches read "shifted". */
    ol_node *moved[] = {choose, shift};
    memcpy(g->nodes, moved, sizeof moved);
    const char *msg = irb_verify_fails(g, OL_ERR_INVALID);
    cr_assert_str_eq(msg, "node 'choose' (If) reads 'shifted' in subgraph 'else_branch' before node "
                          "'shift' produces it");
    cr_assert_eq(ol_graph_toposort(g, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(g->nodes[0], shift);
    cr_assert_eq(g->nodes[1], choose);
    irb_assert_verifies(g);
}

Test(ir_subgraph, cycle_through_a_subgraph)
{
    /* shift now reads the If's output, while a branch reads shift's output: a cycle that only the
     * implicit dependency closes. */
    cr_assert_eq(ol_node_set_input(shift, 0, ol_graph_find_value(g, "output"), &irb_err), OL_OK);
    ol_node *order[] = {choose, shift};
    memcpy(g->nodes, order, sizeof order);
    ol_error err = {0};
    cr_assert_eq(ol_graph_toposort(g, &err), OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "graph has a cycle: node 'choose' (If) depends on its own output "
                                  "through 'shifted', read in a subgraph");
    cr_assert_eq(g->nodes[0], choose);
    cr_assert_str_eq(irb_verify_fails(g, OL_ERR_INVALID), "node 'choose' (If) reads 'shifted' in "
                     "subgraph 'else_branch' before node 'shift' produces it");
}

Test(ir_subgraph, verifier_prefixes_subgraph_errors)
{
    ol_value *ref = ol_graph_find_value(then_g, "shifted");
    ol_node *mul = node_of_type(then_g, "Mul");
    ol_value_remove_use(ref, mul, 0);
    const char *msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "in subgraph 'then_branch' of node 'choose': node '(unnamed)' (Mul) reads "
                          "'shifted' but the value's use list does not record it");
}

Test(ir_subgraph, verifier_checks_implicit_use_counts)
{
    /* A reference without its implicit use: replace_all_uses would miss it. */
    ol_value_remove_use(shifted, choose, OL_IMPLICIT_USE);
    const char *msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "node 'choose' (If) has 2 references to 'shifted' in its subgraphs but the "
                          "value's use list records 1");
}

Test(ir_subgraph, verifier_checks_reference_names)
{
    ol_value *input = ol_graph_find_value(g, "input");
    ol_value *ref = ol_graph_find_value(then_g, "shifted");
    ref->outer = input;   /* a retarget that forgot the name */
    ol_value_remove_use(shifted, choose, OL_IMPLICIT_USE);
    cr_assert(ol_value_add_use(input, choose, OL_IMPLICIT_USE));
    const char *msg = irb_verify_fails(g, OL_ERR_INTERNAL);
    cr_assert_str_eq(msg, "in subgraph 'then_branch' of node 'choose': reference 'shifted' refers to "
                          "enclosing value 'input' under another name");
}

Test(ir_subgraph, rename_updates_references)
{
    cr_assert_eq(ol_value_rename(shifted, "moved", &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_str_eq(ol_graph_find_value(then_g, "moved")->name, "moved");
    cr_assert_eq(ol_graph_find_value(else_g, "moved")->outer, shifted);
    cr_assert_null(ol_graph_find_value(then_g, "shifted"));
    irb_assert_verifies(g);
    ol_model *back = round_trip(model);
    cr_assert_str_eq(node_of_type(irb_subgraph(irb_find_node(back->graph, "choose"), "then_branch"),
                                  "Mul")->inputs[0]->name, "moved");
    ol_model_destroy(back);

    /* A reference is renamed through its target only. */
    ol_error err = {0};
    cr_assert_eq(ol_value_rename(ol_graph_find_value(then_g, "moved"), "other", &err), OL_ERR_ARG);
    cr_assert(strstr(err.message, "'moved'"), "%s", err.message);
}

Test(ir_subgraph, removing_a_branch_attribute_drops_its_uses)
{
    cr_assert(ol_node_remove_attr(choose, "else_branch"));
    IRB_ASSERT_USES(shifted, {choose, OL_IMPLICIT_USE});
    IRB_ASSERT_USES(c_init, {shift, 1});
    irb_assert_verifies(g);
    /* Overwriting the other branch with a non-graph attribute does the same. */
    cr_assert_eq(ol_node_set_attr_int(choose, "then_branch", 0, &irb_err), OL_OK);
    cr_assert_eq(shifted->n_uses, 0);
    irb_assert_verifies(g);
}

Test(ir_subgraph, add_outer_ref_records_the_implicit_use)
{
    ol_value *input = ol_graph_find_value(g, "input");
    ol_value *ref = ol_graph_add_outer_ref(then_g, input, &irb_err);
    cr_assert(ref, "%s", irb_err.message);
    cr_assert_eq(ref->outer, input);
    cr_assert_str_eq(ref->name, "input");
    cr_assert_eq(ol_graph_find_value(then_g, "input"), ref);
    IRB_ASSERT_USES(input, {shift, 0}, {choose, OL_IMPLICIT_USE});
    /* Asking again gives the same reference. */
    cr_assert_eq(ol_graph_add_outer_ref(then_g, input, &irb_err), ref);
    cr_assert_eq(input->n_uses, 2);
    irb_assert_verifies(g);

    /* Use it in the branch: then_out = Mul(shifted, two) + input. The Add is connected after the
     * replacement, which would otherwise make it read its own output. */
    ol_node *mul = node_of_type(then_g, "Mul");
    ol_value *then_out = mul->outputs[0];
    ol_node *add = ol_graph_add_node(then_g, "Add", "", "add_input", &irb_err);
    cr_assert(ol_node_new_output(add, NULL, &irb_err));
    cr_assert_eq(ol_value_replace_all_uses(then_out, add->outputs[0], &irb_err), OL_OK, "%s",
                 irb_err.message);
    cr_assert_eq(ol_node_add_input(add, then_out, &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_input(add, ref, &irb_err), OL_OK);
    cr_assert_str_eq(then_g->outputs[0]->name, "then_out");
    cr_assert_eq(then_g->outputs[0], add->outputs[0]);
    cr_assert_eq(mul->outputs[0], then_out);
    irb_assert_verifies(g);

    ol_model *back = round_trip(model);
    ol_node *choose2 = irb_find_node(back->graph, "choose");
    ol_value *input2 = ol_graph_find_value(back->graph, "input");
    cr_assert_eq(irb_count_uses(input2, choose2, OL_IMPLICIT_USE), 1);
    ol_model_destroy(back);

    /* An unused reference can be erased, and its implicit use goes with it. */
    ol_value *c_ref = ol_graph_add_outer_ref(then_g, c_init, &irb_err);
    cr_assert(c_ref);
    cr_assert_eq(irb_count_uses(c_init, choose, OL_IMPLICIT_USE), 2);
    cr_assert_eq(ol_graph_erase_value(then_g, c_ref, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(irb_count_uses(c_init, choose, OL_IMPLICIT_USE), 1);
    irb_assert_verifies(g);
}

Test(ir_subgraph, add_outer_ref_refuses_values_outside_the_parent)
{
    ol_error err = {0};
    /* A sibling branch's value is not in an enclosing scope, nor is one of the graph itself. */
    ol_value *else_out = ol_graph_find_value(else_g, "else_out");
    cr_assert_null(ol_graph_add_outer_ref(then_g, else_out, &err));
    cr_assert_eq(err.status, OL_ERR_ARG);
    cr_assert(strstr(err.message, "'else_out'"), "%s", err.message);
    ol_error_clear(&err);
    cr_assert_null(ol_graph_add_outer_ref(then_g, ol_graph_find_value(then_g, "two"), &err));
    cr_assert_eq(err.status, OL_ERR_ARG);
    ol_error_clear(&err);
    cr_assert_null(ol_graph_add_outer_ref(g, shifted, &err));
    cr_assert_eq(err.status, OL_ERR_ARG);
    cr_assert_eq(shifted->n_uses, 2);
    irb_assert_verifies(g);
}

/* ---- nested subgraphs ---- */

/* Small protobuf-c builders; everything lives until pb_free_all(), after packing. */
static void *pb_mem[64];
static size_t pb_n;

static void *pb_alloc(size_t size)
{
    cr_assert_lt(pb_n, sizeof pb_mem / sizeof *pb_mem);
    void *p = calloc(1, size);
    cr_assert(p);
    return pb_mem[pb_n++] = p;
}

static void pb_free_all(void)
{
    while (pb_n)
        free(pb_mem[--pb_n]);
}

static Onnx__ValueInfoProto *pb_vi(const char *name)
{
    Onnx__ValueInfoProto *vi = pb_alloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)name;
    return vi;
}

static Onnx__NodeProto *pb_node(const char *name, const char *op, const char *input, const char *output)
{
    Onnx__NodeProto *n = pb_alloc(sizeof *n);
    onnx__node_proto__init(n);
    n->name = (char *)name;
    n->op_type = (char *)op;
    n->n_input = 1;
    n->input = pb_alloc(sizeof *n->input);
    n->input[0] = (char *)input;
    n->n_output = 1;
    n->output = pb_alloc(sizeof *n->output);
    n->output[0] = (char *)output;
    n->attribute = pb_alloc(2 * sizeof *n->attribute);
    return n;
}

/* A graph of one node whose output is the graph's output. */
static Onnx__GraphProto *pb_graph(const char *name, Onnx__NodeProto *node)
{
    Onnx__GraphProto *gp = pb_alloc(sizeof *gp);
    onnx__graph_proto__init(gp);
    gp->name = (char *)name;
    gp->n_node = 1;
    gp->node = pb_alloc(sizeof *gp->node);
    gp->node[0] = node;
    gp->n_output = 1;
    gp->output = pb_alloc(sizeof *gp->output);
    gp->output[0] = pb_vi(node->output[0]);
    return gp;
}

static void pb_branch(Onnx__NodeProto *node, const char *attr, Onnx__GraphProto *graph)
{
    Onnx__AttributeProto *a = pb_alloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)attr;
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    a->g = graph;
    node->attribute[node->n_attribute++] = a;
}

/*   a = Relu(x)                                  node "relu"
 *   out = If(cond)                               node "outer_if"
 *     then_branch "outer_then": t1 = If(cond)    node "inner_if"
 *       then_branch "inner_then": t2 = Neg(a)    node "neg"
 *       else_branch "inner_else": t3 = Abs(a)    node "abs"
 *     else_branch "outer_else": e1 = Identity(a) node "id"
 * "a" is read two levels down, so "outer_then" holds a reference that the inner branches refer to. */
static ol_model *nested_model(void)
{
    Onnx__NodeProto *inner_if = pb_node("inner_if", "If", "cond", "t1");
    pb_branch(inner_if, "then_branch", pb_graph("inner_then", pb_node("neg", "Neg", "a", "t2")));
    pb_branch(inner_if, "else_branch", pb_graph("inner_else", pb_node("abs", "Abs", "a", "t3")));
    Onnx__NodeProto *outer_if = pb_node("outer_if", "If", "cond", "out");
    pb_branch(outer_if, "then_branch", pb_graph("outer_then", inner_if));
    pb_branch(outer_if, "else_branch", pb_graph("outer_else", pb_node("id", "Identity", "a", "e1")));

    Onnx__GraphProto *main_g = pb_graph("nested", pb_node("relu", "Relu", "x", "a"));
    Onnx__NodeProto *nodes[] = {main_g->node[0], outer_if};
    main_g->n_node = 2;
    main_g->node = nodes;
    Onnx__ValueInfoProto *inputs[] = {pb_vi("cond"), pb_vi("x")};
    main_g->n_input = 2;
    main_g->input = inputs;
    main_g->output[0] = pb_vi("out");

    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.has_version = 1;
    opset.version = 17;
    Onnx__OperatorSetIdProto *opsets[] = {&opset};
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = opsets;
    m.graph = main_g;
    ol_bytes bytes = {.size = onnx__model_proto__get_packed_size(&m)};
    bytes.data = malloc(bytes.size);
    cr_assert(bytes.data);
    onnx__model_proto__pack(&m, bytes.data);
    pb_free_all();
    ol_model *result = irb_read_bytes(&bytes);
    free(bytes.data);
    return result;
}

typedef struct nested {
    ol_model *model;
    ol_graph *main, *outer_then, *inner_then, *inner_else, *outer_else;
    ol_node *relu, *outer_if, *inner_if;
    ol_value *a;
} nested;

static nested load_nested(void)
{
    nested n = {.model = nested_model()};
    n.main = n.model->graph;
    n.relu = irb_find_node(n.main, "relu");
    n.outer_if = irb_find_node(n.main, "outer_if");
    n.outer_then = irb_subgraph(n.outer_if, "then_branch");
    n.outer_else = irb_subgraph(n.outer_if, "else_branch");
    n.inner_if = irb_find_node(n.outer_then, "inner_if");
    n.inner_then = irb_subgraph(n.inner_if, "then_branch");
    n.inner_else = irb_subgraph(n.inner_if, "else_branch");
    n.a = ol_graph_find_value(n.main, "a");
    return n;
}

Test(ir_subgraph_nested, references_chain_level_by_level)
{
    nested n = load_nested();
    irb_assert_verifies(n.main);
    ol_value *mid = ol_graph_find_value(n.outer_then, "a");
    ol_value *deep = ol_graph_find_value(n.inner_then, "a");
    cr_assert_eq(mid->outer, n.a);
    cr_assert_eq(deep->outer, mid);   /* one level at a time */
    cr_assert_eq(ol_graph_find_value(n.inner_else, "a")->outer, mid);
    IRB_ASSERT_USES(n.a, {n.outer_if, OL_IMPLICIT_USE}, {n.outer_if, OL_IMPLICIT_USE});
    IRB_ASSERT_USES(mid, {n.inner_if, OL_IMPLICIT_USE}, {n.inner_if, OL_IMPLICIT_USE});
    /* "cond" is read by inner_if as an explicit input, through a reference in outer_then. */
    ol_value *cond_ref = ol_graph_find_value(n.outer_then, "cond");
    IRB_ASSERT_USES(cond_ref, {n.inner_if, 0});
    IRB_ASSERT_USES(ol_graph_find_value(n.main, "cond"), {n.outer_if, OL_IMPLICIT_USE}, {n.outer_if, 0});
    cr_assert_eq(ol_graph_resolve_value(n.inner_then, "x"), ol_graph_find_value(n.main, "x"));
    /* References go one level at a time, so that each level's owner records the use. */
    ol_error err = {0};
    cr_assert_null(ol_graph_add_outer_ref(n.inner_then, ol_graph_find_value(n.main, "x"), &err));
    cr_assert_eq(err.status, OL_ERR_ARG);
    ol_value *x_mid = ol_graph_add_outer_ref(n.outer_then, ol_graph_find_value(n.main, "x"), &irb_err);
    cr_assert(x_mid, "%s", irb_err.message);
    ol_value *x_deep = ol_graph_add_outer_ref(n.inner_then, x_mid, &irb_err);
    cr_assert(x_deep, "%s", irb_err.message);
    IRB_ASSERT_USES(x_mid, {n.inner_if, OL_IMPLICIT_USE});
    irb_assert_verifies(n.main);
    ol_model_destroy(n.model);
}

Test(ir_subgraph_nested, rename_reaches_every_level)
{
    nested n = load_nested();
    cr_assert_eq(ol_value_rename(n.a, "activated", &irb_err), OL_OK, "%s", irb_err.message);
    ol_graph *graphs[] = {n.outer_then, n.inner_then, n.inner_else, n.outer_else};
    for (size_t i = 0; i < 4; i++) {
        ol_value *ref = ol_graph_find_value(graphs[i], "activated");
        cr_assert_not_null(ref, "no reference in '%s'", graphs[i]->name);
        cr_assert_null(ol_graph_find_value(graphs[i], "a"));
    }
    irb_assert_verifies(n.main);
    ol_model *back = round_trip(n.model);
    ol_node *inner_if = irb_find_node(irb_subgraph(irb_find_node(back->graph, "outer_if"), "then_branch"),
                                      "inner_if");
    cr_assert_str_eq(irb_find_node(irb_subgraph(inner_if, "then_branch"), "neg")->inputs[0]->name,
                     "activated");
    ol_model_destroy(back);
    ol_model_destroy(n.model);
}

Test(ir_subgraph_nested, replace_retargets_every_level)
{
    nested n = load_nested();
    ol_value *x = ol_graph_find_value(n.main, "x");
    ol_value *mid = ol_graph_find_value(n.outer_then, "a");
    ol_value *deep = ol_graph_find_value(n.inner_then, "a");
    cr_assert_eq(ol_value_replace_all_uses(n.a, x, &irb_err), OL_OK, "%s", irb_err.message);
    /* The middle reference now stands for x; the deep one still refers to the middle one, and both
     * are called "x" so the file links them. */
    cr_assert_eq(mid->outer, x);
    cr_assert_eq(deep->outer, mid);
    cr_assert_str_eq(mid->name, "x");
    cr_assert_str_eq(deep->name, "x");
    cr_assert_str_eq(ol_graph_find_value(n.inner_else, "x")->name, "x");
    cr_assert_eq(ol_graph_find_value(n.outer_else, "x")->outer, x);
    IRB_ASSERT_USES(x, {n.relu, 0}, {n.outer_if, OL_IMPLICIT_USE}, {n.outer_if, OL_IMPLICIT_USE});
    cr_assert_eq(n.a->n_uses, 0);
    irb_assert_verifies(n.main);

    ol_graph_erase_node(n.main, n.relu);
    ol_graph_compact(n.main);
    ol_model *back = round_trip(n.model);
    cr_assert_eq(back->graph->n_nodes, 1);
    ol_node *inner_if = irb_find_node(irb_subgraph(irb_find_node(back->graph, "outer_if"), "then_branch"),
                                      "inner_if");
    cr_assert_str_eq(irb_find_node(irb_subgraph(inner_if, "else_branch"), "abs")->inputs[0]->name, "x");
    ol_model_destroy(back);
    ol_model_destroy(n.model);
}

Test(ir_subgraph_nested, toposort_and_erase)
{
    nested n = load_nested();
    ol_node *moved[] = {n.outer_if, n.relu};
    memcpy(n.main->nodes, moved, sizeof moved);
    cr_assert_eq(ol_graph_toposort(n.main, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(n.main->nodes[0], n.relu);
    irb_assert_verifies(n.main);

    /* Erasing the outer If drops its uses; the inner ones die with its subgraphs. */
    ol_graph_erase_node(n.main, n.outer_if);
    cr_assert_eq(n.a->n_uses, 0);
    cr_assert_eq(ol_graph_find_value(n.main, "cond")->n_uses, 0);
    ol_graph_compact(n.main);
    cr_assert_eq(n.main->n_nodes, 1);
    ol_model_destroy(n.model);
}
