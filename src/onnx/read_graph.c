/* GraphProto -> ol_graph. Node outputs are created before any input is connected, so a graph whose
 * nodes are not in topological order still reads (and is then sorted); names that nothing defines
 * are reported as dangling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"
#include "onnx/onnx_internal.h"
#include "util/mem.h"

static const char *node_label(const Onnx__NodeProto *n, size_t index, char *buf, size_t size)
{
    if (n->name && *n->name)
        snprintf(buf, size, "node '%s' (%s)", n->name, n->op_type ? n->op_type : "?");
    else
        snprintf(buf, size, "node #%zu (%s)", index, n->op_type ? n->op_type : "?");
    return buf;
}

/* The value `name` as seen from `graph`: local, or an outer reference created on demand (one per
 * enclosing level, each recording an implicit use on the node that owns the subgraph). */
static ol_value *lookup(ol_read_ctx *ctx, ol_graph *graph, const char *name)
{
    ol_value *v = ol_graph_find_value(graph, name);
    if (v || !graph->parent)
        return v;
    ol_value *outer = lookup(ctx, graph->parent, name);
    if (!outer)
        return NULL;
    /* add_outer_ref records the implicit use on graph->owner. */
    return ol_graph_add_outer_ref(graph, outer, ctx->err);
}

static ol_status read_attr(ol_read_ctx *ctx, ol_node *node, const Onnx__AttributeProto *msg,
                           ol_attr *attr, const char *label)
{
    char what[512];
    snprintf(what, sizeof what, "%s attribute '%s'", label, msg->name ? msg->name : "");
    if (!msg->name || !*msg->name)
        return ol_fail(ctx->err, OL_ERR_INVALID, "%s has an attribute without a name", label);
    if (!(attr->name = strdup(msg->name)))
        return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
    int type = msg->has_type ? (int)msg->type : 0;
    if (type == 0) {
        /* Old exporters omitted the type; infer it from the one field that is set. */
        type = msg->has_f ? 1 : msg->has_i ? 2 : msg->has_s ? 3 : msg->t ? 4 : msg->g ? 5
             : msg->n_floats ? 6 : msg->n_ints ? 7 : msg->n_strings ? 8 : msg->n_tensors ? 9
             : msg->n_graphs ? 10 : 0;
    }
    attr->type = (ol_attr_type)type;
    bool modelled = !msg->ref_attr_name && !msg->doc_string && type >= 1 && type <= 10;
    if (!modelled) {
        if (!ol_pb_pack(&msg->base, &attr->opaque))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        return OL_OK;
    }
    switch (attr->type) {
    case OL_ATTR_FLOAT: attr->f = msg->f; break;
    case OL_ATTR_INT: attr->i = msg->i; break;
    case OL_ATTR_STRING:
        attr->s.size = msg->s.len;
        if (msg->s.len && !(attr->s.data = ol_memdup(msg->s.data, msg->s.len)))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        break;
    case OL_ATTR_TENSOR:
        if (!msg->t)
            return ol_fail(ctx->err, OL_ERR_INVALID, "%s is declared a tensor but holds none", what);
        if (!(attr->t = ol_read_tensor(ctx, msg->t, what)))
            return ctx->err->status;
        break;
    case OL_ATTR_GRAPH:
        if (!msg->g)
            return ol_fail(ctx->err, OL_ERR_INVALID, "%s is declared a graph but holds none", what);
        if (!(attr->g = ol_read_graph(ctx, msg->g, node->graph, node))) {
            ol_error_prefix(ctx->err, "in %s: ", what);
            return ctx->err->status;
        }
        break;
    case OL_ATTR_FLOATS:
        attr->n = msg->n_floats;
        if (attr->n && !(attr->floats = ol_memdup(msg->floats, attr->n * sizeof(float))))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        break;
    case OL_ATTR_INTS:
        attr->n = msg->n_ints;
        if (attr->n && !(attr->ints = ol_memdup(msg->ints, attr->n * sizeof(int64_t))))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        break;
    case OL_ATTR_STRINGS:
        if (msg->n_strings && !(attr->strings = calloc(msg->n_strings, sizeof *attr->strings)))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        for (; attr->n < msg->n_strings; attr->n++) {
            const ProtobufCBinaryData *s = &msg->strings[attr->n];
            attr->strings[attr->n].size = s->len;
            if (s->len && !(attr->strings[attr->n].data = ol_memdup(s->data, s->len)))
                return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        }
        break;
    case OL_ATTR_TENSORS:
        if (msg->n_tensors && !(attr->tensors = calloc(msg->n_tensors, sizeof *attr->tensors)))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        for (; attr->n < msg->n_tensors; attr->n++)
            if (!(attr->tensors[attr->n] = ol_read_tensor(ctx, msg->tensors[attr->n], what)))
                return ctx->err->status;
        break;
    case OL_ATTR_GRAPHS:
        if (msg->n_graphs && !(attr->graphs = calloc(msg->n_graphs, sizeof *attr->graphs)))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        for (; attr->n < msg->n_graphs; attr->n++)
            if (!(attr->graphs[attr->n] = ol_read_graph(ctx, msg->graphs[attr->n], node->graph, node))) {
                ol_error_prefix(ctx->err, "in %s: ", what);
                return ctx->err->status;
            }
        break;
    default:
        break;
    }
    return OL_OK;
}

