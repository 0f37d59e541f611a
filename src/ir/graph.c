/* Graph, value and node lifetime and the link-maintaining mutation API. */
#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"
#include "util/mem.h"
#include "util/name_map.h"

ol_graph *ol_graph_create(ol_model *model, ol_graph *parent, const char *name, ol_error *err)
{
    ol_graph *graph = calloc(1, sizeof *graph);
    if (!graph || !(graph->names = ol_name_map_create()) || (name && !(graph->name = strdup(name)))) {
        if (graph)
            ol_name_map_destroy(graph->names);
        free(graph);
        ol_fail(err, OL_ERR_NOMEM, "out of memory creating a graph");
        return NULL;
    }
    graph->model = model;
    graph->parent = parent;
    return graph;
}

void ol_value_destroy(ol_value *value)
{
    if (!value)
        return;
    free(value->name);
    ol_type_clear(&value->type);
    free(value->uses);
    ol_tensor_destroy(value->constant);
    free(value->sparse.data);
    free(value->extras.data);
    free(value);
}

void ol_node_destroy(ol_node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->n_attrs; i++)
        ol_attr_clear(&node->attrs[i]);
    free(node->attrs);
    free(node->inputs);
    free(node->outputs);
    free(node->name);
    free(node->op_type);
    free(node->domain);
    free(node->extras.data);
    free(node);
}

void ol_graph_destroy(ol_graph *graph)
{
    if (!graph)
        return;
    for (size_t i = 0; i < graph->n_nodes; i++)
        ol_node_destroy(graph->nodes[i]);
    for (size_t i = 0; i < graph->n_values; i++)
        ol_value_destroy(graph->values[i]);
    free(graph->nodes);
    free(graph->values);
    free(graph->inputs);
    free(graph->outputs);
    free(graph->initializers);
    ol_name_map_destroy(graph->names);
    free(graph->name);
    free(graph->extras.data);
    free(graph);
}

ol_value *ol_graph_find_value(const ol_graph *graph, const char *name)
{
    return name ? ol_name_map_get(graph->names, name) : NULL;
}

ol_value *ol_graph_resolve_value(const ol_graph *graph, const char *name)
{
    for (; graph; graph = graph->parent) {
        ol_value *v = ol_graph_find_value(graph, name);
        if (v)
            return v;
    }
    return NULL;
}

ol_value *ol_graph_add_value(ol_graph *graph, const char *name, ol_error *err)
{
    if (name && !*name) {
        ol_fail(err, OL_ERR_ARG, "a value needs a non-empty name");
        return NULL;
    }
    /* ONNX scoping: a subgraph may not redefine a name visible from an enclosing graph. */
    if (name && ol_graph_resolve_value(graph, name)) {
        ol_fail(err, OL_ERR_INVALID, "value '%s' is defined twice", name);
        return NULL;
    }
    ol_value *value = calloc(1, sizeof *value);
    char *owned = name ? strdup(name) : ol_model_fresh_name(graph->model, "t");
    if (!value || !owned || !OL_RESERVE(graph->values, graph->cap_values, graph->n_values + 1) ||
        !ol_name_map_put(graph->names, owned, value)) {
        free(owned);
        free(value);
        ol_fail(err, OL_ERR_NOMEM, "out of memory adding a value");
        return NULL;
    }
    value->name = owned;
    value->graph = graph;
    value->type.rank = -1;
    value->id = graph->next_value_id++;
    graph->values[graph->n_values++] = value;
    return value;
}

/* Failure paths after add_value: the value stays owned by the graph until compact frees it. */
static void discard_value(ol_graph *graph, ol_value *value)
{
    ol_name_map_remove(graph->names, value->name);
    value->erased = true;
}

ol_value *ol_graph_add_input(ol_graph *graph, const char *name, const ol_type *type, ol_error *err)
{
    ol_value *value = ol_graph_add_value(graph, name, err);
    if (!value)
        return NULL;
    if (!OL_RESERVE(graph->inputs, graph->cap_inputs, graph->n_inputs + 1) ||
        (type && ol_type_copy(&value->type, type) != 0)) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory adding input '%s'", value->name);
        discard_value(graph, value);
        return NULL;
    }
    value->is_input = true;
    graph->inputs[graph->n_inputs++] = value;
    return value;
}

