/* Single TensorProto files, as used by ONNX test data sets and `onnx-lite run --input x.pb`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"
#include "onnxlite/model_io.h"
#include "util/atomic_file.h"

static void free_tensor_proto(void *base, size_t size)
{
    (void)size;
    onnx__tensor_proto__free_unpacked(base, NULL);
}

ol_status ol_tensor_read_file(const char *path, ol_tensor **out, ol_error *err)
{
    *out = NULL;
    ol_blob *file;
    uint8_t *base;
    size_t size;
    ol_status st = ol_map_file(path, false, &file, &base, &size, err);
    if (st != OL_OK)
        return st;
    Onnx__TensorProto *msg = onnx__tensor_proto__unpack(NULL, size, base);
    ol_blob_release(file);
    if (!msg)
        return ol_fail(err, OL_ERR_PARSE, "%s: not a serialized TensorProto", path);
    ol_read_ctx ctx = {.err = err};
    ctx.message = ol_blob_create(msg, 0, free_tensor_proto);
    if (!ctx.message) {
        onnx__tensor_proto__free_unpacked(msg, NULL);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    *out = ol_read_tensor(&ctx, msg, "tensor");
    ol_blob_release(ctx.message);
    if (!*out) {
        ol_error_prefix(err, "%s: ", path);
        return err->status;
    }
    return OL_OK;
}

ol_status ol_tensor_write_file(const ol_tensor *t, const char *path, ol_error *err)
{
    Onnx__TensorProto msg;
    onnx__tensor_proto__init(&msg);
    msg.name = t->name;
    msg.has_data_type = 1;
    msg.data_type = t->dtype;
    msg.n_dims = (size_t)t->rank;
    msg.dims = t->dims;
    ProtobufCBinaryData *strings = NULL;
    if (t->dtype == OL_STRING) {
        strings = calloc(t->n_strings ? t->n_strings : 1, sizeof *strings);
        if (!strings)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < t->n_strings; i++)
            strings[i] = (ProtobufCBinaryData){t->strings[i].size, t->strings[i].data};
        msg.n_string_data = t->n_strings;
        msg.string_data = strings;
    } else {
        msg.has_raw_data = 1;
        msg.raw_data = (ProtobufCBinaryData){t->nbytes, (uint8_t *)t->data};
    }
    ol_bytes bytes;
    bool packed = ol_pb_pack(&msg.base, &bytes);
    free(strings);
    if (!packed)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_atomic_file f;
    ol_status st = ol_atomic_file_open(&f, path, err);
    if (st == OL_OK) {
        if (bytes.size && fwrite(bytes.data, 1, bytes.size, f.file) != bytes.size)
            st = ol_fail(err, OL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        if (st == OL_OK)
            st = ol_atomic_file_commit(&f, err);
        ol_atomic_file_abort(&f);
    }
    free(bytes.data);
    return st;
}
