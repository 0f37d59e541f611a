/* Driver of shape inference: walks each graph in topological order, runs the operator's inference
 * function and merges what it found into the output values.
 *
 * Merging never loses information and never overrides a declaration: a value without a type takes the
 * inferred one, an intermediate value with a less precise type is refined (unknown or symbolic dims
 * become numbers, an unknown rank becomes known), and a graph input or output keeps what it declares.
 * Any disagreement between two known facts is an error naming the node and the value. */
#include <stdlib.h>
#include <string.h>

#include "onnxlite/shape.h"
#include "shape/infer_internal.h"

static bool is_default_domain(const char *domain)
{
    return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

static int64_t resolve_opset(const infer_session *s, const ol_node *node)
{
    if (node->opset > 0)
        return node->opset;
    int64_t v = ol_model_opset(s->model, "");
    return v > 0 ? v : OL_SHAPE_LATEST_OPSET;
}

static ol_status check_dim_agrees(infer_ctx *c, const ol_value *v, int d, const ol_dim *declared,
                                  const ol_dim *inferred)
{
    if (dim_known(declared) && dim_known(inferred) && declared->value != inferred->value)
        return infer_fail(c, "value '%s' declares dim %d as %lld but inference gives %lld", v->name,
                          d, (long long)declared->value, (long long)inferred->value);
    return OL_OK;
}

/* The more precise of a declared and an inferred dim that agree. */
static const ol_dim *refined_dim(const ol_dim *declared, const ol_dim *inferred)
{
    if (dim_known(declared))
        return declared;
    if (dim_known(inferred))
        return inferred;
    return declared->param ? declared : inferred;
}

static ol_status merge_into_value(infer_ctx *c, ol_value *v, const ol_type *inferred)
{
    ol_type *cur = &v->type;
    if (inferred->kind == OL_TYPE_UNKNOWN)
        return OL_OK;
    if (cur->kind == OL_TYPE_UNKNOWN)
        return ol_type_copy(cur, inferred) == 0 ? OL_OK : infer_nomem(c);
    if (inferred->kind == OL_TYPE_OTHER || cur->kind == OL_TYPE_OTHER) {
        if (inferred->kind != cur->kind)
            return infer_fail(c, "value '%s' is declared as a %s type but inference gives a %s type",
                              v->name, cur->kind == OL_TYPE_TENSOR ? "tensor" : "non-tensor",
                              inferred->kind == OL_TYPE_TENSOR ? "tensor" : "non-tensor");
        return OL_OK;
    }
    if (cur->elem != OL_UNDEFINED && inferred->elem != OL_UNDEFINED && cur->elem != inferred->elem)
        return infer_fail(c, "value '%s' is declared %s but inference gives %s", v->name,
                          ol_dtype_name(cur->elem), ol_dtype_name(inferred->elem));
    if (cur->rank >= 0 && inferred->rank >= 0) {
        if (cur->rank != inferred->rank)
            return infer_fail(c, "value '%s' is declared with rank %d but inference gives rank %d",
                              v->name, cur->rank, inferred->rank);
        for (int d = 0; d < cur->rank; d++) {
            ol_status st = check_dim_agrees(c, v, d, &cur->dims[d], &inferred->dims[d]);
            if (st != OL_OK)
                return st;
        }
    }
    if (v->is_input || v->is_output)
        return OL_OK;  /* the graph's interface is what its author declared */

    ol_dtype elem = cur->elem != OL_UNDEFINED ? cur->elem : inferred->elem;
    int rank = cur->rank >= 0 ? cur->rank : inferred->rank;
    ol_dim dims[OL_MAX_RANK];
    for (int d = 0; d < rank && d < OL_MAX_RANK; d++) {
        if (cur->rank < 0)
            dims[d] = inferred->dims[d];
        else if (inferred->rank < 0)
            dims[d] = cur->dims[d];
        else
            dims[d] = *refined_dim(&cur->dims[d], &inferred->dims[d]);
    }
    ol_type merged = {.kind = OL_TYPE_UNKNOWN, .rank = -1};
    if (ol_type_set_tensor(&merged, elem, rank, NULL) != 0)
        return infer_nomem(c);
    for (int d = 0; d < rank; d++) {
        merged.dims[d].value = dims[d].value;
        if (dims[d].value < 0 && dims[d].param && !(merged.dims[d].param = strdup(dims[d].param))) {
            ol_type_clear(&merged);
            return infer_nomem(c);
        }
    }
    if (!ol_type_equal(&merged, cur)) {
        ol_type_clear(cur);
        *cur = merged;
    } else {
        ol_type_clear(&merged);
    }
    return OL_OK;
}

static ol_status check_input_ranks(infer_ctx *c)
{
    for (size_t i = 0; i < infer_in_count(c); i++) {
        const ol_type *t = infer_in_type(c, i);
        if (!t || t->kind != OL_TYPE_TENSOR || t->rank < 0)
            continue;
        if (t->rank > OL_MAX_RANK)
            return infer_fail(c, "input %zu has rank %d, above the limit of %d", i, t->rank,
                              OL_MAX_RANK);
        if (t->rank > 0 && !t->dims)
            return ol_fail(c->err, OL_ERR_INTERNAL, "node '%s' (%s): input %zu has rank %d but no dims",
                           infer_node_label(c->node), c->node->op_type, i, t->rank);
    }
    return OL_OK;
}

static ol_status infer_subgraphs(infer_session *s, ol_node *node)
{
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        if (attr->g) {
            ol_status st = infer_graph(s, attr->g);
            if (st != OL_OK)
                return st;
        }
        for (size_t k = 0; attr->graphs && k < attr->n; k++) {
            if (!attr->graphs[k])
                continue;
            ol_status st = infer_graph(s, attr->graphs[k]);
            if (st != OL_OK)
                return st;
        }
    }
    return OL_OK;
}