ol_value *ol_graph_add_initializer(ol_graph *graph, const char *name, ol_tensor *tensor, ol_error *err)
{
    const char *use_name = name ? name : tensor->name;
    ol_value *value = ol_graph_add_value(graph, use_name, err);
    if (!value || !OL_RESERVE(graph->initializers, graph->cap_initializers,
                              graph->n_initializers + 1)) {
        if (value) {
            discard_value(graph, value);
            ol_fail(err, OL_ERR_NOMEM, "out of memory adding initializer");
        }
        ol_tensor_destroy(tensor);
        return NULL;
    }
    if (ol_type_set_tensor(&value->type, tensor->dtype, tensor->rank, tensor->dims) != 0 ||
        ol_tensor_set_name(tensor, value->name) != 0) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory adding initializer '%s'", value->name);
        discard_value(graph, value);
        ol_tensor_destroy(tensor);
        return NULL;
    }
    value->constant = tensor;
    graph->initializers[graph->n_initializers++] = value;
    return value;
}

ol_status ol_graph_add_output(ol_graph *graph, ol_value *value, ol_error *err)
{
    if (value->graph != graph)
        return ol_fail(err, OL_ERR_ARG, "output '%s' belongs to another graph", value->name);
    if (!OL_RESERVE(graph->outputs, graph->cap_outputs, graph->n_outputs + 1))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory adding output '%s'", value->name);
    value->is_output = true;
    graph->outputs[graph->n_outputs++] = value;
    return OL_OK;
}

ol_value *ol_graph_add_outer_ref(ol_graph *graph, ol_value *outer, ol_error *err)
{
    /* One level at a time, so that each level's owner node records the use (as the reader does). */
    if (!graph->parent || outer->graph != graph->parent || outer->erased) {
        ol_fail(err, OL_ERR_ARG, "'%s' is not a value of the graph enclosing subgraph '%s'", outer->name,
                graph->name ? graph->name : "");
        return NULL;
    }
    ol_value *existing = ol_graph_find_value(graph, outer->name);
    if (existing) {
        if (existing->outer == outer)
            return existing;
        ol_fail(err, OL_ERR_ARG, "subgraph '%s' already defines '%s'", graph->name ? graph->name : "",
                outer->name);
        return NULL;
    }
    /* The reference shares the outer name; resolve_value must find the local one first, so it is
     * registered in this graph's map directly rather than through add_value's shadowing check. */
    ol_value *value = calloc(1, sizeof *value);
    char *name = strdup(outer->name);
    if (!value || !name || !OL_RESERVE(graph->values, graph->cap_values, graph->n_values + 1) ||
        !ol_name_map_put(graph->names, name, value) || ol_type_copy(&value->type, &outer->type) != 0) {
        if (value && name)
            ol_name_map_remove(graph->names, name);
        free(name);
        free(value);
        ol_fail(err, OL_ERR_NOMEM, "out of memory referencing '%s' from a subgraph", outer->name);
        return NULL;
    }
    value->name = name;
    value->graph = graph;
    value->outer = outer;
    value->id = graph->next_value_id++;
    graph->values[graph->n_values++] = value;
    /* A subgraph not yet attached to a node has no owner to record the use on. */
    if (graph->owner && !ol_value_add_use(outer, graph->owner, OL_IMPLICIT_USE)) {
        discard_value(graph, value);
        ol_fail(err, OL_ERR_NOMEM, "out of memory referencing '%s' from a subgraph", outer->name);
        return NULL;
    }
    return value;
}

ol_status ol_graph_erase_value(ol_graph *graph, ol_value *value, ol_error *err)
{
    if (value->graph != graph)
        return ol_fail(err, OL_ERR_ARG, "value '%s' belongs to another graph", value->name);
    if (value->producer || value->n_uses || value->is_output || value->is_input)
        return ol_fail(err, OL_ERR_ARG, "value '%s' is still connected and cannot be erased",
                       value->name);
    if (value->constant) {
        size_t w = 0;
        for (size_t i = 0; i < graph->n_initializers; i++)
            if (graph->initializers[i] != value)
                graph->initializers[w++] = graph->initializers[i];
        graph->n_initializers = w;
    }
    if (value->outer && graph->owner)
        ol_value_remove_use(value->outer, graph->owner, OL_IMPLICIT_USE);
    ol_name_map_remove(graph->names, value->name);
    value->erased = true;
    return OL_OK;
}

