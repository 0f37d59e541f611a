/* Visiting every graph of a model for a pass. */
#include "pass_util.h"

/* Deep enough for any real model; deeper nesting is refused rather than overflowing the stack. */
#define MAX_NESTING 64

static ol_status walk(ol_graph *graph, int depth, pass_graph_fn fn, void *ctx, bool *changed,
                      ol_error *err)
{
    if (depth > MAX_NESTING)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "subgraphs nested more than %d deep", MAX_NESTING);
    ol_status st = ol_graph_toposort(graph, err);
    if (st != OL_OK)
        return st;
    bool graph_changed = false;
    st = fn(graph, ctx, &graph_changed, err);
    if (st != OL_OK)
        return st;
    if (graph_changed) {
        *changed = true;
        if ((st = ol_graph_toposort(graph, err)) != OL_OK)
            return st;
    }
    ol_graph_compact(graph);
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        for (size_t a = 0; a < node->n_attrs && !node->erased; a++) {
            ol_attr *attr = &node->attrs[a];
            size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
            for (size_t k = 0; k < n; k++) {
                st = walk(attr->g ? attr->g : attr->graphs[k], depth + 1, fn, ctx, changed, err);
                if (st != OL_OK)
                    return st;
            }
        }
    }
    return OL_OK;
}

ol_status pass_for_each_graph(ol_model *model, pass_graph_fn fn, void *ctx, bool *changed, ol_error *err)
{
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    return walk(model->graph, 0, fn, ctx, changed, err);
}
