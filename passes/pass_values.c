/* Node and value queries, safe replacement, and removal of what a rewrite left unused. */
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"

bool pass_is_onnx(const ol_node *node)
{
    return !node->domain || !*node->domain || strcmp(node->domain, "ai.onnx") == 0;
}

bool pass_is_op(const ol_node *node, const char *op_type)
{
    return node && !node->erased && pass_is_onnx(node) && strcmp(node->op_type, op_type) == 0;
}

bool pass_has_subgraphs(const ol_node *node)
{
    for (size_t a = 0; a < node->n_attrs; a++)
        if (node->attrs[a].g || node->attrs[a].graphs || node->attrs[a].type == OL_ATTR_GRAPH ||
            node->attrs[a].type == OL_ATTR_GRAPHS)
            return true;
    return false;
}

ol_value *pass_input(const ol_node *node, size_t i)
{
    return i < node->n_inputs ? node->inputs[i] : NULL;
}

bool pass_output_unused(const ol_node *node, size_t i)
{
    const ol_value *v = i < node->n_outputs ? node->outputs[i] : NULL;
    return !v || (v->n_uses == 0 && !v->is_output);
}

const ol_tensor *pass_constant(const ol_value *value)
{
    if (!value)
        return NULL;
    const ol_value *base = value;
    while (base->outer)
        base = base->outer;
    if (base->is_input)
        return NULL;
    return ol_value_constant(value);
}

bool pass_single_use_by(const ol_value *value, const ol_node *node)
{
    return value && !value->is_output && value->n_uses == 1 && value->uses[0].node == node &&
           value->uses[0].index != OL_IMPLICIT_USE;
}

bool pass_can_replace(const ol_value *from, const ol_value *to)
{
    if (from == to)
        return true;
    if (!from || !to || from->graph != to->graph)
        return false;
    if (from->is_output && (to->is_input || to->is_output || to->constant || to->outer))
        return false;
    return true;
}

bool pass_static_shape(const ol_value *value, int *rank, int64_t *dims)
{
    const ol_tensor *c = pass_constant(value);
    if (c) {
        *rank = c->rank;
        for (int d = 0; d < c->rank; d++)
            dims[d] = c->dims[d];
        return true;
    }
    if (!value || !ol_type_is_static(&value->type) || value->type.rank > OL_MAX_RANK)
        return false;
    *rank = value->type.rank;
    for (int d = 0; d < value->type.rank; d++)
        dims[d] = value->type.dims[d].value;
    return true;
}

ol_dtype pass_elem_type(const ol_value *value)
{
    if (!value)
        return OL_UNDEFINED;
    const ol_tensor *c = pass_constant(value);
    if (c)
        return c->dtype;
    return value->type.kind == OL_TYPE_TENSOR ? value->type.elem : OL_UNDEFINED;
}

ol_value *pass_add_initializer(ol_graph *graph, const char *hint, ol_tensor *tensor, ol_error *err)
{
    char *name = ol_model_fresh_name(graph->model, hint);
    if (!name) {
        ol_tensor_destroy(tensor);
        ol_fail(err, OL_ERR_NOMEM, "out of memory naming a new initializer");
        return NULL;
    }
    ol_value *v = ol_graph_add_initializer(graph, name, tensor, err);
    free(name);
    return v;
}

/* Node and values a rewrite may remove once nothing reads them. */
static bool node_is_dead(const ol_node *node)
{
    if (node->erased || !pass_is_onnx(node))
        return false;
    for (size_t i = 0; i < node->n_outputs; i++)
        if (!pass_output_unused(node, i))
            return false;
    return true;
}

ol_status pass_drop_if_unused(ol_graph *graph, ol_value *value, ol_error *err)
{
    if (!value || value->erased || value->graph != graph || value->n_uses || value->is_output ||
        value->is_input)
        return OL_OK;
    /* An outer reference only drops its implicit use: the enclosing graph has been rewritten
     * already, and what that leaves unused there is dead-code elimination's business. */
    if (value->constant || value->outer)
        return ol_graph_erase_value(graph, value, err);
    ol_node *producer = value->producer;
    if (!producer || !node_is_dead(producer))
        return OL_OK;
    ol_graph_erase_node(graph, producer);
    for (size_t i = 0; i < producer->n_outputs; i++) {
        ol_value *out = producer->outputs[i];
        if (out && !out->erased) {
            ol_status st = ol_graph_erase_value(graph, out, err);
            if (st != OL_OK)
                return st;
        }
    }
    return pass_drop_unused_inputs(graph, producer, err);
}

ol_status pass_drop_unused_inputs(ol_graph *graph, const ol_node *node, ol_error *err)
{
    for (size_t i = 0; i < node->n_inputs; i++) {
        ol_status st = pass_drop_if_unused(graph, node->inputs[i], err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

ol_status pass_erase_node(ol_graph *graph, ol_node *node, ol_error *err)
{
    ol_graph_erase_node(graph, node);
    for (size_t i = 0; i < node->n_outputs; i++) {
        ol_value *out = node->outputs[i];
        if (out && !out->erased && !out->n_uses && !out->is_output) {
            ol_status st = ol_graph_erase_value(graph, out, err);
            if (st != OL_OK)
                return st;
        }
    }
    return pass_drop_unused_inputs(graph, node, err);
}

ol_status pass_replace_with_constant(ol_graph *graph, ol_value *value, ol_tensor *tensor, ol_error *err)
{
    ol_value *constant;
    if (value->is_output) {
        ol_node *node = ol_graph_add_node(graph, "Constant", "", NULL, err);
        if (!node) {
            ol_tensor_destroy(tensor);
            return OL_ERR_NOMEM;
        }
        ol_status st = ol_node_set_attr_tensor(node, "value", tensor, err);
        if (st != OL_OK)
            return st;
        if (!(constant = ol_node_new_output(node, NULL, err)))
            return OL_ERR_NOMEM;
        /* The output keeps a declared type: the tensor's, which is static. */
        if (ol_type_set_tensor(&constant->type, tensor->dtype, tensor->rank, tensor->dims) != 0)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    } else {
        constant = pass_add_initializer(graph, value->name, tensor, err);
        if (!constant)
            return OL_ERR_NOMEM;
    }
    char *name = strdup(value->name);
    if (!name)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_status st = ol_value_replace_all_uses(value, constant, err);
    if (st == OL_OK)
        st = pass_drop_if_unused(graph, value, err);
    /* Keep the original name where the value is gone: models stay diffable against their source. */
    if (st == OL_OK && value->erased && !value->is_output && constant->constant)
        st = ol_value_rename(constant, name, err);
    free(name);
    return st;
}
