/* Graph construction: values, inputs, initializers, nodes, outputs, name lookup, fresh names,
 * renaming and erasing values, opsets. */
#include <criterion/criterion.h>
#include <string.h>

#include "ir_builders.h"

Test(ir_graph, empty_model_defaults)
{
    ol_model *model = ol_model_create(&irb_err);
    cr_assert(model);
    cr_assert_eq(model->ir_version, 8);
    cr_assert_null(model->graph);
    cr_assert_eq(model->n_opsets, 0);
    /* A model without a graph is refused by the verifier and the writer alike. */
    ol_error err = {0};
    cr_assert_eq(ol_model_verify(model, &err), OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "model has no graph");
    ol_bytes out;
    ol_error_clear(&err);
    cr_assert_eq(ol_model_write_buffer(model, &out, &err), OL_ERR_INVALID);
    ol_model_destroy(model);
}

Test(ir_graph, opsets_default_domain_aliases)
{
    ol_model *model = irb_model();
    /* "" and "ai.onnx" name the same domain, so setting one updates the other. */
    cr_assert_eq(ol_model_opset(model, ""), 17);
    cr_assert_eq(ol_model_opset(model, "ai.onnx"), 17);
    cr_assert_eq(ol_model_opset(model, NULL), 17);
    cr_assert_eq(ol_model_set_opset(model, "ai.onnx", 18), 0);
    cr_assert_eq(model->n_opsets, 1);
    cr_assert_eq(ol_model_opset(model, ""), 18);
    cr_assert_eq(ol_model_opset(model, "com.microsoft"), 0);
    cr_assert_eq(ol_model_set_opset(model, "com.microsoft", 1), 0);
    cr_assert_eq(model->n_opsets, 2);
    cr_assert_eq(ol_model_opset(model, "com.microsoft"), 1);
    /* Nodes record the version their domain imports when they are created. */
    ol_node *a = ol_graph_add_node(model->graph, "Relu", "", "a", &irb_err);
    ol_node *b = ol_graph_add_node(model->graph, "Gelu", "com.microsoft", "b", &irb_err);
    ol_node *c = ol_graph_add_node(model->graph, "Foo", "org.unknown", NULL, &irb_err);
    cr_assert_eq(a->opset, 18);
    cr_assert_eq(b->opset, 1);
    cr_assert_eq(c->opset, 0);
    cr_assert_str_eq(a->domain, "");
    cr_assert_str_eq(b->domain, "com.microsoft");
    cr_assert_null(c->name);
    ol_model_destroy(model);
}

