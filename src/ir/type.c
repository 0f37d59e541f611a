#include <stdlib.h>
#include <string.h>

#include "onnxlite/ir.h"
#include "util/mem.h"

void ol_type_clear(ol_type *type)
{
    if (type->dims)
        for (int i = 0; i < type->rank; i++)
            free(type->dims[i].param);
    free(type->dims);
    free(type->opaque.data);
    *type = (ol_type){.kind = OL_TYPE_UNKNOWN, .rank = -1};
}

int ol_type_copy(ol_type *dst, const ol_type *src)
{
    ol_type copy = {.kind = src->kind, .elem = src->elem, .rank = src->rank};
    if (src->rank > 0 && src->dims) {
        copy.dims = calloc((size_t)src->rank, sizeof *copy.dims);
        if (!copy.dims)
            return -1;
        for (int i = 0; i < src->rank; i++) {
            copy.dims[i].value = src->dims[i].value;
            if (src->dims[i].param && !(copy.dims[i].param = strdup(src->dims[i].param))) {
                ol_type_clear(&copy);
                return -1;
            }
        }
    }
    if (src->opaque.size) {
        copy.opaque.data = ol_memdup(src->opaque.data, src->opaque.size);
        if (!copy.opaque.data) {
            ol_type_clear(&copy);
            return -1;
        }
        copy.opaque.size = src->opaque.size;
    }
    ol_type_clear(dst);
    *dst = copy;
    return 0;
}

int ol_type_set_tensor(ol_type *type, ol_dtype elem, int rank, const int64_t *dims)
{
    ol_type t = {.kind = OL_TYPE_TENSOR, .elem = elem, .rank = rank};
    if (rank > 0) {
        t.dims = calloc((size_t)rank, sizeof *t.dims);
        if (!t.dims)
            return -1;
        for (int i = 0; i < rank; i++)
            t.dims[i].value = dims ? dims[i] : -1;
    }
    ol_type_clear(type);
    *type = t;
    return 0;
}

bool ol_type_is_static(const ol_type *type)
{
    if (type->kind != OL_TYPE_TENSOR || type->rank < 0)
        return false;
    for (int i = 0; i < type->rank; i++)
        if (type->dims[i].value < 0)
            return false;
    return true;
}

static bool dim_equal(const ol_dim *a, const ol_dim *b)
{
    if (a->value != b->value)
        return false;
    if (!a->param || !b->param)
        return a->param == b->param;
    return strcmp(a->param, b->param) == 0;
}

bool ol_type_equal(const ol_type *a, const ol_type *b)
{
    if (a->kind != b->kind || a->elem != b->elem || a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (!dim_equal(&a->dims[i], &b->dims[i]))
            return false;
    if (a->opaque.size != b->opaque.size)
        return false;
    return a->opaque.size == 0 || memcmp(a->opaque.data, b->opaque.data, a->opaque.size) == 0;
}
