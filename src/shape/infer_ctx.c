/* The per-node view that inference functions work through: input types, output slots, attribute
 * readers that reject the wrong attribute kind instead of silently using a default, and errors that
 * always name the node. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shape/infer_internal.h"

const char *infer_node_label(const ol_node *node)
{
    if (node->name && *node->name)
        return node->name;
    for (size_t i = 0; i < node->n_outputs; i++)
        if (node->outputs[i] && node->outputs[i]->name)
            return node->outputs[i]->name;
    return "";
}

ol_status infer_fail(infer_ctx *c, const char *fmt, ...)
{
    char detail[OL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return ol_fail(c->err, OL_ERR_INVALID, "node '%s' (%s): %s", infer_node_label(c->node),
                   c->node->op_type, detail);
}

ol_status infer_nomem(infer_ctx *c)
{
    return ol_fail(c->err, OL_ERR_NOMEM, "node '%s' (%s): out of memory during shape inference",
                   infer_node_label(c->node), c->node->op_type);
}

/* ---------------------------------------------------------------------------------------------- */

size_t infer_in_count(const infer_ctx *c)
{
    return c->node->n_inputs;
}

ol_value *infer_in_value(const infer_ctx *c, size_t i)
{
    return i < c->node->n_inputs ? c->node->inputs[i] : NULL;
}

bool infer_in_present(const infer_ctx *c, size_t i)
{
    return infer_in_value(c, i) != NULL;
}

/* An outer-scope reference copied its type when the subgraph was read, before inference refined the
 * enclosing value; the enclosing value is the one to trust once it knows more. */
const ol_value *infer_value_type_source(const ol_value *value)
{
    const ol_value *best = value;
    for (const ol_value *v = value->outer; v; v = v->outer)
        if (v->type.kind != OL_TYPE_UNKNOWN)
            best = v;
    return best;
}

const ol_type *infer_in_type(const infer_ctx *c, size_t i)
{
    const ol_value *v = infer_in_value(c, i);
    return v ? &infer_value_type_source(v)->type : NULL;
}

bool infer_in_is_tensor(const infer_ctx *c, size_t i)
{
    const ol_type *t = infer_in_type(c, i);
    return t && t->kind == OL_TYPE_TENSOR;
}

ol_dtype infer_in_elem(const infer_ctx *c, size_t i)
{
    return infer_in_is_tensor(c, i) ? infer_in_type(c, i)->elem : OL_UNDEFINED;
}

int infer_in_rank(const infer_ctx *c, size_t i)
{
    return infer_in_is_tensor(c, i) ? infer_in_type(c, i)->rank : -1;
}

const ol_dim *infer_in_dims(const infer_ctx *c, size_t i)
{
    return infer_in_is_tensor(c, i) ? infer_in_type(c, i)->dims : NULL;
}

ol_status infer_in_require(infer_ctx *c, size_t i)
{
    if (!infer_in_present(c, i))
        return infer_fail(c, "required input %zu is missing", i);
    return OL_OK;
}

/* ---------------------------------------------------------------------------------------------- */

bool infer_out_present(const infer_ctx *c, size_t o)
{
    return o < c->node->n_outputs && c->node->outputs[o];
}

ol_status infer_out_tensor_dims(infer_ctx *c, size_t o, ol_dtype elem, int rank, const ol_dim *dims)
{
    if (o >= c->node->n_outputs)
        return OL_OK;
    if (rank > OL_MAX_RANK)
        return infer_fail(c, "output %zu would have rank %d, above the limit of %d", o, rank,
                          OL_MAX_RANK);
    ol_type t = {.kind = OL_TYPE_TENSOR, .elem = elem, .rank = rank < 0 ? -1 : rank};
    if (rank > 0) {
        t.dims = calloc((size_t)rank, sizeof *t.dims);
        if (!t.dims)
            return infer_nomem(c);
        for (int d = 0; d < rank; d++) {
            t.dims[d].value = dims ? dims[d].value : -1;
            if (dims && dims[d].value < 0 && dims[d].param && !(t.dims[d].param = strdup(dims[d].param))) {
                ol_type_clear(&t);
                return infer_nomem(c);
            }
            if (t.dims[d].value < 0)
                t.dims[d].value = -1;
        }
    }
    ol_type_clear(&c->out[o]);
    c->out[o] = t;
    return OL_OK;
}

ol_status infer_out_tensor(infer_ctx *c, size_t o, ol_dtype elem, int rank)
{
    return infer_out_tensor_dims(c, o, elem, rank, NULL);
}

