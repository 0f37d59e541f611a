/* rename-nodes: an onnx-lite plugin pass that gives every node a short, systematic name.
 *
 * Exported models carry long node names ("/model/encoder/layer.3/attention/self/Softmax") that cost
 * bytes on a small device and change with every export. This pass renames every node, in graph order
 * and through subgraphs, to PREFIX + number (or PREFIX + op type + "_" + number), so two exports of the
 * same network get the same names. Node names are labels, not links, so the outputs do not change:
 * the pass is lossless.
 *
 *   onnx-lite optimize in.onnx -o out.onnx --plugin ./librename_nodes.so \
 *       -p 'rename-nodes{prefix=layer_,with-op-type=true,start=1}'
 *
 * A plugin talks to onnx-lite only through the table handed to onnxlite_plugin_init; it reads the IR
 * structs (onnxlite/ir.h) directly. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <onnxlite/pass.h>

/* The host's table, kept for the pass to use when it runs. */
static const ol_plugin_api *host;

typedef struct renamer {
    const char *prefix;
    bool with_op_type;
    int64_t next;
    bool changed;
} renamer;

static ol_status rename_graph(renamer *r, ol_graph *graph, ol_error *err);

static ol_status rename_node(renamer *r, ol_node *node, ol_error *err)
{
    char name[256];
    int len = r->with_op_type
                  ? snprintf(name, sizeof name, "%s%s_%" PRId64, r->prefix, node->op_type, r->next)
                  : snprintf(name, sizeof name, "%s%" PRId64, r->prefix, r->next);
    if (len < 0 || (size_t)len >= sizeof name)
        return host->fail(err, OL_ERR_ARG, "rename-nodes: the new name of node '%s' (%s) is longer than "
                          "%zu characters", node->name ? node->name : "", node->op_type, sizeof name - 1);
    r->next++;
    ol_status st = OL_OK;
    if (!node->name || strcmp(node->name, name) != 0) {
        r->changed = true;
        if ((st = host->node_set_name(node, name, err)) != OL_OK)
            return st;
    }
    /* Subgraph nodes are numbered right after the node that holds them. */
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        if (attr->type == OL_ATTR_GRAPH && attr->g && (st = rename_graph(r, attr->g, err)) != OL_OK)
            return st;
        for (size_t k = 0; attr->type == OL_ATTR_GRAPHS && k < attr->n; k++)
            if ((st = rename_graph(r, attr->graphs[k], err)) != OL_OK)
                return st;
    }
    return OL_OK;
}

static ol_status rename_graph(renamer *r, ol_graph *graph, ol_error *err)
{
    for (size_t i = 0; i < graph->n_nodes; i++) {
        if (graph->nodes[i]->erased)
            continue;
        ol_status st = rename_node(r, graph->nodes[i], err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    renamer r = {
        .prefix = host->option_string(options, "prefix"),
        .with_op_type = host->option_bool(options, "with-op-type"),
        .next = host->option_int(options, "start"),
    };
    if (r.next < 0)
        return host->fail(err, OL_ERR_ARG, "rename-nodes: start must be 0 or more, got %" PRId64, r.next);
    ol_status st = rename_graph(&r, model->graph, err);
    *changed = r.changed;
    return st;
}

static const ol_pass_option OPTIONS[] = {
    {.name = "prefix", .type = OL_OPTION_STRING, .default_value = "n",
     .help = "text every new name starts with"},
    {.name = "with-op-type", .type = OL_OPTION_BOOL, .default_value = "false",
     .help = "put the op type and '_' after the prefix: n_Conv_3"},
    {.name = "start", .type = OL_OPTION_INT, .default_value = "0",
     .help = "number of the first node (0 or more)"},
};

static const ol_pass_def RENAME_NODES = {
    OL_PASS_DEF_VERSION,
    .name = "rename-nodes",
    .description = "give every node a short systematic name: PREFIX, op type if asked, a number",
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .flags = OL_PASS_LOSSLESS | OL_PASS_PRESERVES_SHAPES,
    .run = run,
};

OL_PLUGIN_EXPORT ol_status onnxlite_plugin_init(const ol_plugin_api *api, ol_error *err)
{
    /* `fail` is in every version of the table; node_set_name is the newest member this pass calls. */
    if (api->abi_version < OL_PASS_ABI_VERSION || !OL_PLUGIN_API_HAS(api, node_set_name))
        return api->fail(err, OL_ERR_UNSUPPORTED, "rename-nodes needs onnx-lite pass ABI %d, the host "
                         "offers %u", OL_PASS_ABI_VERSION, api->abi_version);
    host = api;
    return api->register_pass(api->host, &RENAME_NODES, err);
}
