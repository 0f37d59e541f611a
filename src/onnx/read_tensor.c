/* TensorProto -> ol_tensor. raw_data is borrowed from the bytes read (large weights, see pb_split.c)
 * or the decoded message, and external data from a memory map, so weights are never copied; only
 * the typed repeated fields are converted. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx/onnx_internal.h"
#include "util/mem.h"

static void unmap_release(void *base, size_t size)
{
    if (base)
        munmap(base, size);
}

ol_status ol_map_file(const char *path, bool writable, ol_blob **blob, uint8_t **base, size_t *size,
                      ol_error *err)
{
    /* O_NONBLOCK: opening a FIFO (a model, or external data named by one) would otherwise wait for a
     * writer forever before the regular-file check below could refuse it. No effect on files. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ol_fail(err, OL_ERR_IO, "'%s' is not a regular file", path);
    }
    void *map = NULL;
    if (st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE,
                   fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return ol_fail(err, OL_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
        }
    }
    close(fd);
    *blob = ol_blob_create(map, (size_t)st.st_size, unmap_release);
    if (!*blob) {
        unmap_release(map, (size_t)st.st_size);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory mapping '%s'", path);
    }
    *base = map;
    *size = (size_t)st.st_size;
    return OL_OK;
}

/* Resolves an external-data location inside the model folder; anything that leaves it (absolute
 * paths, "..", symlinks pointing out) is refused, since a model file must not read arbitrary files. */
static char *resolve_location(ol_read_ctx *ctx, const char *location, const char *what)
{
    if (!ctx->real_dir) {
        ol_fail(ctx->err, OL_ERR_UNSUPPORTED, "%s uses external data, which needs a model file on "
                "disk", what);
        return NULL;
    }
    if (!*location || location[0] == '/') {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data path '%s' is %s; it must be relative to "
                "the model's folder", what, location, *location ? "absolute" : "empty");
        return NULL;
    }
    /* ".." is refused before the file system is asked, so the answer does not depend on (or reveal)
     * whether the file outside exists. Symlinks that lead out are caught after realpath below. */
    for (const char *c = location; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data path '%s' points outside the model's "
                    "folder ('..' is not allowed)", what, location);
            return NULL;
        }
        c += len + (c[len] == '/');
    }
    size_t len = strlen(ctx->real_dir) + strlen(location) + 2;
    char *joined = malloc(len);
    if (!joined) {
        ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(joined, len, "%s/%s", ctx->real_dir, location);
    char *real = realpath(joined, NULL);
    if (!real) {
        ol_fail(ctx->err, OL_ERR_IO, "%s: external data file '%s' cannot be opened: %s", what,
                joined, strerror(errno));
        free(joined);
        return NULL;
    }
    free(joined);
    size_t dir_len = strlen(ctx->real_dir);
    if (strncmp(real, ctx->real_dir, dir_len) != 0 || real[dir_len] != '/') {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data path '%s' points outside the model's "
                "folder '%s'", what, location, ctx->real_dir);
        free(real);
        return NULL;
    }
    return real;
}

