/* inline-constant-if: an If whose condition is a constant runs the same branch every time; that
 * branch's nodes and initializers are copied into the enclosing graph, its outer references become
 * the outer values they name, and the If's outputs are replaced by the branch's. Branches holding
 * subgraphs of their own, or attributes the IR cannot copy, are left as they are (the subgraphs are
 * still inlined inside them, and a rerun then inlines the outer If). */
#include <stdlib.h>
#include <string.h>

#include "pass_attrs.h"
#include "pass_tensor.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

/* The branch a constant-condition If always takes, or NULL. */
static ol_graph *taken_branch(const ol_node *node)
{
    if (!pass_is_op(node, "If") || node->n_inputs != 1)
        return NULL;
    const ol_tensor *cond = pass_constant(node->inputs[0]);
    if (!cond || ol_tensor_numel(cond) != 1 || cond->dtype == OL_STRING)
        return NULL;
    const ol_attr *branch = ol_node_attr(node, pass_tensor_get(cond, 0) != 0 ? "then_branch" : "else_branch");
    return branch && branch->type == OL_ATTR_GRAPH ? branch->g : NULL;
}

static bool inlinable(const ol_node *node, const ol_graph *branch)
{
    if (branch->n_inputs || branch->n_outputs != node->n_outputs)
        return false;
    for (size_t i = 0; i < branch->n_nodes; i++) {
        const ol_node *n = branch->nodes[i];
        if (!n->erased && (pass_has_subgraphs(n) || !pass_attrs_copyable(n)))
            return false;
    }
    for (size_t i = 0; i < branch->n_values; i++) {
        const ol_value *v = branch->values[i];
        if (!v->erased && v->sparse.size)
            return false;
        if (!v->erased && v->outer && v->outer->graph != node->graph)
            return false;
    }
    for (size_t k = 0; k < branch->n_outputs; k++) {
        const ol_value *out = branch->outputs[k];
        if (!out->constant && !out->outer && (!out->producer || out->producer->erased))
            return false;   /* undefined: the verifier's business, not something to inline */
    }
    return true;
}

/* Copies the branch's values and nodes into `graph`; map[id] is the copy of branch value id. Names
 * are unique in the model and the branch goes away with the If, so the copies keep them. */
static ol_status copy_branch(ol_graph *graph, ol_graph *branch, ol_value **map, ol_error *err)
{
    for (size_t i = 0; i < branch->n_values; i++) {
        ol_value *v = branch->values[i];
        if (v->erased)
            continue;
        if (v->outer) {
            map[v->id] = v->outer;
        } else if (v->constant) {
            ol_tensor *t = ol_tensor_clone(v->constant, err);
            if (!t || !(map[v->id] = ol_graph_add_initializer(graph, v->name, t, err)))
                return OL_ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < branch->n_nodes; i++) {
        const ol_node *n = branch->nodes[i];
        if (n->erased)
            continue;
        ol_node *copy = ol_graph_add_node(graph, n->op_type, n->domain, n->name, err);
        if (!copy)
            return OL_ERR_NOMEM;
        ol_status st = pass_copy_attrs(copy, n, err);
        for (size_t k = 0; k < n->n_inputs && st == OL_OK; k++)
            st = ol_node_add_input(copy, n->inputs[k] ? map[n->inputs[k]->id] : NULL, err);
        for (size_t k = 0; k < n->n_outputs && st == OL_OK; k++) {
            const ol_value *out = n->outputs[k];
            if (!out) {
                st = ol_node_add_output(copy, NULL, err);
                continue;
            }
            ol_value *v = ol_node_new_output(copy, out->name, err);
            if (!v || ol_type_copy(&v->type, &out->type) != 0)
                return v ? ol_fail(err, OL_ERR_NOMEM, "out of memory") : OL_ERR_NOMEM;
            map[out->id] = v;
        }
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

/* If output k becomes `value`, through an Identity where the IR cannot hand a graph output over to
 * it (an input, an initializer, another output). */
static ol_status take_over_output(ol_graph *graph, ol_value *out, ol_value *value, ol_error *err)
{
    if (!pass_can_replace(out, value)) {
        ol_node *identity = ol_graph_add_node(graph, "Identity", "", NULL, err);
        if (!identity || ol_node_add_input(identity, value, err) != OL_OK ||
            !(value = ol_node_new_output(identity, NULL, err)))
            return OL_ERR_NOMEM;
        if (ol_type_copy(&value->type, &out->type) != 0)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    return ol_value_replace_all_uses(out, value, err);
}

static ol_status inline_if(ol_graph *graph, ol_node *node, bool *changed, ol_error *err)
{
    ol_graph *branch = taken_branch(node);
    if (!branch || !inlinable(node, branch))
        return OL_OK;
    ol_status st = ol_graph_toposort(branch, err);
    if (st != OL_OK)
        return st;
    ol_value **map = calloc(branch->next_value_id + 1, sizeof *map);
    if (!map)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    st = copy_branch(graph, branch, map, err);
    for (size_t k = 0; k < node->n_outputs && st == OL_OK; k++)
        if (node->outputs[k])
            st = take_over_output(graph, node->outputs[k], map[branch->outputs[k]->id], err);
    if (st == OL_OK)
        st = pass_erase_node(graph, node, err);
    free(map);
    *changed = true;
    return st;
}

static ol_status inline_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    size_t n = graph->n_nodes;   /* copied nodes are appended; they hold no If */
    for (size_t i = 0; i < n; i++) {
        ol_status st = inline_if(graph, graph->nodes[i], changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run_inline_constant_if(ol_model *model, const ol_option_values *options, bool *changed,
                                        ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, inline_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_inline_constant_if = {
    OL_PASS_DEF_VERSION,
    .name = "inline-constant-if",
    .description = "replace an If whose condition is a constant by the nodes of the branch it takes",
    .flags = OL_PASS_LOSSLESS | OL_PASS_FIXPOINT | OL_PASS_PRESERVES_SHAPES,
    .run = run_inline_constant_if,
};
