/* Label files. Both forms end up as int64 values handed out in order. */
#include "data/labels.h"

#include <stdlib.h>
#include <string.h>

#include "data/idx.h"
#include "data/npy.h"
#include "util/mem.h"

struct ol_labels {
    char *path;
    ol_idx_file *idx;    /* IDX: read as needed */
    ol_ktensor npy;      /* .npy: the whole array */
    size_t count, next;
    void *buf;           /* IDX read buffer */
    size_t buf_cap;
};

static bool is_integer(ol_dtype t)
{
    return t == OL_UINT8 || t == OL_INT8 || t == OL_UINT16 || t == OL_INT16 || t == OL_UINT32 ||
           t == OL_INT32 || t == OL_UINT64 || t == OL_INT64;
}

static int64_t get_integer(ol_dtype t, const void *data, size_t i)
{
    switch (t) {
    case OL_UINT8: return ((const uint8_t *)data)[i];
    case OL_INT8: return ((const int8_t *)data)[i];
    case OL_UINT16: return ((const uint16_t *)data)[i];
    case OL_INT16: return ((const int16_t *)data)[i];
    case OL_UINT32: return ((const uint32_t *)data)[i];
    case OL_INT32: return ((const int32_t *)data)[i];
    case OL_UINT64: return (int64_t)((const uint64_t *)data)[i];
    default: return ((const int64_t *)data)[i];
    }
}

static ol_status check_shape(const char *path, const ol_ktensor *t, ol_error *err)
{
    if (!is_integer(t->dtype) || t->rank < 1 || t->rank > 2 || (t->rank == 2 && t->dims[1] != 1))
        return ol_fail(err, OL_ERR_ARG, "'%s': labels must be integers of shape [n] or [n,1], one class "
                       "index per sample; this file holds %s with rank %d", path, ol_dtype_name(t->dtype),
                       t->rank);
    return OL_OK;
}

ol_status ol_labels_open(const char *path, ol_labels **out, ol_error *err)
{
    *out = NULL;
    ol_labels *l = calloc(1, sizeof *l);
    if (!l || !(l->path = ol_strdup(path))) {
        free(l);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    size_t n = strlen(path);
    bool npy = n >= 4 && strcmp(path + n - 4, ".npy") == 0;
    ol_status st = npy ? ol_npy_read(path, &l->npy, err) : ol_idx_open(path, &l->idx, err);
    const ol_ktensor *shape = npy ? &l->npy : st == OL_OK ? ol_idx_shape(l->idx) : NULL;
    if (st == OL_OK)
        st = check_shape(path, shape, err);
    if (st != OL_OK) {
        ol_labels_close(l);
        return st;
    }
    l->count = (size_t)shape->dims[0];
    *out = l;
    return OL_OK;
}

ol_status ol_labels_from_values(const int64_t *values, size_t n, ol_labels **out, ol_error *err)
{
    *out = NULL;
    ol_labels *l = calloc(1, sizeof *l);
    if (!l || !(l->path = ol_strdup("labels in memory")) || !(l->npy.data = malloc(n ? n * sizeof *values : 1))) {
        ol_labels_close(l);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    if (n)
        memcpy(l->npy.data, values, n * sizeof *values);
    l->npy.dtype = OL_INT64;
    l->npy.rank = 1;
    l->npy.dims[0] = (int64_t)n;
    l->count = n;
    *out = l;
    return OL_OK;
}

void ol_labels_close(ol_labels *labels)
{
    if (!labels)
        return;
    ol_idx_close(labels->idx);
    free(labels->npy.data);
    free(labels->buf);
    free(labels->path);
    free(labels);
}

size_t ol_labels_count(const ol_labels *labels) { return labels->count; }
const char *ol_labels_path(const ol_labels *labels) { return labels->path; }

ol_status ol_labels_next(ol_labels *labels, size_t n, int64_t *out, ol_error *err)
{
    if (n > labels->count - labels->next)
        return ol_fail(err, OL_ERR_ARG, "'%s': holds %zu labels, asked for label %zu", labels->path,
                       labels->count, labels->next + n);
    const void *data = labels->npy.data;
    ol_dtype dtype = labels->npy.dtype;
    size_t first = labels->next;
    if (labels->idx) {
        size_t bytes = n * ol_idx_entry_bytes(labels->idx);
        if (bytes > labels->buf_cap) {
            void *grown = realloc(labels->buf, bytes);
            if (!grown)
                return ol_fail(err, OL_ERR_NOMEM, "out of memory");
            labels->buf = grown;
            labels->buf_cap = bytes;
        }
        ol_status st = ol_idx_read(labels->idx, n, labels->buf, err);
        if (st != OL_OK)
            return st;
        data = labels->buf;
        dtype = ol_idx_shape(labels->idx)->dtype;
        first = 0;
    }
    for (size_t i = 0; out && i < n; i++)
        out[i] = get_integer(dtype, data, first + i);
    labels->next += n;
    return OL_OK;
}

ol_status ol_labels_rewind(ol_labels *labels, ol_error *err)
{
    labels->next = 0;
    return labels->idx ? ol_idx_rewind(labels->idx, err) : OL_OK;
}