static ol_mapped_file *mapped_file(ol_read_ctx *ctx, const char *real_path)
{
    for (size_t i = 0; i < ctx->n_files; i++)
        if (strcmp(ctx->files[i].path, real_path) == 0)
            return &ctx->files[i];
    ol_mapped_file f = {0};
    uint8_t *base;
    if (ol_map_file(real_path, false, &f.blob, &base, &f.size, ctx->err) != OL_OK)
        return NULL;
    f.base = base;
    ol_mapped_file *grown = realloc(ctx->files, (ctx->n_files + 1) * sizeof *grown);
    if (!grown || !(f.path = strdup(real_path))) {
        if (grown)
            ctx->files = grown;
        ol_blob_release(f.blob);
        ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ctx->files = grown;
    ctx->files[ctx->n_files] = f;
    return &ctx->files[ctx->n_files++];
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static ol_tensor *read_external(ol_read_ctx *ctx, const Onnx__TensorProto *msg, const int64_t *dims,
                                const char *what)
{
    const char *location = NULL;
    uint64_t offset = 0, length = UINT64_MAX;
    for (size_t i = 0; i < msg->n_external_data; i++) {
        const Onnx__StringStringEntryProto *kv = msg->external_data[i];
        const char *key = kv->key ? kv->key : "";
        if (strcmp(key, "location") == 0) {
            location = kv->value;
        } else if (strcmp(key, "offset") == 0 && !parse_u64(kv->value, &offset)) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data offset '%s' is not a number", what,
                    kv->value ? kv->value : "");
            return NULL;
        } else if (strcmp(key, "length") == 0 && !parse_u64(kv->value, &length)) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data length '%s' is not a number", what,
                    kv->value ? kv->value : "");
            return NULL;
        }
    }
    if (!location) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data without a location", what);
        return NULL;
    }
    char *real = resolve_location(ctx, location, what);
    if (!real)
        return NULL;
    ol_mapped_file *file = mapped_file(ctx, real);
    free(real);
    if (!file)
        return NULL;
    if (offset > file->size) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data offset %llu is past the end of '%s' "
                "(%zu bytes)", what, (unsigned long long)offset, location, file->size);
        return NULL;
    }
    if (length == UINT64_MAX)
        length = file->size - offset;
    if (length > file->size - offset) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s: external data of %llu bytes at offset %llu runs past "
                "the end of '%s' (%zu bytes)", what, (unsigned long long)length,
                (unsigned long long)offset, location, file->size);
        return NULL;
    }
    ol_tensor *t = ol_tensor_create_borrowed(msg->data_type, (int)msg->n_dims, dims,
                                             file->base + offset, length, file->blob, ctx->err);
    if (!t)
        ol_error_prefix(ctx->err, "%s (external data in '%s'): ", what, location);
    return t;
}

/* Bytes the typed repeated field that holds `dtype` converts to (the same rules as typed_to_raw). */
static size_t typed_bytes(const Onnx__TensorProto *msg, ol_dtype dtype)
{
    unsigned bits = ol_dtype_bits(dtype);
    switch (dtype) {
    case OL_FLOAT:
    case OL_COMPLEX64: return msg->n_float_data * sizeof(float);
    case OL_DOUBLE:
    case OL_COMPLEX128: return msg->n_double_data * sizeof(double);
    case OL_INT64: return msg->n_int64_data * sizeof(int64_t);
    case OL_UINT32:
    case OL_UINT64: return msg->n_uint64_data * (bits / 8);
    default: return bits >= 8 ? msg->n_int32_data * (bits / 8) : msg->n_int32_data;
    }
}

/* The element count the dims declare. Checked before anything of that size is allocated: a file
 * may declare a tensor of 2^60 elements and hold a few bytes. */
static bool declared_numel(ol_read_ctx *ctx, const Onnx__TensorProto *msg, const char *what,
                           int64_t *numel)
{
    int64_t n = 1;
    for (size_t i = 0; i < msg->n_dims; i++) {
        if (msg->dims[i] < 0) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s: dimension %zu is negative (%lld)", what, i,
                    (long long)msg->dims[i]);
            return false;
        }
        if (__builtin_mul_overflow(n, msg->dims[i], &n)) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s: its %zu dimensions overflow: the element count is "
                    "too large for int64", what, msg->n_dims);
            return false;
        }
    }
    *numel = n;
    return true;
}