/* Renames `v` in `graph`'s name table (where it may already have lost its entry to another value). */
static bool set_value_name(ol_graph *graph, ol_value *v, const char *name)
{
    char *copy = strdup(name);
    if (!copy)
        return false;
    bool listed = ol_graph_find_value(graph, v->name) == v;
    if (listed)
        ol_name_map_remove(graph->names, v->name);
    if (!ol_name_map_put(graph->names, copy, v)) {
        if (listed)
            ol_name_map_put(graph->names, v->name, v);
        free(copy);
        return false;
    }
    free(v->name);
    v->name = copy;
    return true;
}

/* Gives `value`'s name to the references to it in its users' subgraphs, level by level: the file
 * format links a reference to its target by name only. False when out of memory. */
static bool rename_outer_refs(ol_value *value)
{
    for (size_t u = 0; u < value->n_uses; u++) {
        if (value->uses[u].index != OL_IMPLICIT_USE)
            continue;
        ol_node *node = value->uses[u].node;
        for (size_t a = 0; a < node->n_attrs; a++) {
            ol_attr *attr = &node->attrs[a];
            size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
            for (size_t k = 0; k < n; k++) {
                ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
                for (size_t i = 0; i < sub->n_values; i++) {
                    ol_value *v = sub->values[i];
                    if (v->outer == value && !v->erased && strcmp(v->name, value->name) != 0 &&
                        (!set_value_name(sub, v, value->name) || !rename_outer_refs(v)))
                        return false;
                }
            }
        }
    }
    return true;
}

ol_status ol_value_rename(ol_value *value, const char *name, ol_error *err)
{
    if (!name || !*name)
        return ol_fail(err, OL_ERR_ARG, "cannot rename '%s' to an empty name", value->name);
    if (value->outer)
        return ol_fail(err, OL_ERR_ARG, "cannot rename '%s': it refers to a value of an enclosing graph, "
                       "whose name it shares", value->name);
    if (strcmp(value->name, name) == 0)
        return OL_OK;
    if (ol_model_find_value_anywhere(value->graph->model, name))
        return ol_fail(err, OL_ERR_ARG, "cannot rename '%s': name '%s' is taken", value->name, name);
    char *copy = strdup(name);
    if (!copy)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory renaming '%s'", value->name);
    ol_name_map_remove(value->graph->names, value->name);
    if (!ol_name_map_put(value->graph->names, copy, value)) {
        ol_name_map_put(value->graph->names, value->name, value);
        free(copy);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory renaming '%s'", value->name);
    }
    free(value->name);
    value->name = copy;
    if (value->constant)
        ol_tensor_set_name(value->constant, copy);
    if (!rename_outer_refs(value))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory renaming '%s'", value->name);
    return OL_OK;
}

/* ---- uses ---- */

bool ol_value_add_use(ol_value *value, ol_node *node, int index)
{
    if (!OL_RESERVE(value->uses, value->cap_uses, value->n_uses + 1))
        return false;
    value->uses[value->n_uses++] = (ol_use){.node = node, .index = index};
    return true;
}

void ol_value_remove_use(ol_value *value, ol_node *node, int index)
{
    for (size_t i = 0; i < value->n_uses; i++)
        if (value->uses[i].node == node && value->uses[i].index == index) {
            /* Keep order: use order decides the order of rewritten nodes and thus output bytes. */
            memmove(&value->uses[i], &value->uses[i + 1], (value->n_uses - i - 1) * sizeof *value->uses);
            value->n_uses--;
            return;
        }
}

/* ---- nodes ---- */

ol_node *ol_graph_add_node(ol_graph *graph, const char *op_type, const char *domain, const char *name,
                           ol_error *err)
{
    ol_node *node = calloc(1, sizeof *node);
    if (!node || !(node->op_type = strdup(op_type ? op_type : "")) ||
        !(node->domain = strdup(domain ? domain : "")) || (name && !(node->name = strdup(name))) ||
        !OL_RESERVE(graph->nodes, graph->cap_nodes, graph->n_nodes + 1)) {
        ol_node_destroy(node);
        ol_fail(err, OL_ERR_NOMEM, "out of memory adding a %s node", op_type ? op_type : "");
        return NULL;
    }
    node->graph = graph;
    node->opset = ol_model_opset(graph->model, node->domain);
    node->id = graph->next_node_id++;
    graph->nodes[graph->n_nodes++] = node;
    return node;
}

