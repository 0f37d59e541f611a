/* Attribute copies and comparisons. */
#include "pass_attrs.h"

#include <stdlib.h>
#include <string.h>

static bool attr_copyable(const ol_attr *a)
{
    if (a->opaque.size)
        return false;
    switch (a->type) {
    case OL_ATTR_INT:
    case OL_ATTR_FLOAT:
    case OL_ATTR_INTS:
    case OL_ATTR_FLOATS:
        return true;
    case OL_ATTR_STRING:
        return !a->s.size || !memchr(a->s.data, 0, a->s.size);
    case OL_ATTR_TENSOR:
        return a->t != NULL;
    default:
        return false;
    }
}

bool pass_attrs_copyable(const ol_node *node)
{
    for (size_t i = 0; i < node->n_attrs; i++)
        if (!attr_copyable(&node->attrs[i]))
            return false;
    return true;
}

static ol_status copy_attr(ol_node *dst, const ol_attr *a, ol_error *err)
{
    switch (a->type) {
    case OL_ATTR_INT:
        return ol_node_set_attr_int(dst, a->name, a->i, err);
    case OL_ATTR_FLOAT:
        return ol_node_set_attr_float(dst, a->name, a->f, err);
    case OL_ATTR_INTS:
        return ol_node_set_attr_ints(dst, a->name, a->ints, a->n, err);
    case OL_ATTR_FLOATS:
        return ol_node_set_attr_floats(dst, a->name, a->floats, a->n, err);
    case OL_ATTR_STRING: {
        char *text = malloc(a->s.size + 1);
        if (!text)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory copying attribute '%s'", a->name);
        if (a->s.size)
            memcpy(text, a->s.data, a->s.size);
        text[a->s.size] = '\0';
        ol_status st = ol_node_set_attr_string(dst, a->name, text, err);
        free(text);
        return st;
    }
    case OL_ATTR_TENSOR: {
        ol_tensor *t = ol_tensor_clone(a->t, err);
        return t ? ol_node_set_attr_tensor(dst, a->name, t, err) : OL_ERR_NOMEM;
    }
    default:
        return ol_fail(err, OL_ERR_UNSUPPORTED, "attribute '%s' cannot be copied", a->name);
    }
}

ol_status pass_copy_attrs(ol_node *dst, const ol_node *src, ol_error *err)
{
    if (!pass_attrs_copyable(src))
        return ol_fail(err, OL_ERR_UNSUPPORTED, "node '%s' (%s) has attributes that cannot be copied",
                       src->name ? src->name : "", src->op_type);
    for (size_t i = 0; i < src->n_attrs; i++) {
        ol_status st = copy_attr(dst, &src->attrs[i], err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static bool bytes_equal(const ol_bytes *a, const ol_bytes *b)
{
    return a->size == b->size && (!a->size || memcmp(a->data, b->data, a->size) == 0);
}

static bool attr_equal(const ol_attr *a, const ol_attr *b)
{
    if (a->type != b->type || !bytes_equal(&a->opaque, &b->opaque))
        return false;
    if (a->opaque.size)
        return true;
    switch (a->type) {
    case OL_ATTR_INT:
        return a->i == b->i;
    case OL_ATTR_FLOAT:
        return memcmp(&a->f, &b->f, sizeof a->f) == 0;   /* bitwise: NaN equals itself, -0 != 0 */
    case OL_ATTR_STRING:
        return bytes_equal(&a->s, &b->s);
    case OL_ATTR_INTS:
        return a->n == b->n && (!a->n || memcmp(a->ints, b->ints, a->n * sizeof *a->ints) == 0);
    case OL_ATTR_FLOATS:
        return a->n == b->n && (!a->n || memcmp(a->floats, b->floats, a->n * sizeof *a->floats) == 0);
    case OL_ATTR_STRINGS:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!bytes_equal(&a->strings[i], &b->strings[i]))
                return false;
        return true;
    case OL_ATTR_TENSOR:
        return a->t && b->t && ol_tensor_equal(a->t, b->t);
    case OL_ATTR_TENSORS:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!ol_tensor_equal(a->tensors[i], b->tensors[i]))
                return false;
        return true;
    default:
        return false;   /* graphs and kinds the IR does not model */
    }
}

bool pass_attrs_equal(const ol_node *a, const ol_node *b)
{
    if (a->n_attrs != b->n_attrs)
        return false;
    for (size_t i = 0; i < a->n_attrs; i++) {
        const ol_attr *other = ol_node_attr(b, a->attrs[i].name);
        if (!other || !attr_equal(&a->attrs[i], other))
            return false;
    }
    return true;
}