/* Converts the typed repeated fields into raw little-endian bytes. */
static bool typed_to_raw(const Onnx__TensorProto *msg, ol_tensor *t, ol_read_ctx *ctx, const char *what)
{
    size_t need = t->nbytes;
    uint8_t *out = (uint8_t *)t->data;
    unsigned bits = ol_dtype_bits(t->dtype);
    size_t have = 0;
    switch (t->dtype) {
    case OL_FLOAT:
    case OL_COMPLEX64:
        have = msg->n_float_data * sizeof(float);
        if (have == need && need)
            memcpy(out, msg->float_data, need);
        break;
    case OL_DOUBLE:
    case OL_COMPLEX128:
        have = msg->n_double_data * sizeof(double);
        if (have == need && need)
            memcpy(out, msg->double_data, need);
        break;
    case OL_INT64:
        have = msg->n_int64_data * sizeof(int64_t);
        if (have == need && need)
            memcpy(out, msg->int64_data, need);
        break;
    case OL_UINT32:
    case OL_UINT64:
        have = msg->n_uint64_data * (bits / 8);
        if (have == need)
            for (size_t i = 0; i < msg->n_uint64_data; i++) {
                uint64_t v = msg->uint64_data[i];
                memcpy(out + i * (bits / 8), &v, bits / 8);   /* little-endian host: low bytes first */
            }
        break;
    default:
        /* int32_data holds one element per entry for types of 8 bits and more, and one packed byte
         * for the sub-byte types. */
        if (bits >= 8) {
            have = msg->n_int32_data * (bits / 8);
            if (have == need)
                for (size_t i = 0; i < msg->n_int32_data; i++) {
                    int32_t v = msg->int32_data[i];
                    memcpy(out + i * (bits / 8), &v, bits / 8);
                }
        } else {
            have = msg->n_int32_data;
            if (have == need)
                for (size_t i = 0; i < msg->n_int32_data; i++)
                    out[i] = (uint8_t)msg->int32_data[i];
        }
        break;
    }
    if (have != need) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s holds %zu bytes of %s data but its shape needs %zu",
                what, have, ol_dtype_name(t->dtype), need);
        return false;
    }
    return true;
}

