/* Stable topological order (Kahn's algorithm with a min-heap on the current position), so an already
 * sorted graph keeps its order and output files do not churn. */
#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"

typedef struct heap {
    size_t *items;
    size_t n;
} heap;

static void heap_push(heap *h, size_t x)
{
    size_t i = h->n++;
    h->items[i] = x;
    while (i > 0 && h->items[(i - 1) / 2] > h->items[i]) {
        size_t p = (i - 1) / 2, t = h->items[p];
        h->items[p] = h->items[i];
        h->items[i] = t;
        i = p;
    }
}

static size_t heap_pop(heap *h)
{
    size_t top = h->items[0];
    h->items[0] = h->items[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->items[l] < h->items[m])
            m = l;
        if (r < h->n && h->items[r] < h->items[m])
            m = r;
        if (m == i)
            break;
        size_t t = h->items[m];
        h->items[m] = h->items[i];
        h->items[i] = t;
        i = m;
    }
    return top;
}

/* Producer of `value` inside `graph`, following outer references up to that graph. */
static ol_node *local_producer(const ol_graph *graph, const ol_value *value)
{
    while (value && value->graph != graph)
        value = value->outer;
    return value && value->producer && !value->producer->erased ? value->producer : NULL;
}

/* Calls fn for each value node depends on: explicit inputs and values read by its subgraphs. */
typedef void (*dep_fn)(ol_node *dep, void *ctx);

static void for_each_dependency(const ol_graph *graph, ol_node *node, dep_fn fn, void *ctx);

static void subgraph_deps(const ol_graph *graph, const ol_graph *sub, dep_fn fn, void *ctx)
{
    for (size_t i = 0; i < sub->n_values; i++) {
        const ol_value *v = sub->values[i];
        if (v->outer && !v->erased) {
            ol_node *p = local_producer(graph, v->outer);
            if (p)
                fn(p, ctx);
        }
    }
}

static void for_each_dependency(const ol_graph *graph, ol_node *node, dep_fn fn, void *ctx)
{
    for (size_t i = 0; i < node->n_inputs; i++) {
        ol_node *p = node->inputs[i] ? local_producer(graph, node->inputs[i]) : NULL;
        if (p)
            fn(p, ctx);
    }
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        if (attr->g)
            subgraph_deps(graph, attr->g, fn, ctx);
        for (size_t k = 0; attr->graphs && k < attr->n; k++)
            subgraph_deps(graph, attr->graphs[k], fn, ctx);
    }
}

typedef struct sort_state {
    size_t *indegree;
    size_t *position;       /* node id -> index in graph->nodes */
    size_t **dependents;    /* per node index: indices of nodes that depend on it */
    size_t *n_dependents;
    size_t *cap_dependents;
    size_t current;
    const ol_graph *graph;
    bool oom;
} sort_state;

static size_t index_of(const sort_state *s, const ol_node *node)
{
    return s->position[node->id];
}

static void count_dependency(ol_node *dep, void *ctx)
{
    sort_state *s = ctx;
    size_t d = index_of(s, dep);
    s->indegree[s->current]++;
    if (s->n_dependents[d] == s->cap_dependents[d]) {
        size_t cap = s->cap_dependents[d] ? 2 * s->cap_dependents[d] : 4;
        size_t *grown = realloc(s->dependents[d], cap * sizeof *grown);
        if (!grown) {
            s->oom = true;
            return;
        }
        s->dependents[d] = grown;
        s->cap_dependents[d] = cap;
    }
    s->dependents[d][s->n_dependents[d]++] = s->current;
}

static const char *node_label(const ol_node *node)
{
    return node->name && *node->name ? node->name : "(unnamed)";
}

/* Records the first dependency of a node that could not be placed. */
typedef struct unplaced_dep {
    const sort_state *s;
    ol_node *found;
} unplaced_dep;

static void find_unplaced(ol_node *dep, void *ctx)
{
    unplaced_dep *u = ctx;
    if (!u->found && u->s->indegree[index_of(u->s, dep)] > 0)
        u->found = dep;
}

/* Names a node on a cycle. The first unplaced node may only be downstream of one, so the report
 * follows unplaced dependencies n times first: every unplaced node has one, and a walk that long
 * must be going round a cycle. */
