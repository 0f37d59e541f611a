/* Structural invariants of the IR. Passes run it after every change in tests, so messages name the
 * node and value that break a rule. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"

static const char *label(const ol_node *node)
{
    return node->name && *node->name ? node->name : "(unnamed)";
}

static bool has_use(const ol_value *value, const ol_node *node, int index)
{
    for (size_t i = 0; i < value->n_uses; i++)
        if (value->uses[i].node == node && value->uses[i].index == index)
            return true;
    return false;
}

static int cmp_uses(const void *a, const void *b)
{
    const ol_use *x = a, *y = b;
    if (x->node != y->node)
        return (uintptr_t)x->node < (uintptr_t)y->node ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Whether each explicit use of every value is recorded once and nothing else is: a value's use
 * count is compared with the input slots that read it, and a slot is only searched for in a use list
 * when the counts differ. Searching for every slot would be quadratic for a value read by
 * 100k inputs. `exact[id]` is set for the values whose use lists match. */
static ol_status check_use_counts(const ol_graph *graph, bool *exact, ol_error *err)
{
    size_t n_ids = graph->next_value_id;
    size_t *slots = calloc(n_ids ? n_ids : 1, sizeof *slots);
    if (!slots)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory verifying a graph");
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        for (size_t k = 0; !node->erased && k < node->n_inputs; k++) {
            const ol_value *v = node->inputs[k];
            if (v && v->graph == graph && v->id < n_ids)
                slots[v->id]++;
        }
    }
    ol_status st = OL_OK;
    ol_use *sorted = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < graph->n_values && st == OL_OK; i++) {
        const ol_value *v = graph->values[i];
        if (v->erased || v->id >= n_ids)
            continue;
        size_t n = 0;
        if (v->n_uses > cap) {
            ol_use *grown = realloc(sorted, v->n_uses * sizeof *grown);
            if (!grown) {
                st = ol_fail(err, OL_ERR_NOMEM, "out of memory verifying a graph");
                break;
            }
            sorted = grown;
            cap = v->n_uses;
        }
        for (size_t u = 0; u < v->n_uses; u++)
            if (v->uses[u].index != OL_IMPLICIT_USE && v->uses[u].node->graph == graph)
                sorted[n++] = v->uses[u];
        if (n > 1)
            qsort(sorted, n, sizeof *sorted, cmp_uses);
        for (size_t u = 1; u < n && st == OL_OK; u++)
            if (cmp_uses(&sorted[u - 1], &sorted[u]) == 0)
                st = ol_fail(err, OL_ERR_INTERNAL, "value '%s' records its use as input %d of node "
                             "'%s' (%s) twice", v->name, sorted[u].index, label(sorted[u].node),
                             sorted[u].node->op_type);
        exact[v->id] = n == slots[v->id];
    }
    free(sorted);
    free(slots);
    return st;
}

static bool graph_is_ancestor(const ol_graph *ancestor, const ol_graph *graph)
{
    for (graph = graph->parent; graph; graph = graph->parent)
        if (graph == ancestor)
            return true;
    return false;
}

static bool subgraphs_reference(const ol_node *node, const ol_value *outer)
{
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < n; k++) {
            const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            for (size_t i = 0; i < sub->n_values; i++)
                if (sub->values[i]->outer == outer && !sub->values[i]->erased)
                    return true;
        }
    }
    return false;
}