Test(ir_graph, create_values_inputs_initializers_nodes_outputs)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(3));
    ol_node *add = IRB_NODE(g, "Add", "add", "y", x, w);
    ol_value *y = add->outputs[0];
    irb_output(g, y);

    cr_assert_eq(g->n_inputs, 1);
    cr_assert_eq(g->inputs[0], x);
    cr_assert(x->is_input);
    cr_assert_null(x->producer);
    cr_assert_eq(x->type.kind, OL_TYPE_TENSOR);
    cr_assert_eq(x->type.elem, OL_FLOAT);
    cr_assert_eq(x->type.rank, 2);
    cr_assert_eq(x->type.dims[0].value, 2);
    cr_assert_eq(x->type.dims[1].value, 3);

    /* An initializer takes its type from the tensor, and the tensor takes the value's name. */
    cr_assert_eq(g->n_initializers, 1);
    cr_assert_eq(g->initializers[0], w);
    cr_assert(!w->is_input);
    cr_assert_not_null(w->constant);
    cr_assert_str_eq(w->constant->name, "w");
    cr_assert_eq(w->type.kind, OL_TYPE_TENSOR);
    cr_assert_eq(w->type.rank, 1);
    cr_assert_eq(w->type.dims[0].value, 3);
    cr_assert_eq(ol_value_constant(w), w->constant);
    cr_assert_null(ol_value_constant(x));

    cr_assert_eq(g->n_nodes, 1);
    cr_assert_eq(add->graph, g);
    cr_assert_str_eq(add->op_type, "Add");
    cr_assert_eq(add->n_inputs, 2);
    cr_assert_eq(add->inputs[0], x);
    cr_assert_eq(add->inputs[1], w);
    cr_assert_eq(add->n_outputs, 1);
    cr_assert_eq(y->producer, add);
    cr_assert_eq(y->producer_index, 0);
    cr_assert_str_eq(y->name, "y");
    cr_assert_eq(y->type.kind, OL_TYPE_UNKNOWN);
    cr_assert_eq(y->type.rank, -1);

    cr_assert_eq(g->n_outputs, 1);
    cr_assert_eq(g->outputs[0], y);
    cr_assert(y->is_output);

    /* Values are listed in creation order with increasing ids. */
    cr_assert_eq(g->n_values, 3);
    cr_assert_eq(g->values[0], x);
    cr_assert_eq(g->values[1], w);
    cr_assert_eq(g->values[2], y);
    cr_assert_eq(x->id, 0);
    cr_assert_eq(w->id, 1);
    cr_assert_eq(y->id, 2);
    cr_assert_eq(ol_graph_live_node_count(g), 1);

    cr_assert_eq(ol_graph_find_value(g, "x"), x);
    cr_assert_eq(ol_graph_find_value(g, "y"), y);
    cr_assert_null(ol_graph_find_value(g, "z"));
    cr_assert_null(ol_graph_find_value(g, NULL));
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_graph, omitted_optional_inputs_and_outputs)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(4));
    ol_node *clip = ol_graph_add_node(g, "Clip", "", "clip", &irb_err);
    cr_assert_eq(ol_node_add_input(clip, x, &irb_err), OL_OK);
    cr_assert_eq(ol_node_add_input(clip, NULL, &irb_err), OL_OK);   /* min omitted */
    cr_assert_eq(ol_node_add_output(clip, NULL, &irb_err), OL_OK);  /* output omitted */
    cr_assert_eq(clip->n_inputs, 2);
    cr_assert_null(clip->inputs[1]);
    cr_assert_eq(clip->n_outputs, 1);
    cr_assert_null(clip->outputs[0]);
    IRB_ASSERT_USES(x, {clip, 0});
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_graph, duplicate_and_empty_names_refused)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    irb_input(g, "x", IRB_DIMS(1));
    ol_error err = {0};
    cr_assert_null(ol_graph_add_value(g, "x", &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "value 'x' is defined twice");

    ol_error_clear(&err);
    cr_assert_null(ol_graph_add_value(g, "", &err));
    cr_assert_eq(err.status, OL_ERR_ARG);

    /* An initializer whose name is taken consumes its tensor anyway (no leak under ASan). */
    ol_error_clear(&err);
    ol_tensor *t = ol_tensor_create(OL_FLOAT, IRB_DIMS(1), &err);
    cr_assert_null(ol_graph_add_initializer(g, "x", t, &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
    cr_assert_eq(g->n_initializers, 0);

    /* A node cannot produce a value that is already defined. */
    ol_error_clear(&err);
    ol_node *n = ol_graph_add_node(g, "Relu", "", "r", &err);
    cr_assert_eq(ol_node_add_output(n, ol_graph_find_value(g, "x"), &err), OL_ERR_INVALID);
    cr_assert(strstr(err.message, "'x'") && strstr(err.message, "'r'"), "%s", err.message);
    cr_assert_eq(n->n_outputs, 0);
    cr_assert_eq(g->n_values, 1);
    ol_model_destroy(model);
}

Test(ir_graph, fresh_names_unique_and_deterministic)
{
    ol_model *a = irb_model(), *b = irb_model();
    /* The same calls on two models give the same names. */
    const char *hints[] = {"t", "conv", "", NULL, "conv"};
    for (size_t i = 0; i < sizeof hints / sizeof *hints; i++) {
        char *na = ol_model_fresh_name(a, hints[i]);
        char *nb = ol_model_fresh_name(b, hints[i]);
        cr_assert_str_eq(na, nb);
        free(na);
        free(nb);
    }
    ol_model_destroy(a);
    ol_model_destroy(b);

    ol_model *model = irb_model();
    char *first = ol_model_fresh_name(model, "conv");
    cr_assert_str_eq(first, "conv_ol0");
    free(first);
    /* Names already in use anywhere in the model are skipped. */
    irb_input(model->graph, "relu_ol1", IRB_DIMS(1));
    irb_input(model->graph, "relu_ol2", IRB_DIMS(1));
    char *next = ol_model_fresh_name(model, "relu");
    cr_assert_str_eq(next, "relu_ol3");
    free(next);
    char *dflt = ol_model_fresh_name(model, NULL);
    cr_assert_str_eq(dflt, "t_ol4");
    free(dflt);

    /* Values added without a name get distinct fresh names. */
    ol_value *v1 = ol_graph_add_value(model->graph, NULL, &irb_err);
    ol_value *v2 = ol_graph_add_value(model->graph, NULL, &irb_err);
    cr_assert(v1 && v2);
    cr_assert_str_eq(v1->name, "t_ol5");
    cr_assert_str_eq(v2->name, "t_ol6");
    cr_assert_eq(ol_graph_find_value(model->graph, "t_ol5"), v1);
    ol_model_destroy(model);
}

Test(ir_graph, fresh_names_avoid_subgraph_values)
{
    ol_model *model = irb_read("tests/fixtures/with_if.onnx");
    /* Reserve the next candidate inside a branch: fresh names are unique model-wide. */
    ol_graph *then_g = irb_subgraph(irb_find_node(model->graph, "choose"), "then_branch");
    cr_assert(ol_graph_add_value(then_g, "x_ol0", &irb_err), "%s", irb_err.message);
    char *name = ol_model_fresh_name(model, "x");
    cr_assert_str_eq(name, "x_ol1");
    free(name);
    ol_model_destroy(model);
}

Test(ir_graph, rename)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(1));
    ol_node *add = IRB_NODE(g, "Add", "add", "y", x, w);
    ol_error err = {0};

    cr_assert_eq(ol_value_rename(w, "bias", &err), OL_OK, "%s", err.message);
    cr_assert_str_eq(w->name, "bias");
    /* The initializer's tensor follows, so the file stays consistent. */
    cr_assert_str_eq(w->constant->name, "bias");
    cr_assert_eq(ol_graph_find_value(g, "bias"), w);
    cr_assert_null(ol_graph_find_value(g, "w"));
    /* Renaming to the current name is a no-op. */
    cr_assert_eq(ol_value_rename(w, "bias", &err), OL_OK);

    /* Conflicts and empty names are refused and leave everything as it was. */
    cr_assert_eq(ol_value_rename(w, "y", &err), OL_ERR_ARG);
    cr_assert_str_eq(err.message, "cannot rename 'bias': name 'y' is taken");
    cr_assert_str_eq(w->name, "bias");
    cr_assert_eq(ol_graph_find_value(g, "y"), add->outputs[0]);
    ol_error_clear(&err);
    cr_assert_eq(ol_value_rename(x, "", &err), OL_ERR_ARG);
    ol_error_clear(&err);
    cr_assert_eq(ol_value_rename(x, NULL, &err), OL_ERR_ARG);
    cr_assert_str_eq(x->name, "x");

    /* The writer uses the new name for the node input too. */
    irb_output(g, add->outputs[0]);
    irb_assert_verifies(g);
    ol_bytes bytes = irb_write(model);
    ol_model *back = irb_read_bytes(&bytes);
    ol_node *add2 = irb_find_node(back->graph, "add");
    cr_assert_str_eq(add2->inputs[1]->name, "bias");
    cr_assert_not_null(add2->inputs[1]->constant);
    free(bytes.data);
    ol_model_destroy(back);
    ol_model_destroy(model);
}