ol_tensor *ol_read_tensor(ol_read_ctx *ctx, const Onnx__TensorProto *msg, const char *what)
{
    if (!msg->has_data_type || !ol_dtype_valid(msg->data_type)) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s has an invalid data type %d", what,
                msg->has_data_type ? msg->data_type : 0);
        return NULL;
    }
    if (msg->segment) {
        ol_fail(ctx->err, OL_ERR_UNSUPPORTED, "%s is a segment of a larger tensor", what);
        return NULL;
    }
    if (msg->n_dims > OL_MAX_RANK) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s has rank %zu, more than %d", what, msg->n_dims,
                OL_MAX_RANK);
        return NULL;
    }
    ol_dtype dtype = msg->data_type;
    ol_tensor *t = NULL;
    int64_t numel;
    if (!declared_numel(ctx, msg, what, &numel))
        return NULL;
    size_t need = dtype == OL_STRING ? 0 : ol_dtype_storage_bytes(dtype, numel);
    if (need == SIZE_MAX) {
        ol_fail(ctx->err, OL_ERR_INVALID, "%s: %lld elements of %s are too large to hold in memory",
                what, (long long)numel, ol_dtype_name(dtype));
        return NULL;
    }
    if (msg->has_data_location && msg->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        t = read_external(ctx, msg, msg->dims, what);
    } else if (dtype == OL_STRING) {
        if ((uint64_t)numel != msg->n_string_data) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s holds %zu strings but its shape needs %lld", what,
                    msg->n_string_data, (long long)numel);
            return NULL;
        }
        t = ol_tensor_create(dtype, (int)msg->n_dims, msg->dims, ctx->err);
        if (t && t->n_strings != msg->n_string_data) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s holds %zu strings but its shape needs %zu", what,
                    msg->n_string_data, t->n_strings);
            ol_tensor_destroy(t);
            return NULL;
        }
        for (size_t i = 0; t && i < t->n_strings; i++) {
            const ProtobufCBinaryData *s = &msg->string_data[i];
            t->strings[i].size = s->len;
            if (s->len && !(t->strings[i].data = ol_memdup(s->data, s->len))) {
                ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory reading %s", what);
                ol_tensor_destroy(t);
                return NULL;
            }
        }
    } else if (msg->has_raw_data) {
        if (msg->raw_data.len != need) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s: raw_data has %zu bytes but its shape needs %zu "
                    "(%lld elements of %s): data is %s", what, msg->raw_data.len, need,
                    (long long)numel, ol_dtype_name(dtype), msg->raw_data.len < need ? "too short"
                    : "too long");
            return NULL;
        }
        /* Large weights were cut out of the message and point into the bytes read (pb_split.c). */
        uintptr_t at = (uintptr_t)msg->raw_data.data, base = (uintptr_t)ctx->weights_base;
        bool cut = ctx->weights && at >= base && at - base < ctx->weights_size;
        t = ol_tensor_create_borrowed(dtype, (int)msg->n_dims, msg->dims, msg->raw_data.data,
                                      msg->raw_data.len, cut ? ctx->weights : ctx->message, ctx->err);
    } else {
        size_t have = typed_bytes(msg, dtype);
        if (have != need) {
            ol_fail(ctx->err, OL_ERR_INVALID, "%s holds %zu bytes of %s data but its shape needs %zu",
                    what, have, ol_dtype_name(dtype), need);
            return NULL;
        }
        t = ol_tensor_create(dtype, (int)msg->n_dims, msg->dims, ctx->err);
        if (t && !typed_to_raw(msg, t, ctx, what)) {
            ol_tensor_destroy(t);
            return NULL;
        }
    }
    if (!t) {
        if (ctx->err && !strstr(ctx->err->message, what))
            ol_error_prefix(ctx->err, "%s: ", what);
        return NULL;
    }
    if ((msg->name && ol_tensor_set_name(t, msg->name) != 0) || !ol_pb_tensor_extras(msg, &t->extras)) {
        ol_tensor_destroy(t);
        ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory reading %s", what);
        return NULL;
    }
    return t;
}

ol_status ol_read_type(const Onnx__TypeProto *msg, ol_type *out, ol_error *err)
{
    ol_type_clear(out);
    if (msg->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
        if (msg->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
            return OL_OK;
        out->kind = OL_TYPE_OTHER;
        if (!ol_pb_pack(&msg->base, &out->opaque))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory reading a type");
        return OL_OK;
    }
    const Onnx__TypeProto__Tensor *tt = msg->tensor_type;
    out->kind = OL_TYPE_TENSOR;
    out->elem = tt->has_elem_type && ol_dtype_valid(tt->elem_type) ? (ol_dtype)tt->elem_type
                                                                   : OL_UNDEFINED;
    if (tt->has_elem_type && tt->elem_type != 0 && !ol_dtype_valid(tt->elem_type))
        return ol_fail(err, OL_ERR_INVALID, "invalid element type %d", tt->elem_type);
    if (!tt->shape) {
        out->rank = -1;
        return OL_OK;
    }
    if (tt->shape->n_dim > OL_MAX_RANK)
        return ol_fail(err, OL_ERR_INVALID, "rank %zu is more than %d", tt->shape->n_dim, OL_MAX_RANK);
    out->rank = (int)tt->shape->n_dim;
    if (out->rank > 0 && !(out->dims = calloc((size_t)out->rank, sizeof *out->dims)))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory reading a shape");
    for (int i = 0; i < out->rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        out->dims[i].value = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return ol_fail(err, OL_ERR_INVALID, "dimension %d is negative (%lld)", i,
                               (long long)d->dim_value);
            out->dims[i].value = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param) {
            if (!(out->dims[i].param = strdup(d->dim_param)))
                return ol_fail(err, OL_ERR_NOMEM, "out of memory reading a shape");
        }
    }
    return OL_OK;
}