static ol_status read_value_info(ol_read_ctx *ctx, ol_value *value, const Onnx__ValueInfoProto *msg)
{
    /* An empty TypeProto, or a tensor type without an element type, must not erase the type an
     * initializer already gave the value: the writer drops such partial types, so a second read
     * would keep the initializer's type and the round trip would not be stable. */
    if (msg->type && msg->type->value_case != ONNX__TYPE_PROTO__VALUE__NOT_SET) {
        ol_type declared;
        memset(&declared, 0, sizeof declared);
        if (ol_read_type(msg->type, &declared, ctx->err) != OL_OK) {
            ol_type_clear(&declared);
            ol_error_prefix(ctx->err, "value '%s': ", value->name);
            return ctx->err->status;
        }
        bool partial = declared.kind == OL_TYPE_TENSOR && declared.elem == OL_UNDEFINED;
        if (partial && value->type.kind != OL_TYPE_UNKNOWN) {
            ol_type_clear(&declared);
        } else {
            ol_type_clear(&value->type);
            value->type = declared;
        }
    }
    /* A value may be described twice (a graph input that is also an output): the last one wins. */
    free(value->extras.data);
    if (!ol_pb_value_info_extras(msg, &value->extras))
        return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

static ol_status read_initializers(ol_read_ctx *ctx, ol_graph *graph, const Onnx__GraphProto *msg)
{
    for (size_t i = 0; i < msg->n_initializer; i++) {
        const Onnx__TensorProto *tp = msg->initializer[i];
        char what[300];
        snprintf(what, sizeof what, "initializer '%s'", tp->name ? tp->name : "");
        if (!tp->name || !*tp->name)
            return ol_fail(ctx->err, OL_ERR_INVALID, "initializer #%zu has no name", i);
        ol_tensor *t = ol_read_tensor(ctx, tp, what);
        if (!t || !ol_graph_add_initializer(graph, tp->name, t, ctx->err))
            return ctx->err->status;
    }
    for (size_t i = 0; i < msg->n_sparse_initializer; i++) {
        const Onnx__SparseTensorProto *sp = msg->sparse_initializer[i];
        const char *name = sp->values ? sp->values->name : NULL;
        if (!name || !*name)
            return ol_fail(ctx->err, OL_ERR_INVALID, "sparse initializer #%zu has no name", i);
        ol_value *v = ol_graph_add_value(graph, name, ctx->err);
        if (!v)
            return ctx->err->status;
        if (!ol_pb_pack(&sp->base, &v->sparse))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        if (sp->values->has_data_type && ol_dtype_valid(sp->values->data_type) && sp->n_dims <= OL_MAX_RANK &&
            ol_type_set_tensor(&v->type, sp->values->data_type, (int)sp->n_dims, sp->dims) != 0)
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
    }
    return OL_OK;
}

static ol_status read_inputs(ol_read_ctx *ctx, ol_graph *graph, const Onnx__GraphProto *msg)
{
    for (size_t i = 0; i < msg->n_input; i++) {
        const Onnx__ValueInfoProto *vi = msg->input[i];
        if (!vi->name || !*vi->name)
            return ol_fail(ctx->err, OL_ERR_INVALID, "graph input #%zu has no name", i);
        ol_value *v = ol_graph_find_value(graph, vi->name);
        if (v && (!v->constant || v->is_input))
            return ol_fail(ctx->err, OL_ERR_INVALID, "graph input '%s' is listed twice", vi->name);
        if (v) {
            /* IR < 4 lists initializers among the inputs: an input with a default value. */
            if (!OL_RESERVE(graph->inputs, graph->cap_inputs, graph->n_inputs + 1))
                return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
            v->is_input = true;
            graph->inputs[graph->n_inputs++] = v;
        } else if (!(v = ol_graph_add_input(graph, vi->name, NULL, ctx->err))) {
            return ctx->err->status;
        }
        if (read_value_info(ctx, v, vi) != OL_OK)
            return ctx->err->status;
    }
    return OL_OK;
}

/* First half of reading nodes: the node objects and their output values. */
static ol_status create_nodes(ol_read_ctx *ctx, ol_graph *graph, const Onnx__GraphProto *msg)
{
    char label[400];
    for (size_t i = 0; i < msg->n_node; i++) {
        const Onnx__NodeProto *nm = msg->node[i];
        node_label(nm, i, label, sizeof label);
        if (!nm->op_type || !*nm->op_type)
            return ol_fail(ctx->err, OL_ERR_INVALID, "%s has no op_type", label);
        ol_node *node = ol_graph_add_node(graph, nm->op_type, nm->domain, nm->name, ctx->err);
        if (!node)
            return ctx->err->status;
        if (!ol_pb_node_extras(nm, &node->extras))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < nm->n_output; k++) {
            const char *name = nm->output[k];
            ol_value *out = NULL;
            if (name && *name) {
                if (ol_graph_resolve_value(graph, name))
                    return ol_fail(ctx->err, OL_ERR_INVALID, "%s output '%s': value is defined twice",
                                   label, name);
                if (!(out = ol_graph_add_value(graph, name, ctx->err)))
                    return ctx->err->status;
            }
            if (ol_node_add_output(node, out, ctx->err) != OL_OK)
                return ctx->err->status;
        }
    }
    return OL_OK;
}