Test(ir_graph, rename_conflicts_with_subgraph_names)
{
    ol_model *model = irb_read("tests/fixtures/with_if.onnx");
    ol_value *input = ol_graph_find_value(model->graph, "input");
    ol_error err = {0};
    /* "then_out" only exists inside a branch, but names are unique across the whole model. */
    cr_assert_eq(ol_value_rename(input, "then_out", &err), OL_ERR_ARG);
    cr_assert_str_eq(err.message, "cannot rename 'input': name 'then_out' is taken");
    cr_assert_str_eq(input->name, "input");
    ol_model_destroy(model);
}

Test(ir_graph, erase_value)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(1));
    ol_value *unused = irb_weight(g, "unused", OL_FLOAT, IRB_DIMS(1));
    ol_value *loose = ol_graph_add_value(g, "loose", &irb_err);
    ol_node *add = IRB_NODE(g, "Add", "add", "y", x, w);
    ol_error err = {0};

    /* Connected values stay. */
    cr_assert_eq(ol_graph_erase_value(g, w, &err), OL_ERR_ARG);
    cr_assert_str_eq(err.message, "value 'w' is still connected and cannot be erased");
    ol_error_clear(&err);
    cr_assert_eq(ol_graph_erase_value(g, x, &err), OL_ERR_ARG);
    ol_error_clear(&err);
    cr_assert_eq(ol_graph_erase_value(g, add->outputs[0], &err), OL_ERR_ARG);

    /* An unused initializer leaves the initializer list and the name table; memory waits for compact. */
    cr_assert_eq(ol_graph_erase_value(g, unused, &irb_err), OL_OK);
    cr_assert(unused->erased);
    cr_assert_eq(g->n_initializers, 1);
    cr_assert_eq(g->initializers[0], w);
    cr_assert_null(ol_graph_find_value(g, "unused"));
    cr_assert_eq(ol_graph_erase_value(g, loose, &irb_err), OL_OK);
    cr_assert_eq(g->n_values, 5);
    ol_graph_compact(g);
    cr_assert_eq(g->n_values, 3);
    cr_assert_eq(g->values[0], x);
    cr_assert_eq(g->values[1], w);
    cr_assert_eq(g->values[2], add->outputs[0]);
    /* The name is free again. */
    cr_assert(ol_graph_add_value(g, "unused", &irb_err));
    irb_assert_verifies(g);
    ol_model_destroy(model);
}