static ol_status verify_value(const ol_graph *graph, const ol_value *v, ol_error *err)
{
    if (v->graph != graph)
        return ol_fail(err, OL_ERR_INTERNAL, "value '%s' is listed in the wrong graph", v->name);
    if (ol_graph_find_value(graph, v->name) != v)
        return ol_fail(err, OL_ERR_INTERNAL, "value '%s' is missing from its graph's name table",
                       v->name);
    int definitions = (v->producer != NULL) + (v->is_input || v->constant || v->sparse.size) +
                      (v->outer != NULL);
    if (definitions > 1 && v->producer)
        return ol_fail(err, OL_ERR_INVALID, "value '%s' is defined more than once: node '%s' (%s) "
                       "produces it, but it is also a graph input, initializer or outer reference",
                       v->name, label(v->producer), v->producer->op_type);
    if (definitions > 1)
        return ol_fail(err, OL_ERR_INVALID, "value '%s' is defined more than once", v->name);
    if (v->producer) {
        if (v->producer->erased)
            return ol_fail(err, OL_ERR_INVALID, "value '%s' is produced by an erased node", v->name);
        if (v->producer_index < 0 || (size_t)v->producer_index >= v->producer->n_outputs ||
            v->producer->outputs[v->producer_index] != v)
            return ol_fail(err, OL_ERR_INTERNAL, "value '%s' names node '%s' as producer, but the "
                           "node does not list it as an output", v->name, label(v->producer));
    }
    if (v->outer && (v->outer->erased || !graph_is_ancestor(v->outer->graph, graph)))
        return ol_fail(err, OL_ERR_INVALID, "subgraph value '%s' refers to a value that is not in "
                       "an enclosing graph", v->name);
    /* Files link a reference to its target by name only. */
    if (v->outer && strcmp(v->name, v->outer->name) != 0)
        return ol_fail(err, OL_ERR_INTERNAL, "reference '%s' refers to enclosing value '%s' under "
                       "another name", v->name, v->outer->name);
    if (v->constant && v->type.kind == OL_TYPE_TENSOR &&
        (v->type.elem != v->constant->dtype ||
         (v->type.rank >= 0 && v->type.rank != v->constant->rank)))
        return ol_fail(err, OL_ERR_INVALID, "initializer '%s' holds %s data of rank %d but is "
                       "declared %s of rank %d", v->name, ol_dtype_name(v->constant->dtype),
                       v->constant->rank, ol_dtype_name(v->type.elem), v->type.rank);
    for (size_t i = 0; i < v->n_uses; i++) {
        const ol_use *u = &v->uses[i];
        if (u->node->erased)
            return ol_fail(err, OL_ERR_INTERNAL, "value '%s' is still used by erased node '%s' (%s)",
                           v->name, label(u->node), u->node->op_type);
        if (u->index == OL_IMPLICIT_USE) {
            if (!subgraphs_reference(u->node, v))
                return ol_fail(err, OL_ERR_INTERNAL, "value '%s' records an implicit use by node "
                               "'%s' whose subgraphs do not read it", v->name, label(u->node));
        } else if (u->index < 0 || (size_t)u->index >= u->node->n_inputs ||
                   u->node->inputs[u->index] != v) {
            return ol_fail(err, OL_ERR_INTERNAL, "value '%s' records a use as input %d of node '%s' "
                           "(%s) that the node does not have", v->name, u->index, label(u->node),
                           u->node->op_type);
        }
    }
    return OL_OK;
}

/* Live references to `outer` in the subgraphs of `node`. */
static size_t count_references(const ol_node *node, const ol_value *outer)
{
    size_t count = 0;
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < n; k++) {
            const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            for (size_t i = 0; i < sub->n_values; i++)
                count += sub->values[i]->outer == outer && !sub->values[i]->erased;
        }
    }
    return count;
}

/* References from `node`'s subgraphs to values of `graph`, the node's implicit inputs: each needs its
 * implicit use (one per reference, so replace_all_uses and erase_node find them all), and the value
 * must be produced before the node. */
static ol_status verify_implicit_inputs(const ol_graph *graph, const ol_node *node,
                                        const bool *defined_before, ol_error *err)
{
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < n; k++) {
            const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            for (size_t i = 0; i < sub->n_values; i++) {
                const ol_value *outer = sub->values[i]->outer;
                if (!outer || sub->values[i]->erased || outer->graph != graph)
                    continue;
                size_t refs = count_references(node, outer), uses = 0;
                for (size_t u = 0; u < outer->n_uses; u++)
                    uses += outer->uses[u].node == node && outer->uses[u].index == OL_IMPLICIT_USE;
                if (refs != uses)
                    return ol_fail(err, OL_ERR_INTERNAL, "node '%s' (%s) has %zu references to '%s' in "
                                   "its subgraphs but the value's use list records %zu", label(node),
                                   node->op_type, refs, outer->name, uses);
                if (outer->producer && !defined_before[outer->id])
                    return ol_fail(err, OL_ERR_INVALID, "node '%s' (%s) reads '%s' in subgraph '%s' "
                                   "before node '%s' produces it", label(node), node->op_type,
                                   outer->name, attr->name ? attr->name : "", label(outer->producer));
            }
        }
    }
    return OL_OK;
}