/* Makes room for one more entry in a node's inputs or outputs. The capacity is implicit: the next
 * power of two at or above the count, since only the two functions below grow these arrays (and a
 * shorter count never exceeds it). Growing by one each time would make reading a node with 100k
 * inputs quadratic: minutes under a sanitizer. */
static bool grow_links(ol_value ***items, size_t n)
{
    if (n & (n - 1))
        return true;
    size_t cap = n ? 2 * n : 1;
    if (cap > SIZE_MAX / sizeof **items)
        return false;
    ol_value **grown = realloc(*items, cap * sizeof **items);
    if (!grown)
        return false;
    *items = grown;
    return true;
}

ol_status ol_node_add_input(ol_node *node, ol_value *value, ol_error *err)
{
    if (!grow_links(&node->inputs, node->n_inputs))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory adding an input to node '%s'",
                       node->name ? node->name : node->op_type);
    if (value && !ol_value_add_use(value, node, (int)node->n_inputs))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory recording a use of '%s'", value->name);
    node->inputs[node->n_inputs++] = value;
    return OL_OK;
}

ol_status ol_node_set_input(ol_node *node, size_t index, ol_value *value, ol_error *err)
{
    if (index >= node->n_inputs)
        return ol_fail(err, OL_ERR_ARG, "node '%s' has no input %zu",
                       node->name ? node->name : node->op_type, index);
    ol_value *old = node->inputs[index];
    if (old == value)
        return OL_OK;
    if (value && !ol_value_add_use(value, node, (int)index))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory recording a use of '%s'", value->name);
    if (old)
        ol_value_remove_use(old, node, (int)index);
    node->inputs[index] = value;
    return OL_OK;
}

ol_status ol_node_add_output(ol_node *node, ol_value *value, ol_error *err)
{
    if (value && (value->producer || value->is_input || value->constant || value->outer))
        return ol_fail(err, OL_ERR_INVALID, "value '%s' already has a definition; node '%s' (%s) "
                       "cannot also produce it", value->name, node->name ? node->name : "",
                       node->op_type);
    if (!grow_links(&node->outputs, node->n_outputs))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory adding an output to node '%s'",
                       node->name ? node->name : node->op_type);
    if (value) {
        value->producer = node;
        value->producer_index = (int)node->n_outputs;
    }
    node->outputs[node->n_outputs++] = value;
    return OL_OK;
}

ol_value *ol_node_new_output(ol_node *node, const char *name, ol_error *err)
{
    ol_value *value = ol_graph_add_value(node->graph, name, err);
    if (!value)
        return NULL;
    if (ol_node_add_output(node, value, err) != OL_OK) {
        ol_graph_erase_value(node->graph, value, NULL);
        return NULL;
    }
    return value;
}

/* Values of enclosing graphs that the subgraphs of `node` read. */
static void for_each_implicit_input(ol_node *node, void (*fn)(ol_value *outer, ol_node *node))
{
    for (size_t a = 0; a < node->n_attrs; a++) {
        ol_attr *attr = &node->attrs[a];
        size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < n; k++) {
            ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            for (size_t i = 0; i < sub->n_values; i++)
                if (sub->values[i]->outer && !sub->values[i]->erased)
                    fn(sub->values[i]->outer, node);
        }
    }
}

static void drop_implicit_use(ol_value *outer, ol_node *node)
{
    ol_value_remove_use(outer, node, OL_IMPLICIT_USE);
}

void ol_graph_erase_node(ol_graph *graph, ol_node *node)
{
    (void)graph;
    if (node->erased)
        return;
    for (size_t i = 0; i < node->n_inputs; i++)
        if (node->inputs[i])
            ol_value_remove_use(node->inputs[i], node, (int)i);
    for_each_implicit_input(node, drop_implicit_use);
    for (size_t i = 0; i < node->n_outputs; i++)
        if (node->outputs[i]) {
            node->outputs[i]->producer = NULL;
            node->outputs[i]->producer_index = 0;
        }
    node->erased = true;
    node->graph->n_erased++;
}

/* Points the references to `from` in `sub` (a subgraph of `node`) at `to`, under `to`'s name. A
 * reference that `sub` already holds to `to` absorbs the moved one, whose implicit use on `to` is then
 * dropped. False when out of memory. */