static ol_status run_node(infer_session *s, ol_node *node, infer_fn fn)
{
    size_t n = node->n_outputs;
    infer_ctx c = {
        .session = s,
        .node = node,
        .err = s->err,
        .opset = resolve_opset(s, node),
        .out = calloc(n ? n : 1, sizeof(ol_type)),
        .out_known = malloc((n ? n : 1) * sizeof(known_ints)),
        .out_has_known = calloc(n ? n : 1, sizeof(bool)),
    };
    ol_status st = OL_OK;
    if (!c.out || !c.out_known || !c.out_has_known) {
        st = infer_nomem(&c);
        goto done;
    }
    for (size_t o = 0; o < n; o++)
        c.out[o] = (ol_type){.kind = OL_TYPE_UNKNOWN, .rank = -1};
    if ((st = check_input_ranks(&c)) != OL_OK || (st = fn(&c)) != OL_OK)
        goto done;
    for (size_t o = 0; o < n; o++) {
        ol_value *v = node->outputs[o];
        if (!v)
            continue;
        if ((st = merge_into_value(&c, v, &c.out[o])) != OL_OK)
            goto done;
        if (c.out_has_known[o] && !infer_known_map_put(s->known, v, &c.out_known[o])) {
            st = infer_nomem(&c);
            goto done;
        }
    }
done:
    for (size_t o = 0; c.out && o < n; o++)
        ol_type_clear(&c.out[o]);
    free(c.out);
    free(c.out_known);
    free(c.out_has_known);
    return st;
}

/* The IR keeps an attribute packed when it cannot model it (a doc string on the attribute, a
 * reference to a function's attribute): its value is not readable here, so the node is left as an
 * unknown op would be. A sparse tensor is always packed, and Constant reads it itself. */
static bool has_unreadable_attr(const ol_node *node)
{
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        if (attr->opaque.size && attr->type != OL_ATTR_SPARSE_TENSOR)
            return true;
    }
    return false;
}

static ol_status infer_node(infer_session *s, ol_node *node)
{
    infer_fn fn = is_default_domain(node->domain) ? infer_lookup(node->op_type) : NULL;
    if (fn && has_unreadable_attr(node))
        fn = NULL;
    /* If and Loop type their bodies' inputs before walking them; other ops' bodies go first. */
    if (fn != infer_if && fn != infer_loop) {
        ol_status st = infer_subgraphs(s, node);
        if (st != OL_OK)
            return st;
    }
    return fn ? run_node(s, node, fn) : OL_OK;
}

/* A subgraph's reference to an enclosing value copied the type that value had when it was read. */
static ol_status refresh_outer_refs(infer_session *s, ol_graph *graph)
{
    for (size_t i = 0; i < graph->n_values; i++) {
        ol_value *v = graph->values[i];
        if (v->erased || !v->outer || v->type.kind != OL_TYPE_UNKNOWN)
            continue;
        const ol_value *src = infer_value_type_source(v);
        if (src != v && ol_type_copy(&v->type, &src->type) != 0)
            return ol_fail(s->err, OL_ERR_NOMEM, "out of memory typing '%s'", v->name);
    }
    return OL_OK;
}

ol_status infer_graph(infer_session *s, ol_graph *graph)
{
    ol_status st = ol_graph_toposort(graph, s->err);
    if (st != OL_OK)
        return st;
    if ((st = refresh_outer_refs(s, graph)) != OL_OK)
        return st;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        if ((st = infer_node(s, node)) != OL_OK)
            return st;
    }
    return OL_OK;
}

ol_status ol_model_infer_shapes(ol_model *model, ol_error *err)
{
    if (!model || !model->graph)
        return ol_fail(err, OL_ERR_ARG, "shape inference needs a model with a graph");
    infer_session s = {
        .model = model,
        .err = err,
        .known = infer_known_map_create(),
        .pool = infer_string_pool_create(),
    };
    ol_status st = s.known && s.pool ? infer_graph(&s, model->graph)
                                     : ol_fail(err, OL_ERR_NOMEM, "out of memory starting shape inference");
    infer_known_map_destroy(s.known);
    infer_string_pool_destroy(s.pool);
    return st;
}