static ol_status report_cycle(const sort_state *s, ol_error *err)
{
    const ol_graph *graph = s->graph;
    size_t n = graph->n_nodes;
    ol_node *node = NULL;
    for (size_t i = 0; i < n && !node; i++)
        if (s->indegree[i] > 0)
            node = graph->nodes[i];
    for (size_t step = 0; step < n; step++) {
        unplaced_dep u = {.s = s};
        for_each_dependency(graph, node, find_unplaced, &u);
        if (!u.found)
            break;
        node = u.found;
    }
    for (size_t k = 0; k < node->n_inputs; k++) {
        ol_node *p = node->inputs[k] ? local_producer(graph, node->inputs[k]) : NULL;
        if (p && s->indegree[index_of(s, p)] > 0)
            return ol_fail(err, OL_ERR_INVALID, "graph has a cycle: node '%s' (%s) depends on its own "
                           "output through input '%s'", node_label(node), node->op_type,
                           node->inputs[k]->name);
    }
    /* Only a subgraph closes the cycle. */
    const char *via = "?";
    for (size_t a = 0; a < node->n_attrs && *via == '?'; a++) {
        const ol_attr *attr = &node->attrs[a];
        size_t count = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < count && *via == '?'; k++) {
            const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            for (size_t i = 0; i < sub->n_values; i++) {
                const ol_value *v = sub->values[i];
                ol_node *p = v->outer && !v->erased ? local_producer(graph, v->outer) : NULL;
                if (p && s->indegree[index_of(s, p)] > 0) {
                    via = v->name;
                    break;
                }
            }
        }
    }
    return ol_fail(err, OL_ERR_INVALID, "graph has a cycle: node '%s' (%s) depends on its own output "
                   "through '%s', read in a subgraph", node_label(node), node->op_type, via);
}

ol_status ol_graph_toposort(ol_graph *graph, ol_error *err)
{
    ol_graph_compact(graph);
    size_t n = graph->n_nodes;
    if (n == 0)
        return OL_OK;
    sort_state s = {.graph = graph};
    heap ready = {0};
    ol_node **sorted = NULL;
    ol_status status = OL_OK;
    s.indegree = calloc(n, sizeof *s.indegree);
    s.position = calloc(graph->next_node_id ? graph->next_node_id : 1, sizeof *s.position);
    s.dependents = calloc(n, sizeof *s.dependents);
    s.n_dependents = calloc(n, sizeof *s.n_dependents);
    s.cap_dependents = calloc(n, sizeof *s.cap_dependents);
    ready.items = malloc(n * sizeof *ready.items);
    sorted = malloc(n * sizeof *sorted);
    if (!s.indegree || !s.position || !s.dependents || !s.n_dependents || !s.cap_dependents ||
        !ready.items || !sorted) {
        status = ol_fail(err, OL_ERR_NOMEM, "out of memory sorting a graph of %zu nodes", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        s.position[graph->nodes[i]->id] = i;
    for (size_t i = 0; i < n; i++) {
        s.current = i;
        for_each_dependency(graph, graph->nodes[i], count_dependency, &s);
    }
    if (s.oom) {
        status = ol_fail(err, OL_ERR_NOMEM, "out of memory sorting a graph of %zu nodes", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (s.indegree[i] == 0)
            heap_push(&ready, i);
    size_t placed = 0;
    while (ready.n) {
        size_t i = heap_pop(&ready);
        sorted[placed++] = graph->nodes[i];
        for (size_t k = 0; k < s.n_dependents[i]; k++)
            if (--s.indegree[s.dependents[i][k]] == 0)
                heap_push(&ready, s.dependents[i][k]);
    }
    if (placed < n) {
        status = report_cycle(&s, err);
        goto done;
    }
    memcpy(graph->nodes, sorted, n * sizeof *sorted);
done:
    for (size_t i = 0; s.dependents && i < n; i++)
        free(s.dependents[i]);
    free(s.dependents);
    free(s.n_dependents);
    free(s.cap_dependents);
    free(s.indegree);
    free(s.position);
    free(ready.items);
    free(sorted);
    return status;
}