static ol_status verify_node(const ol_graph *graph, const ol_node *node, const bool *defined_before,
                             const bool *exact_uses, ol_error *err)
{
    ol_status st;
    if (!node->op_type || !*node->op_type)
        return ol_fail(err, OL_ERR_INVALID, "node '%s' has no op_type", label(node));
    for (size_t i = 0; i < node->n_inputs; i++) {
        const ol_value *v = node->inputs[i];
        if (!v)
            continue;
        if (v->erased || v->graph != graph)
            return ol_fail(err, OL_ERR_INVALID, "node '%s' (%s) input %zu '%s' is not a value of "
                           "its graph", label(node), node->op_type, i, v->name);
        if (!exact_uses[v->id] && !has_use(v, node, (int)i))
            return ol_fail(err, OL_ERR_INTERNAL, "node '%s' (%s) reads '%s' but the value's use "
                           "list does not record it", label(node), node->op_type, v->name);
        if (!v->producer && !v->is_input && !v->constant && !v->sparse.size && !v->outer)
            return ol_fail(err, OL_ERR_INVALID, "node '%s' (%s) input '%s' is never defined "
                           "(dangling)", label(node), node->op_type, v->name);
        if (v->producer && !defined_before[v->id])
            return ol_fail(err, OL_ERR_INVALID, "node '%s' (%s) reads '%s' before node '%s' "
                           "produces it (cycle or nodes out of order)", label(node), node->op_type,
                           v->name, label(v->producer));
    }
    for (size_t i = 0; i < node->n_outputs; i++) {
        const ol_value *v = node->outputs[i];
        if (v && v->producer && v->producer != node)
            return ol_fail(err, OL_ERR_INVALID, "value '%s' is produced twice: by node '%s' (%s) and "
                           "by node '%s' (%s)", v->name, label(v->producer), v->producer->op_type,
                           label(node), node->op_type);
        if (v && (v->producer != node || v->producer_index != (int)i || v->graph != graph))
            return ol_fail(err, OL_ERR_INTERNAL, "node '%s' (%s) output %zu '%s' does not name the "
                           "node as its producer", label(node), node->op_type, i, v->name);
    }
    st = verify_implicit_inputs(graph, node, defined_before, err);
    if (st != OL_OK)
        return st;
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        if (!attr->name || !*attr->name)
            return ol_fail(err, OL_ERR_INVALID, "node '%s' (%s) has an attribute without a name",
                           label(node), node->op_type);
        size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < n; k++) {
            const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            if (sub->parent != graph || sub->owner != node)
                return ol_fail(err, OL_ERR_INTERNAL, "subgraph of node '%s' (%s) attribute '%s' is "
                               "not linked to its node", label(node), node->op_type, attr->name);
            st = ol_graph_verify(sub, err);
            if (st != OL_OK) {
                ol_error_prefix(err, "in subgraph '%s' of node '%s': ", attr->name, label(node));
                return st;
            }
        }
    }
    return OL_OK;
}

ol_status ol_graph_verify(const ol_graph *graph, ol_error *err)
{
    ol_status st = OL_OK;
    size_t n_ids = graph->next_value_id ? graph->next_value_id : 1;
    bool *defined_before = calloc(n_ids, sizeof *defined_before);
    bool *exact_uses = calloc(n_ids, sizeof *exact_uses);
    if (!defined_before || !exact_uses) {
        free(defined_before);
        free(exact_uses);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory verifying a graph");
    }
    for (size_t i = 0; i < graph->n_values && st == OL_OK; i++)
        if (!graph->values[i]->erased)
            st = verify_value(graph, graph->values[i], err);
    if (st == OL_OK)
        st = check_use_counts(graph, exact_uses, err);
    for (size_t i = 0; i < graph->n_nodes && st == OL_OK; i++) {
        const ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        st = verify_node(graph, node, defined_before, exact_uses, err);
        for (size_t k = 0; k < node->n_outputs; k++)
            if (node->outputs[k])
                defined_before[node->outputs[k]->id] = true;
    }
    for (size_t i = 0; i < graph->n_outputs && st == OL_OK; i++) {
        const ol_value *v = graph->outputs[i];
        if (v->erased || (!v->producer && !v->is_input && !v->constant && !v->outer))
            st = ol_fail(err, OL_ERR_INVALID, "graph output '%s' is never defined", v->name);
    }
    free(defined_before);
    free(exact_uses);
    return st;
}

ol_status ol_model_verify(const ol_model *model, ol_error *err)
{
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    return ol_graph_verify(model->graph, err);
}