ol_status infer_out_like_input(infer_ctx *c, size_t o, size_t i, ol_dtype elem)
{
    const ol_type *t = infer_in_type(c, i);
    if (!t || t->kind != OL_TYPE_TENSOR)
        return elem != OL_UNDEFINED ? infer_out_tensor(c, o, elem, -1) : OL_OK;
    return infer_out_tensor_dims(c, o, elem != OL_UNDEFINED ? elem : t->elem, t->rank, t->dims);
}

ol_status infer_out_shape_of_input(infer_ctx *c, size_t o, size_t i, ol_dtype elem)
{
    const ol_type *t = infer_in_type(c, i);
    if (!t || t->kind != OL_TYPE_TENSOR)
        return infer_out_tensor(c, o, elem, -1);
    return infer_out_tensor_dims(c, o, elem, t->rank, t->dims);
}

/* ---------------------------------------------------------------------------------------------- */

static const char *attr_type_name(ol_attr_type t)
{
    static const char *const names[] = {
        "undefined", "float", "int", "string", "tensor", "graph", "floats", "ints", "strings",
        "tensors", "graphs", "sparse tensor", "sparse tensors", "type proto", "type protos",
    };
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "unknown";
}

static ol_status attr_expect(infer_ctx *c, const ol_attr *a, ol_attr_type want)
{
    if (a->type != want)
        return infer_fail(c, "attribute '%s' must be %s, not %s", a->name, attr_type_name(want),
                          attr_type_name(a->type));
    return OL_OK;
}

ol_status infer_attr_int(infer_ctx *c, const char *name, int64_t dflt, int64_t *out)
{
    const ol_attr *a = ol_node_attr(c->node, name);
    *out = dflt;
    if (!a)
        return OL_OK;
    ol_status st = attr_expect(c, a, OL_ATTR_INT);
    if (st == OL_OK)
        *out = a->i;
    return st;
}

ol_status infer_attr_float(infer_ctx *c, const char *name, float dflt, float *out)
{
    const ol_attr *a = ol_node_attr(c->node, name);
    *out = dflt;
    if (!a)
        return OL_OK;
    ol_status st = attr_expect(c, a, OL_ATTR_FLOAT);
    if (st == OL_OK)
        *out = a->f;
    return st;
}

ol_status infer_attr_ints(infer_ctx *c, const char *name, const int64_t **values, size_t *n)
{
    const ol_attr *a = ol_node_attr(c->node, name);
    *values = NULL;
    *n = 0;
    if (!a)
        return OL_OK;
    ol_status st = attr_expect(c, a, OL_ATTR_INTS);
    if (st != OL_OK)
        return st;
    if (a->n > 0 && !a->ints)
        return infer_fail(c, "attribute '%s' has no data", name);
    *values = a->ints;
    *n = a->n;
    return OL_OK;
}

ol_status infer_attr_floats(infer_ctx *c, const char *name, const float **values, size_t *n)
{
    const ol_attr *a = ol_node_attr(c->node, name);
    *values = NULL;
    *n = 0;
    if (!a)
        return OL_OK;
    ol_status st = attr_expect(c, a, OL_ATTR_FLOATS);
    if (st != OL_OK)
        return st;
    if (a->n > 0 && !a->floats)
        return infer_fail(c, "attribute '%s' has no data", name);
    *values = a->floats;
    *n = a->n;
    return OL_OK;
}

ol_status infer_attr_string(infer_ctx *c, const char *name, const char *dflt, const char **s, size_t *len)
{
    const ol_attr *a = ol_node_attr(c->node, name);
    *s = dflt;
    *len = dflt ? strlen(dflt) : 0;
    if (!a)
        return OL_OK;
    ol_status st = attr_expect(c, a, OL_ATTR_STRING);
    if (st != OL_OK)
        return st;
    *s = a->s.data ? (const char *)a->s.data : "";
    *len = a->s.data ? a->s.size : 0;
    return OL_OK;
}

bool infer_bytes_equal(const char *s, size_t len, const char *literal)
{
    return strlen(literal) == len && memcmp(s, literal, len) == 0;
}

ol_status infer_attr_forbidden(infer_ctx *c, const char *name, const char *why)
{
    if (ol_node_attr(c->node, name))
        return infer_fail(c, "attribute '%s' is not allowed at opset %lld: %s", name,
                          (long long)c->opset, why);
    return OL_OK;
}
