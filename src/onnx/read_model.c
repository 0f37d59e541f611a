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

/* Builds the IR from a decoded ModelProto; takes ownership of `msg`. */
static ol_status model_from_proto(Onnx__ModelProto *msg, const char *dir, ol_model **out, ol_error *err)
{
    ol_read_ctx ctx = {.err = err};
    ol_status st = OL_OK;
    ctx.message = ol_blob_create(msg, 0, free_model_proto);
    if (!ctx.message) {
        onnx__model_proto__free_unpacked(msg, NULL);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
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
    /* Tensors hold their own references; dropping ours frees whatever no tensor borrows. */
    ol_blob_release(ctx.message);
    for (size_t i = 0; i < ctx.n_files; i++) {
        ol_blob_release(ctx.files[i].blob);
        free(ctx.files[i].path);
    }
    free(ctx.files);
    free(ctx.real_dir);
    return st;
}

ol_status ol_model_read_buffer(const void *data, size_t size, const char *dir, ol_model **out,
                               ol_error *err)
{
    *out = NULL;
    if (size == 0)
        return ol_fail(err, OL_ERR_PARSE, "file is empty");
    ol_status st = ol_pb_check_wire(&onnx__model_proto__descriptor, data, size, err);
    if (st != OL_OK)
        return st;
    Onnx__ModelProto *msg = onnx__model_proto__unpack(NULL, size, data);
    if (!msg)
        return ol_fail(err, OL_ERR_PARSE, "not a valid ONNX protobuf (truncated or corrupted)");
    return model_from_proto(msg, dir, out, err);
}

ol_status ol_model_read_file(const char *path, ol_model **out, ol_error *err)
{
    *out = NULL;
    ol_blob *blob;
    const uint8_t *base;
    size_t size;
    ol_status st = ol_map_file(path, &blob, &base, &size, err);
    if (st != OL_OK)
        return st;   /* the message already names the file */
    char *copy = strdup(path);
    if (!copy) {
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    } else {
        /* The mapping is dropped right after decoding: the decoded message owns its bytes, so
         * peak memory is about twice the file while reading and once afterwards. */
        st = ol_model_read_buffer(base, size, dirname(copy), out, err);
        free(copy);
    }
    ol_blob_release(blob);
    if (st != OL_OK)
        ol_error_prefix(err, "%s: ", path);
    return st;
}
