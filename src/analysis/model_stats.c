#include <stdlib.h>
#include <string.h>

#include "analysis/model_stats.h"
#include "util/mem.h"

typedef struct stats_walk {
    ol_model_stats *stats;
    size_t cap_costs;
    const ol_node **nodes; /* every live node, for the histogram */
    size_t n_nodes, cap_nodes;
} stats_walk;

/* Saturating, so that an absurd declared shape shows up as a huge figure instead of wrapping. */
static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void add_weights(ol_model_stats *stats, ol_dtype dtype, uint64_t elements, uint64_t bytes)
{
    if (ol_dtype_valid((int)dtype) && dtype < OL_DTYPE_COUNT) {
        ol_weight_total *total = &stats->weights_by_dtype[dtype];
        total->elements = add_saturating(total->elements, elements);
        total->bytes = add_saturating(total->bytes, bytes);
    }
    stats->parameter_count = add_saturating(stats->parameter_count, elements);
    stats->weight_bytes = add_saturating(stats->weight_bytes, bytes);
}

static uint64_t strings_bytes(const ol_bytes *strings, size_t n)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes = add_saturating(bytes, strings[i].size);
    return bytes;
}

static void add_tensor(ol_model_stats *stats, const ol_tensor *tensor)
{
    int64_t numel = ol_tensor_numel(tensor);
    if (numel < 0)
        return;
    uint64_t bytes;
    if (tensor->dtype == OL_STRING) {
        bytes = strings_bytes(tensor->strings, tensor->n_strings);
    } else {
        size_t storage = ol_dtype_storage_bytes(tensor->dtype, numel);
        bytes = storage == SIZE_MAX ? tensor->nbytes : storage;
    }
    add_weights(stats, tensor->dtype, (uint64_t)numel, bytes);
}

/* The literal a Constant node carries, in whichever attribute it uses. */
static void add_constant_node(ol_model_stats *stats, const ol_node *node)
{
    for (size_t i = 0; i < node->n_attrs; i++) {
        const ol_attr *attr = &node->attrs[i];
        if (strcmp(attr->name, "value") == 0 && attr->type == OL_ATTR_TENSOR && attr->t)
            add_tensor(stats, attr->t);
        else if (strcmp(attr->name, "value_float") == 0 && attr->type == OL_ATTR_FLOAT)
            add_weights(stats, OL_FLOAT, 1, 4);
        else if (strcmp(attr->name, "value_floats") == 0 && attr->type == OL_ATTR_FLOATS)
            add_weights(stats, OL_FLOAT, attr->n, (uint64_t)attr->n * 4);
        else if (strcmp(attr->name, "value_int") == 0 && attr->type == OL_ATTR_INT)
            add_weights(stats, OL_INT64, 1, 8);
        else if (strcmp(attr->name, "value_ints") == 0 && attr->type == OL_ATTR_INTS)
            add_weights(stats, OL_INT64, attr->n, (uint64_t)attr->n * 8);
        else if (strcmp(attr->name, "value_string") == 0 && attr->type == OL_ATTR_STRING)
            add_weights(stats, OL_STRING, 1, attr->s.size);
        else if (strcmp(attr->name, "value_strings") == 0 && attr->type == OL_ATTR_STRINGS)
            add_weights(stats, OL_STRING, attr->n, strings_bytes(attr->strings, attr->n));
    }
}

static bool is_default_domain(const char *domain)
{
    return domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0;
}

static ol_status walk_graph(stats_walk *walk, const ol_graph *graph, ol_error *err);

