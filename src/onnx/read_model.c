/* Entry points of the reader: bytes -> ModelProto -> IR. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"
#include "onnxlite/model_io.h"

static void free_model_proto(void *base, size_t size)
{
    (void)size;
    onnx__model_proto__free_unpacked(base, NULL);
}

/* Real models import a handful of domains; the IR looks opsets up linearly (per import and per
 * node), so a crafted file with tens of thousands would take minutes to read. */
#define MAX_OPSET_IMPORTS 1024

static ol_status read_opsets(ol_model *model, const Onnx__ModelProto *msg, ol_error *err)
{
    if (msg->n_opset_import > MAX_OPSET_IMPORTS)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "model imports %zu opsets, more than the %d supported",
                       msg->n_opset_import, MAX_OPSET_IMPORTS);
    for (size_t i = 0; i < msg->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *op = msg->opset_import[i];
        const char *domain = op->domain ? op->domain : "";
        if (ol_model_opset(model, domain) != 0)
            return ol_fail(err, OL_ERR_INVALID, "opset for domain '%s' is imported twice", domain);
        if (!op->has_version || op->version <= 0)
            return ol_fail(err, OL_ERR_INVALID, "opset import for domain '%s' has no valid version",
                           domain);
        if (ol_model_set_opset(model, domain, op->version) != 0)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    return OL_OK;
}

/* The bytes being read, in memory this reader owns and may change (pb_split.c moves weights within
 * it); tensors keep `blob` while they borrow from it. */
typedef struct model_bytes {
    ol_blob *blob;
    uint8_t *data;
    size_t size;
} model_bytes;

/* Builds the IR from a decoded ModelProto; takes ownership of `msg`. Large raw_data listed in
 * `split` points into `bytes`. */
static ol_status model_from_proto(Onnx__ModelProto *msg, const ol_pb_split *split,
                                  const model_bytes *bytes, const char *dir, ol_model **out,
                                  ol_error *err)
{
    ol_read_ctx ctx = {.err = err, .weights = bytes->blob, .weights_base = bytes->data,
                       .weights_size = bytes->size};
    ol_status st = OL_OK;
    ctx.message = ol_blob_create(msg, 0, free_model_proto);
    if (!ctx.message) {
        onnx__model_proto__free_unpacked(msg, NULL);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    if ((st = ol_pb_split_patch(split, msg, bytes->data, err)) != OL_OK) {
        ol_blob_release(ctx.message);
        return st;
    }
    if (!msg->graph || !msg->has_ir_version || msg->ir_version <= 0) {
        st = ol_fail(err, OL_ERR_PARSE, "not an ONNX model: %s",
                     !msg->graph ? "it has no graph" : "it has no valid ir_version");
        goto done;
    }
    if (msg->n_opset_import == 0 && msg->ir_version >= 3) {
        st = ol_fail(err, OL_ERR_INVALID, "model imports no opset");
        goto done;
    }
    if (dir && !(ctx.real_dir = realpath(dir, NULL))) {
        st = ol_fail(err, OL_ERR_IO, "cannot resolve folder '%s': %s", dir, strerror(errno));
        goto done;
    }
    if (!(ctx.model = ol_model_create(err))) {
        st = err->status;
        goto done;
    }
    ctx.model->ir_version = msg->ir_version;
    if ((msg->producer_name && !(ctx.model->producer_name = strdup(msg->producer_name))) ||
        (msg->producer_version && !(ctx.model->producer_version = strdup(msg->producer_version))) ||
        (ctx.real_dir && !(ctx.model->dir = strdup(ctx.real_dir))) ||
        !ol_pb_model_envelope(msg, &ctx.model->envelope)) {
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = read_opsets(ctx.model, msg, err)) != OL_OK)
        goto done;
    if (!ol_read_graph(&ctx, msg->graph, NULL, NULL)) {
        st = err->status;
        goto done;
    }
done:
    if (st != OL_OK) {
        ol_model_destroy(ctx.model);
        ctx.model = NULL;
    }
    *out = ctx.model;
    /* Tensors hold their own references; dropping ours frees whatever no tensor borrows. The cut
     * raw_data belongs to `bytes`: protobuf-c must not free it with the message. */
    ol_pb_split_unpatch(split, msg);
    ol_blob_release(ctx.message);
    for (size_t i = 0; i < ctx.n_files; i++) {
        ol_blob_release(ctx.files[i].blob);
        free(ctx.files[i].path);
    }
    free(ctx.files);
    free(ctx.real_dir);
    return st;
}

/* The one path of both entry points: check, cut the large weights out, decode the rest, build. */
static ol_status read_bytes(const model_bytes *bytes, const char *dir, ol_model **out, ol_error *err)
{
    if (bytes->size == 0)
        return ol_fail(err, OL_ERR_PARSE, "file is empty");
    ol_status st = ol_pb_check_wire(&onnx__model_proto__descriptor, bytes->data, bytes->size, err);
    if (st != OL_OK)
        return st;
    ol_pb_split split;
    if (!ol_pb_split_cut(bytes->data, bytes->size, &split))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    Onnx__ModelProto *msg = split.rest ? onnx__model_proto__unpack(NULL, split.rest_size, split.rest)
                                       : onnx__model_proto__unpack(NULL, bytes->size, bytes->data);
    free(split.rest);
    split.rest = NULL;
    if (!msg) {
        ol_pb_split_free(&split);
        return ol_fail(err, OL_ERR_PARSE, "not a valid ONNX protobuf (truncated or corrupted)");
    }
    ol_pb_split_move(&split, bytes->data);
    st = model_from_proto(msg, &split, bytes, dir, out, err);
    ol_pb_split_free(&split);
    return st;
}

static void free_copy(void *base, size_t size)
{
    (void)size;
    free(base);
}

ol_status ol_model_read_buffer(const void *data, size_t size, const char *dir, ol_model **out,
                               ol_error *err)
{
    *out = NULL;
    /* The caller keeps its buffer: tensors borrow from a copy, which replaces the copies protobuf-c
     * would make of the weights. */
    model_bytes bytes = {.size = size};
    if (size && (!(bytes.data = malloc(size)) ||
                 !(bytes.blob = ol_blob_create(bytes.data, size, free_copy)))) {
        free(bytes.data);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory copying a model of %zu bytes", size);
    }
    if (size)
        memcpy(bytes.data, data, size);
    ol_status st = read_bytes(&bytes, dir, out, err);
    ol_blob_release(bytes.blob);
    return st;
}

ol_status ol_model_read_file(const char *path, ol_model **out, ol_error *err)
{
    *out = NULL;
    model_bytes bytes;
    /* Copy on write: moving a weight into alignment touches only its own pages, and the file's other
     * pages stay shared with the page cache. Tensors keep the mapping, so the weights are held once. */
    ol_status st = ol_map_file(path, true, &bytes.blob, &bytes.data, &bytes.size, err);
    if (st != OL_OK)
        return st;   /* the message already names the file */
    char *copy = strdup(path);
    if (!copy) {
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    } else {
        st = read_bytes(&bytes, dirname(copy), out, err);
        free(copy);
    }
    ol_blob_release(bytes.blob);
    if (st != OL_OK)
        ol_error_prefix(err, "%s: ", path);
    return st;
}