static bool retarget_outer_refs(ol_graph *sub, ol_node *node, ol_value *from, ol_value *to)
{
    for (size_t i = 0; i < sub->n_values; i++) {
        ol_value *v = sub->values[i];
        if (v->outer != from || v->erased)
            continue;
        ol_value *existing = ol_graph_find_value(sub, to->name);
        if (existing && existing != v && existing->outer == to && !existing->erased) {
            if (v->is_output) {
                /* Same name either way, so the subgraph's interface does not change. */
                for (size_t k = 0; k < sub->n_outputs; k++)
                    if (sub->outputs[k] == v)
                        sub->outputs[k] = existing;
                v->is_output = false;
                existing->is_output = true;
            }
            if (ol_value_replace_all_uses(v, existing, NULL) != OL_OK)
                return false;
            if (ol_graph_find_value(sub, v->name) == v)
                ol_name_map_remove(sub->names, v->name);
            v->erased = true;
            v->outer = NULL;
            ol_value_remove_use(to, node, OL_IMPLICIT_USE);
        } else {
            v->outer = to;
            if (!set_value_name(sub, v, to->name) || !rename_outer_refs(v))
                return false;
        }
    }
    return true;
}

ol_status ol_value_replace_all_uses(ol_value *from, ol_value *to, ol_error *err)
{
    if (from == to)
        return OL_OK;
    /* Node inputs and subgraph references can only name values of their own scope. */
    if (to->graph != from->graph)
        return ol_fail(err, OL_ERR_ARG, "cannot replace '%s' by '%s', a value of another graph",
                       from->name, to->name);
    if (!OL_RESERVE(to->uses, to->cap_uses, to->n_uses + from->n_uses))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory replacing uses of '%s'", from->name);
    if (from->is_output) {
        /* Keep the graph's interface: the replacement takes over the output's name. */
        ol_graph *g = from->graph;
        if (to->is_input || to->is_output || to->constant || to->outer)
            return ol_fail(err, OL_ERR_UNSUPPORTED,
                           "cannot replace graph output '%s' by '%s' (an input, output, constant or "
                           "outer value): insert an Identity first", from->name, to->name);
        char *from_name = from->name, *to_name = to->name;
        ol_name_map_remove(g->names, from_name);
        ol_name_map_remove(g->names, to_name);
        from->name = to_name;
        to->name = from_name;
        ol_name_map_put(g->names, from->name, from);
        ol_name_map_put(g->names, to->name, to);
        for (size_t i = 0; i < g->n_outputs; i++)
            if (g->outputs[i] == from)
                g->outputs[i] = to;
        from->is_output = false;
        to->is_output = true;
        /* Subgraphs that already read `to` must follow its new name. */
        if (!rename_outer_refs(to))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory replacing uses of '%s'", to->name);
    }
    for (size_t i = 0; i < from->n_uses; i++) {
        ol_use use = from->uses[i];
        if (use.index == OL_IMPLICIT_USE) {
            for (size_t a = 0; a < use.node->n_attrs; a++) {
                ol_attr *attr = &use.node->attrs[a];
                size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
                for (size_t k = 0; k < n; k++)
                    if (!retarget_outer_refs(attr->g ? attr->g : attr->graphs[k], use.node, from, to))
                        return ol_fail(err, OL_ERR_NOMEM, "out of memory replacing uses of '%s'",
                                       from->name);
            }
        } else {
            use.node->inputs[use.index] = to;
        }
        to->uses[to->n_uses++] = use;
    }
    from->n_uses = 0;
    return OL_OK;
}

void ol_graph_compact(ol_graph *graph)
{
    size_t w = 0;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        if (graph->nodes[i]->erased)
            ol_node_destroy(graph->nodes[i]);
        else
            graph->nodes[w++] = graph->nodes[i];
    }
    graph->n_nodes = w;
    graph->n_erased = 0;
    w = 0;
    for (size_t i = 0; i < graph->n_values; i++) {
        if (graph->values[i]->erased)
            ol_value_destroy(graph->values[i]);
        else
            graph->values[w++] = graph->values[i];
    }
    graph->n_values = w;
}

size_t ol_graph_live_node_count(const ol_graph *graph)
{
    return graph->n_nodes - graph->n_erased;
}

const ol_tensor *ol_value_constant(const ol_value *value)
{
    while (value->outer)
        value = value->outer;
    if (value->constant)
        return value->constant;
    const ol_node *p = value->producer;
    if (p && !p->erased && strcmp(p->op_type, "Constant") == 0 && !*p->domain)
        return ol_node_attr_tensor(p, "value");
    return NULL;
}