static int cmp_attr_names(const void *a, const void *b)
{
    const Onnx__AttributeProto *x = *(Onnx__AttributeProto *const *)a;
    const Onnx__AttributeProto *y = *(Onnx__AttributeProto *const *)b;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

/* Duplicate attribute names, found on a sorted copy: comparing every pair would take minutes on a
 * crafted node with tens of thousands of attributes. */
static ol_status check_duplicate_attrs(ol_read_ctx *ctx, const Onnx__NodeProto *nm, const char *label)
{
    if (nm->n_attribute < 2)
        return OL_OK;
    Onnx__AttributeProto **sorted = malloc(nm->n_attribute * sizeof *sorted);
    if (!sorted)
        return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
    memcpy(sorted, nm->attribute, nm->n_attribute * sizeof *sorted);
    qsort(sorted, nm->n_attribute, sizeof *sorted, cmp_attr_names);
    ol_status st = OL_OK;
    for (size_t a = 1; a < nm->n_attribute && st == OL_OK; a++)
        if (sorted[a]->name && *sorted[a]->name && cmp_attr_names(&sorted[a - 1], &sorted[a]) == 0)
            st = ol_fail(ctx->err, OL_ERR_INVALID, "%s has attribute '%s' twice", label, sorted[a]->name);
    free(sorted);
    return st;
}

/* Second half: inputs (now that every name in this graph exists) and attributes with subgraphs. */
static ol_status connect_nodes(ol_read_ctx *ctx, ol_graph *graph, const Onnx__GraphProto *msg,
                               size_t first_node)
{
    char label[400];
    for (size_t i = 0; i < msg->n_node; i++) {
        const Onnx__NodeProto *nm = msg->node[i];
        ol_node *node = graph->nodes[first_node + i];
        node_label(nm, i, label, sizeof label);
        if (check_duplicate_attrs(ctx, nm, label) != OL_OK)
            return ctx->err->status;
        if (nm->n_attribute && !(node->attrs = calloc(nm->n_attribute, sizeof *node->attrs)))
            return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        for (size_t a = 0; a < nm->n_attribute; a++) {
            node->n_attrs++;
            if (read_attr(ctx, node, nm->attribute[a], &node->attrs[a], label) != OL_OK)
                return ctx->err->status;
        }
        for (size_t k = 0; k < nm->n_input; k++) {
            const char *name = nm->input[k];
            ol_value *in = NULL;
            if (name && *name && !(in = lookup(ctx, graph, name))) {
                if (ctx->err->status != OL_OK)
                    return ctx->err->status;
                return ol_fail(ctx->err, OL_ERR_INVALID, "%s input '%s' is not produced by any node "
                               "nor a graph input or initializer (dangling)", label, name);
            }
            if (ol_node_add_input(node, in, ctx->err) != OL_OK)
                return ctx->err->status;
        }
    }
    return OL_OK;
}

static ol_status read_outputs_and_value_info(ol_read_ctx *ctx, ol_graph *graph, const Onnx__GraphProto *msg)
{
    for (size_t i = 0; i < msg->n_output; i++) {
        const Onnx__ValueInfoProto *vi = msg->output[i];
        if (!vi->name || !*vi->name)
            return ol_fail(ctx->err, OL_ERR_INVALID, "graph output #%zu has no name", i);
        ol_value *v = lookup(ctx, graph, vi->name);
        if (!v)
            return ctx->err->status != OL_OK
                       ? ctx->err->status
                       : ol_fail(ctx->err, OL_ERR_INVALID, "graph output '%s' is not produced by any "
                                 "node nor a graph input or initializer", vi->name);
        if (v->is_output)
            return ol_fail(ctx->err, OL_ERR_INVALID, "graph output '%s' is listed twice", vi->name);
        if (read_value_info(ctx, v, vi) != OL_OK || ol_graph_add_output(graph, v, ctx->err) != OL_OK)
            return ctx->err->status;
    }
    for (size_t i = 0; i < msg->n_value_info; i++) {
        const Onnx__ValueInfoProto *vi = msg->value_info[i];
        ol_value *v = vi->name ? ol_graph_find_value(graph, vi->name) : NULL;
        /* value_info for a name nothing defines is a hint about nothing; it is dropped. */
        if (v && !v->is_input && !v->is_output && !v->outer && read_value_info(ctx, v, vi) != OL_OK)
            return ctx->err->status;
    }
    return OL_OK;
}

ol_graph *ol_read_graph(ol_read_ctx *ctx, const Onnx__GraphProto *msg, ol_graph *parent, ol_node *owner)
{
    ol_graph *graph = ol_graph_create(ctx->model, parent, msg->name, ctx->err);
    if (!graph)
        return NULL;
    graph->owner = owner;
    /* The main graph must be reachable for model-wide name lookups while subgraphs are read. */
    if (!parent)
        ctx->model->graph = graph;
    if (!ol_pb_graph_extras(msg, &graph->extras)) {
        ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (read_initializers(ctx, graph, msg) != OL_OK || read_inputs(ctx, graph, msg) != OL_OK ||
        create_nodes(ctx, graph, msg) != OL_OK || connect_nodes(ctx, graph, msg, 0) != OL_OK ||
        read_outputs_and_value_info(ctx, graph, msg) != OL_OK)
        goto fail;
    if (ol_graph_toposort(graph, ctx->err) != OL_OK)
        goto fail;
    return graph;
fail:
    if (!parent)
        ctx->model->graph = NULL;
    ol_graph_destroy(graph);
    return NULL;
}
