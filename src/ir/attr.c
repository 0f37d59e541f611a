#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"
#include "util/mem.h"

void ol_attr_clear(ol_attr *attr)
{
    free(attr->name);
    free(attr->s.data);
    ol_tensor_destroy(attr->t);
    ol_graph_destroy(attr->g);
    free(attr->floats);
    free(attr->ints);
    for (size_t i = 0; attr->strings && i < attr->n; i++)
        free(attr->strings[i].data);
    free(attr->strings);
    for (size_t i = 0; attr->tensors && i < attr->n; i++)
        ol_tensor_destroy(attr->tensors[i]);
    free(attr->tensors);
    for (size_t i = 0; attr->graphs && i < attr->n; i++)
        ol_graph_destroy(attr->graphs[i]);
    free(attr->graphs);
    free(attr->opaque.data);
    memset(attr, 0, sizeof *attr);
}

const ol_attr *ol_node_attr(const ol_node *node, const char *name)
{
    for (size_t i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0)
            return &node->attrs[i];
    return NULL;
}

int64_t ol_node_attr_int(const ol_node *node, const char *name, int64_t dflt)
{
    const ol_attr *a = ol_node_attr(node, name);
    return a && a->type == OL_ATTR_INT ? a->i : dflt;
}

float ol_node_attr_float(const ol_node *node, const char *name, float dflt)
{
    const ol_attr *a = ol_node_attr(node, name);
    return a && a->type == OL_ATTR_FLOAT ? a->f : dflt;
}

const char *ol_node_attr_string(const ol_node *node, const char *name, size_t *len)
{
    const ol_attr *a = ol_node_attr(node, name);
    if (!a || a->type != OL_ATTR_STRING)
        return NULL;
    if (len)
        *len = a->s.size;
    return a->s.data ? (const char *)a->s.data : "";
}

const int64_t *ol_node_attr_ints(const ol_node *node, const char *name, size_t *n)
{
    const ol_attr *a = ol_node_attr(node, name);
    if (!a || a->type != OL_ATTR_INTS)
        return NULL;
    *n = a->n;
    /* An empty list is present but has no storage: hand back a valid pointer anyway. */
    static const int64_t empty[1] = {0};
    return a->ints ? a->ints : empty;
}

const ol_tensor *ol_node_attr_tensor(const ol_node *node, const char *name)
{
    const ol_attr *a = ol_node_attr(node, name);
    return a && a->type == OL_ATTR_TENSOR ? a->t : NULL;
}

/* Before a subgraph attribute of `node` is dropped: its outer references go away, so do the implicit
 * uses they recorded on the enclosing values. */
static void drop_subgraph_uses(ol_node *node, const ol_attr *attr)
{
    if (node->erased)
        return;   /* erase_node already dropped them */
    size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
    for (size_t k = 0; k < n; k++) {
        const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
        for (size_t i = 0; sub && i < sub->n_values; i++)
            if (sub->values[i]->outer && !sub->values[i]->erased)
                ol_value_remove_use(sub->values[i]->outer, node, OL_IMPLICIT_USE);
    }
}

/* Returns a cleared slot named `name` (reusing an existing attribute of that name). */
static ol_attr *attr_slot(ol_node *node, const char *name, ol_error *err)
{
    for (size_t i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0) {
            char *keep = node->attrs[i].name;
            drop_subgraph_uses(node, &node->attrs[i]);
            node->attrs[i].name = NULL;
            ol_attr_clear(&node->attrs[i]);
            node->attrs[i].name = keep;
            return &node->attrs[i];
        }
    ol_attr *grown = realloc(node->attrs, (node->n_attrs + 1) * sizeof *grown);
    char *copy = strdup(name);
    if (!grown || !copy) {
        if (grown)
            node->attrs = grown;
        free(copy);
        ol_fail(err, OL_ERR_NOMEM, "out of memory setting attribute '%s'", name);
        return NULL;
    }
    node->attrs = grown;
    ol_attr *slot = &node->attrs[node->n_attrs++];
    memset(slot, 0, sizeof *slot);
    slot->name = copy;
    return slot;
}

ol_status ol_node_set_attr_int(ol_node *node, const char *name, int64_t value, ol_error *err)
{
    ol_attr *a = attr_slot(node, name, err);
    if (!a)
        return err ? err->status : OL_ERR_NOMEM;
    a->type = OL_ATTR_INT;
    a->i = value;
    return OL_OK;
}

ol_status ol_node_set_attr_float(ol_node *node, const char *name, float value, ol_error *err)
{
    ol_attr *a = attr_slot(node, name, err);
    if (!a)
        return err ? err->status : OL_ERR_NOMEM;
    a->type = OL_ATTR_FLOAT;
    a->f = value;
    return OL_OK;
}

ol_status ol_node_set_attr_string(ol_node *node, const char *name, const char *value, ol_error *err)
{
    ol_attr *a = attr_slot(node, name, err);
    if (!a)
        return err ? err->status : OL_ERR_NOMEM;
    a->type = OL_ATTR_STRING;
    a->s.size = strlen(value);
    a->s.data = ol_memdup(value, a->s.size);
    if (a->s.size && !a->s.data)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory setting attribute '%s'", name);
    return OL_OK;
}

ol_status ol_node_set_attr_ints(ol_node *node, const char *name, const int64_t *values, size_t n,
                                ol_error *err)
{
    ol_attr *a = attr_slot(node, name, err);
    if (!a)
        return err ? err->status : OL_ERR_NOMEM;
    a->type = OL_ATTR_INTS;
    a->n = n;
    a->ints = ol_memdup(values, n * sizeof *values);
    if (n && !a->ints)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory setting attribute '%s'", name);
    return OL_OK;
}

ol_status ol_node_set_attr_floats(ol_node *node, const char *name, const float *values, size_t n,
                                  ol_error *err)
{
    ol_attr *a = attr_slot(node, name, err);
    if (!a)
        return err ? err->status : OL_ERR_NOMEM;
    a->type = OL_ATTR_FLOATS;
    a->n = n;
    a->floats = ol_memdup(values, n * sizeof *values);
    if (n && !a->floats)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory setting attribute '%s'", name);
    return OL_OK;
}

ol_status ol_node_set_attr_tensor(ol_node *node, const char *name, ol_tensor *tensor, ol_error *err)
{
    ol_attr *a = attr_slot(node, name, err);
    if (!a) {
        ol_tensor_destroy(tensor);
        return err ? err->status : OL_ERR_NOMEM;
    }
    a->type = OL_ATTR_TENSOR;
    a->t = tensor;
    return OL_OK;
}

bool ol_node_remove_attr(ol_node *node, const char *name)
{
    for (size_t i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0) {
            drop_subgraph_uses(node, &node->attrs[i]);
            ol_attr_clear(&node->attrs[i]);
            memmove(&node->attrs[i], &node->attrs[i + 1], (node->n_attrs - i - 1) * sizeof *node->attrs);
            node->n_attrs--;
            return true;
        }
    return false;
}