static ol_status walk_node(stats_walk *walk, const ol_node *node, ol_error *err)
{
    ol_model_stats *stats = walk->stats;
    if (!OL_RESERVE(walk->nodes, walk->cap_nodes, walk->n_nodes + 1))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory counting nodes");
    walk->nodes[walk->n_nodes++] = node;
    stats->node_count++;

    if (strcmp(node->op_type, "Constant") == 0 && is_default_domain(node->domain))
        add_constant_node(stats, node);

    ol_node_macs macs = ol_node_mac_count(node);
    if (macs.mac_class != OL_MACS_NONE) {
        if (!OL_RESERVE(stats->costs, walk->cap_costs, stats->n_costs + 1))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory recording node costs");
        stats->costs[stats->n_costs++] = (ol_node_cost){.node = node, .macs = macs};
        if (!macs.known)
            stats->unknown_mac_nodes++;
        else if (macs.mac_class == OL_MACS_LINEAR)
            stats->linear_macs = add_saturating(stats->linear_macs, macs.macs);
        else
            stats->other_macs = add_saturating(stats->other_macs, macs.macs);
    }

    for (size_t i = 0; i < node->n_attrs; i++) {
        const ol_attr *attr = &node->attrs[i];
        ol_status st = OL_OK;
        if (attr->type == OL_ATTR_GRAPH && attr->g)
            st = walk_graph(walk, attr->g, err);
        for (size_t j = 0; st == OL_OK && attr->type == OL_ATTR_GRAPHS && j < attr->n; j++)
            if (attr->graphs[j])
                st = walk_graph(walk, attr->graphs[j], err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status walk_graph(stats_walk *walk, const ol_graph *graph, ol_error *err)
{
    for (size_t i = 0; i < graph->n_initializers; i++) {
        const ol_value *value = graph->initializers[i];
        if (!value->erased && value->constant)
            add_tensor(walk->stats, value->constant);
    }
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        ol_status st = walk_node(walk, node, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static int compare_node_op(const void *a, const void *b)
{
    const ol_node *x = *(const ol_node *const *)a;
    const ol_node *y = *(const ol_node *const *)b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->op_type, y->op_type);
}

static int compare_op_count(const void *a, const void *b)
{
    const ol_op_count *x = a;
    const ol_op_count *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->op_type, y->op_type);
}

static ol_status build_histogram(stats_walk *walk, ol_error *err)
{
    ol_model_stats *stats = walk->stats;
    if (walk->n_nodes == 0)
        return OL_OK;
    qsort(walk->nodes, walk->n_nodes, sizeof *walk->nodes, compare_node_op);
    size_t cap = 0;
    for (size_t i = 0; i < walk->n_nodes;) {
        size_t run = 1;
        while (i + run < walk->n_nodes &&
               compare_node_op(&walk->nodes[i], &walk->nodes[i + run]) == 0)
            run++;
        if (!OL_RESERVE(stats->ops, cap, stats->n_ops + 1))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory building the op histogram");
        ol_op_count *entry = &stats->ops[stats->n_ops];
        *entry = (ol_op_count){.domain = ol_strdup(walk->nodes[i]->domain),
                               .op_type = ol_strdup(walk->nodes[i]->op_type),
                               .count = run};
        stats->n_ops++;
        if (!entry->domain || !entry->op_type)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory building the op histogram");
        i += run;
    }
    qsort(stats->ops, stats->n_ops, sizeof *stats->ops, compare_op_count);
    return OL_OK;
}

ol_status ol_model_stats_compute(const ol_model *model, ol_model_stats *out, ol_error *err)
{
    *out = (ol_model_stats){0};
    stats_walk walk = {.stats = out};
    ol_status st = model->graph ? walk_graph(&walk, model->graph, err) : OL_OK;
    if (st == OL_OK)
        st = build_histogram(&walk, err);
    free(walk.nodes);
    out->total_macs = add_saturating(out->linear_macs, out->other_macs);
    if (st != OL_OK)
        ol_model_stats_free(out);
    return st;
}

void ol_model_stats_free(ol_model_stats *stats)
{
    for (size_t i = 0; i < stats->n_ops; i++) {
        free(stats->ops[i].domain);
        free(stats->ops[i].op_type);
    }
    free(stats->ops);
    free(stats->costs);
    *stats = (ol_model_stats){0};
}

size_t ol_model_stats_heaviest(const ol_model_stats *stats, const ol_node_cost **out, size_t k)
{
    /* Insertion into a k-long list: k is small (10 in inspect) and costs are already in graph
     * order, so a strict comparison keeps the earlier node first on ties. */
    size_t n = 0;
    for (size_t i = 0; i < stats->n_costs && k > 0; i++) {
        const ol_node_cost *cost = &stats->costs[i];
        if (!cost->macs.known || cost->macs.macs == 0)
            continue;
        if (n == k && cost->macs.macs <= out[n - 1]->macs.macs)
            continue;
        size_t pos = n < k ? n : k - 1;
        while (pos > 0 && out[pos - 1]->macs.macs < cost->macs.macs) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = cost;
        if (n < k)
            n++;
    }
    return n;
}