Test(ir_graph, erase_value_of_another_graph_refused)
{
    ol_model *a = irb_model(), *b = irb_model();
    ol_value *v = ol_graph_add_value(b->graph, "v", &irb_err);
    ol_error err = {0};
    cr_assert_eq(ol_graph_erase_value(a->graph, v, &err), OL_ERR_ARG);
    cr_assert_str_eq(err.message, "value 'v' belongs to another graph");
    cr_assert_eq(ol_graph_add_output(a->graph, v, &err), OL_ERR_ARG);
    cr_assert(!v->erased);
    ol_model_destroy(a);
    ol_model_destroy(b);
}

Test(ir_graph, resolve_through_enclosing_graphs)
{
    ol_model *model = irb_read("tests/fixtures/with_if.onnx");
    ol_graph *g = model->graph;
    ol_graph *else_g = irb_subgraph(irb_find_node(g, "choose"), "else_branch");
    cr_assert_eq(else_g->parent, g);
    /* "cond" is only in the main graph; the branch resolves it by walking up. */
    cr_assert_null(ol_graph_find_value(else_g, "cond"));
    cr_assert_eq(ol_graph_resolve_value(else_g, "cond"), ol_graph_find_value(g, "cond"));
    /* A name the branch references resolves to the local outer reference first. */
    ol_value *ref = ol_graph_resolve_value(else_g, "shifted");
    cr_assert_eq(ref->graph, else_g);
    cr_assert_eq(ref->outer, ol_graph_find_value(g, "shifted"));
    cr_assert_null(ol_graph_resolve_value(g, "else_out"));

    /* A subgraph may not define a name that an enclosing graph already has (ONNX scoping). */
    ol_error err = {0};
    cr_assert_null(ol_graph_add_value(else_g, "input", &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
    ol_model_destroy(model);
}
