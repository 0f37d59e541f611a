#include <stdlib.h>
#include <string.h>

#include "onnxlite/ir.h"
#include "util/mem.h"

int64_t ol_tensor_numel(const ol_tensor *tensor)
{
    int64_t n = 1;
    for (int i = 0; i < tensor->rank; i++)
        if (!ol_mul_i64(n, tensor->dims[i], &n))
            return -1;
    return n;
}

/* Shared part of the constructors: validated dims and the element count. */
static ol_tensor *tensor_alloc(ol_dtype dtype, int rank, const int64_t *dims, size_t *nbytes,
                               ol_error *err)
{
    if (rank < 0 || rank > OL_MAX_RANK) {
        ol_fail(err, OL_ERR_INVALID, "tensor rank %d is out of range (0..%d)", rank, OL_MAX_RANK);
        return NULL;
    }
    ol_tensor *t = calloc(1, sizeof *t);
    if (!t || (rank > 0 && !(t->dims = malloc((size_t)rank * sizeof *t->dims)))) {
        free(t);
        ol_fail(err, OL_ERR_NOMEM, "out of memory creating a tensor");
        return NULL;
    }
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) {
            ol_fail(err, OL_ERR_INVALID, "tensor dimension %d is negative (%lld)", i,
                    (long long)dims[i]);
            ol_tensor_destroy(t);
            return NULL;
        }
        t->dims[i] = dims[i];
    }
    int64_t numel = ol_tensor_numel(t);
    size_t bytes = dtype == OL_STRING ? 0 : ol_dtype_storage_bytes(dtype, numel);
    if (numel < 0 || bytes == SIZE_MAX) {
        ol_fail(err, OL_ERR_INVALID, "tensor of %s with %d dims is too large or has no fixed size",
                ol_dtype_name(dtype), rank);
        ol_tensor_destroy(t);
        return NULL;
    }
    *nbytes = bytes;
    return t;
}

ol_tensor *ol_tensor_create(ol_dtype dtype, int rank, const int64_t *dims, ol_error *err)
{
    size_t nbytes;
    ol_tensor *t = tensor_alloc(dtype, rank, dims, &nbytes, err);
    if (!t)
        return NULL;
    if (dtype == OL_STRING) {
        size_t n = (size_t)ol_tensor_numel(t);
        if (n && !(t->strings = calloc(n, sizeof *t->strings))) {
            ol_tensor_destroy(t);
            ol_fail(err, OL_ERR_NOMEM, "out of memory for %zu strings", n);
            return NULL;
        }
        t->n_strings = n;
        return t;
    }
    /* calloc(1) for empty tensors keeps `data` non-NULL, so "no data" always means a bug. */
    void *data = calloc(nbytes ? nbytes : 1, 1);
    if (!data) {
        ol_tensor_destroy(t);
        ol_fail(err, OL_ERR_NOMEM, "out of memory for a %zu-byte tensor", nbytes);
        return NULL;
    }
    t->data = data;
    t->nbytes = nbytes;
    return t;
}

ol_tensor *ol_tensor_create_borrowed(ol_dtype dtype, int rank, const int64_t *dims, const void *data,
                                     size_t nbytes, ol_blob *owner, ol_error *err)
{
    size_t expected;
    ol_tensor *t = tensor_alloc(dtype, rank, dims, &expected, err);
    if (!t)
        return NULL;
    if (nbytes != expected) {
        ol_fail(err, OL_ERR_INVALID, "tensor data has %zu bytes but its shape needs %zu", nbytes,
                expected);
        ol_tensor_destroy(t);
        return NULL;
    }
    t->data = data;
    t->nbytes = nbytes;
    t->owner = ol_blob_retain(owner);
    return t;
}

static bool copy_bytes(ol_bytes *dst, const ol_bytes *src)
{
    dst->size = src->size;
    dst->data = ol_memdup(src->data, src->size);
    return src->size == 0 || dst->data;
}

ol_tensor *ol_tensor_clone(const ol_tensor *src, ol_error *err)
{
    ol_tensor *t;
    if (src->dtype == OL_STRING || !src->owner) {
        t = ol_tensor_create(src->dtype, src->rank, src->dims, err);
        if (!t)
            return NULL;
        if (src->dtype != OL_STRING && src->nbytes)
            memcpy((void *)t->data, src->data, src->nbytes);
        for (size_t i = 0; i < src->n_strings && i < t->n_strings; i++)
            if (!copy_bytes(&t->strings[i], &src->strings[i]))
                goto nomem;
    } else {
        /* Borrowed data stays shared: a clone of a mapped weight costs no copy. */
        t = ol_tensor_create_borrowed(src->dtype, src->rank, src->dims, src->data, src->nbytes,
                                      src->owner, err);
        if (!t)
            return NULL;
    }
    if ((src->name && !(t->name = strdup(src->name))) || !copy_bytes(&t->extras, &src->extras))
        goto nomem;
    return t;
nomem:
    ol_tensor_destroy(t);
    ol_fail(err, OL_ERR_NOMEM, "out of memory cloning a tensor");
    return NULL;
}

void ol_tensor_destroy(ol_tensor *t)
{
    if (!t)
        return;
    if (t->owner)
        ol_blob_release(t->owner);
    else
        free((void *)t->data);
    for (size_t i = 0; i < t->n_strings; i++)
        free(t->strings[i].data);
    free(t->strings);
    free(t->dims);
    free(t->name);
    free(t->extras.data);
    free(t);
}

void *ol_tensor_mutable_data(ol_tensor *t, ol_error *err)
{
    if (t->dtype == OL_STRING) {
        ol_fail(err, OL_ERR_ARG, "string tensors have no flat data");
        return NULL;
    }
    if (t->owner) {
        void *copy = malloc(t->nbytes ? t->nbytes : 1);
        if (!copy) {
            ol_fail(err, OL_ERR_NOMEM, "out of memory copying a %zu-byte tensor", t->nbytes);
            return NULL;
        }
        memcpy(copy, t->data, t->nbytes);
        ol_blob_release(t->owner);
        t->owner = NULL;
        t->data = copy;
    }
    return (void *)t->data;
}

int ol_tensor_set_name(ol_tensor *t, const char *name)
{
    char *copy = ol_strdup(name);
    if (name && !copy)
        return -1;
    free(t->name);
    t->name = copy;
    return 0;
}

bool ol_tensor_equal(const ol_tensor *a, const ol_tensor *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    if (a->dtype == OL_STRING) {
        if (a->n_strings != b->n_strings)
            return false;
        for (size_t i = 0; i < a->n_strings; i++)
            if (a->strings[i].size != b->strings[i].size ||
                (a->strings[i].size &&
                 memcmp(a->strings[i].data, b->strings[i].data, a->strings[i].size) != 0))
                return false;
        return true;
    }
    return a->nbytes == b->nbytes && (a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0);
}
