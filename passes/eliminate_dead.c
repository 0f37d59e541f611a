/* eliminate-dead: removes nodes whose outputs nobody reads and initializers nobody reads, in the
 * main graph and in every subgraph.
 *
 * A value is read when it is a graph output (of its own graph: subgraph outputs are the body's
 * results), a node input, or referenced from a subgraph (an implicit use on the node that owns the
 * subgraph). Graph inputs are the model's interface and are never removed, even unused, nor are
 * initializers that are also graph inputs (defaults a caller may override).
 *
 * ONNX nodes have no side effects, so a node none of whose outputs is read can go, whatever its
 * domain. Subgraphs are swept before the graph that holds them: a subgraph that stops referencing
 * an outer value releases its implicit use, which may make the outer producer dead in turn. Within a
 * graph, nodes are in topological order (the verifier requires it), so walking them backwards
 * decides every consumer before its producer, and one walk removes whole dead chains: the pass
 * reaches its fixpoint in one run and does not need OL_PASS_FIXPOINT.
 */
#include "onnxlite/pass.h"

typedef struct sweep {
    bool initializers;   /* also remove unused initializers */
    size_t removed;      /* nodes and values removed, for *changed */
} sweep;

static bool is_read(const ol_value *value)
{
    return value->is_output || value->n_uses > 0;
}

static bool is_dead(const ol_node *node)
{
    if (node->erased)
        return false;
    for (size_t i = 0; i < node->n_outputs; i++)
        if (node->outputs[i] && is_read(node->outputs[i]))
            return false;
    return true;
}

/* Subgraphs held by `node`'s attributes, one at a time: *index counts across attributes. */
static ol_graph *subgraph_at(const ol_node *node, size_t *attr, size_t *index)
{
    for (; *attr < node->n_attrs; (*attr)++, *index = 0) {
        const ol_attr *a = &node->attrs[*attr];
        size_t n = a->g ? 1 : (a->graphs ? a->n : 0);
        if (*index < n) {
            size_t k = (*index)++;
            return a->g ? a->g : a->graphs[k];
        }
    }
    return NULL;
}

static ol_status sweep_graph(sweep *s, ol_graph *graph, ol_error *err);

static ol_status sweep_subgraphs(sweep *s, ol_graph *graph, ol_error *err)
{
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        size_t attr = 0, index = 0;
        for (ol_graph *sub; !node->erased && (sub = subgraph_at(node, &attr, &index));) {
            ol_status st = sweep_graph(s, sub, err);
            if (st != OL_OK)
                return st;
        }
    }
    return OL_OK;
}

static ol_status remove_dead_nodes(sweep *s, ol_graph *graph, ol_error *err)
{
    for (size_t i = graph->n_nodes; i-- > 0;) {
        ol_node *node = graph->nodes[i];
        if (!is_dead(node))
            continue;
        ol_graph_erase_node(graph, node);
        s->removed++;
        /* Its outputs now have no producer and no reader: drop them from the graph too. */
        for (size_t k = 0; k < node->n_outputs; k++) {
            ol_value *v = node->outputs[k];
            if (v && !v->erased && ol_graph_erase_value(graph, v, err) != OL_OK) {
                ol_error_prefix(err, "removing node '%s' (%s): ", node->name ? node->name : "",
                                node->op_type);
                return err->status;
            }
        }
    }
    return OL_OK;
}

/* Unused initializers, and (in a subgraph) references to outer values that nothing reads any
 * more: erasing a reference also drops its implicit use on the owner node. */
static ol_status remove_unused_values(sweep *s, ol_graph *graph, ol_error *err)
{
    for (size_t i = 0; i < graph->n_values; i++) {
        ol_value *v = graph->values[i];
        if (v->erased || is_read(v) || v->is_input || v->producer)
            continue;
        bool initializer = v->constant || v->sparse.size;
        if (!v->outer && !(initializer && s->initializers))
            continue;
        ol_status st = ol_graph_erase_value(graph, v, err);
        if (st != OL_OK)
            return st;
        s->removed++;
    }
    return OL_OK;
}

static ol_status sweep_graph(sweep *s, ol_graph *graph, ol_error *err)
{
    ol_status st = sweep_subgraphs(s, graph, err);
    if (st == OL_OK)
        st = remove_dead_nodes(s, graph, err);
    if (st == OL_OK)
        st = remove_unused_values(s, graph, err);
    return st;
}

static ol_status run(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    sweep s = {.initializers = ol_option_bool(options, "initializers")};
    ol_status st = model->graph ? sweep_graph(&s, model->graph, err) : OL_OK;
    *changed = s.removed > 0;
    return st;
}

static const ol_pass_option OPTIONS[] = {
    {.name = "initializers", .type = OL_OPTION_BOOL, .default_value = "true",
     .help = "also remove initializers that nothing reads"},
};

const ol_pass_def ol_pass_eliminate_dead = {
    OL_PASS_DEF_VERSION,
    .name = "eliminate-dead",
    .description = "remove nodes whose outputs nobody reads, and unused initializers, in every graph",
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .flags = OL_PASS_LOSSLESS | OL_PASS_PRESERVES_SHAPES,
    .run = run,
};
