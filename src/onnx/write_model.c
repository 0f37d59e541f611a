/* IR -> ModelProto -> file. The protobuf structs are built in an arena and point at the IR's own
 * strings and tensor bytes, so writing copies no weights. Fields the IR does not model come back
 * from the `extras` bytes kept at read time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx/onnx_internal.h"
#include "onnxlite/model_io.h"
#include "util/arena.h"
#include "util/atomic_file.h"

typedef struct write_ctx {
    ol_arena arena;
    /* Messages decoded from extras; freed once the model has been packed. */
    ProtobufCMessage **decoded;
    size_t n_decoded, cap_decoded;
    const ol_write_options *options;
    FILE *data_file;          /* external data side file, when used */
    const char *data_name;    /* its name relative to the model */
    uint64_t data_offset;
    size_t n_external;        /* tensors written to the side file */
    ol_error *err;
    bool oom;
} write_ctx;

static void *alloc(write_ctx *ctx, size_t size)
{
    void *p = ol_arena_alloc(&ctx->arena, size);
    if (!p)
        ctx->oom = true;
    return p;
}

static void *array(write_ctx *ctx, size_t count, size_t elem)
{
    void *p = ol_arena_array(&ctx->arena, count, elem);
    if (!p && count)
        ctx->oom = true;
    return p;
}

/* Decodes extras into a message of `desc`; an empty extras gives a fresh, default message. */
static void *decode(write_ctx *ctx, const ProtobufCMessageDescriptor *desc, const ol_bytes *bytes)
{
    void *copy = alloc(ctx, desc->sizeof_message);
    if (!copy)
        return NULL;
    if (!bytes->size) {
        desc->message_init(copy);
        return copy;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, bytes->size, bytes->data);
    if (!msg) {
        ol_fail(ctx->err, OL_ERR_INTERNAL, "stored %s bytes do not decode", desc->short_name);
        ctx->oom = true;
        desc->message_init(copy);
        return copy;
    }
    if (ctx->n_decoded == ctx->cap_decoded) {
        size_t cap = ctx->cap_decoded ? 2 * ctx->cap_decoded : 64;
        ProtobufCMessage **grown = realloc(ctx->decoded, cap * sizeof *grown);
        if (!grown) {
            protobuf_c_message_free_unpacked(msg, NULL);
            ctx->oom = true;
            desc->message_init(copy);
            return copy;
        }
        ctx->decoded = grown;
        ctx->cap_decoded = cap;
    }
    ctx->decoded[ctx->n_decoded++] = msg;
    /* A shallow copy: the decoded original keeps ownership of its sub-objects and is freed intact. */
    memcpy(copy, msg, desc->sizeof_message);
    return copy;
}

static Onnx__StringStringEntryProto *entry(write_ctx *ctx, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = alloc(ctx, sizeof *e);
    if (!e)
        return NULL;
    onnx__string_string_entry_proto__init(e);
    size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
    char *k = alloc(ctx, kl), *v = alloc(ctx, vl);
    if (!k || !v)
        return NULL;
    memcpy(k, key, kl);
    memcpy(v, value, vl);
    e->key = k;
    e->value = v;
    return e;
}

static bool write_external(write_ctx *ctx, Onnx__TensorProto *msg, const ol_tensor *t)
{
    /* 64-byte alignment lets a runtime map the side file and use weights in place with SIMD. */
    static const uint8_t zeros[64];
    uint64_t pad = (64 - ctx->data_offset % 64) % 64;
    if (pad && fwrite(zeros, 1, pad, ctx->data_file) != pad)
        return false;
    ctx->data_offset += pad;
    if (t->nbytes && fwrite(t->data, 1, t->nbytes, ctx->data_file) != t->nbytes)
        return false;
    char offset[32], length[32];
    snprintf(offset, sizeof offset, "%llu", (unsigned long long)ctx->data_offset);
    snprintf(length, sizeof length, "%zu", t->nbytes);
    ctx->data_offset += t->nbytes;
    ctx->n_external++;
    msg->n_external_data = 3;
    msg->external_data = array(ctx, 3, sizeof *msg->external_data);
    if (!msg->external_data)
        return true;
    msg->external_data[0] = entry(ctx, "location", ctx->data_name);
    msg->external_data[1] = entry(ctx, "offset", offset);
    msg->external_data[2] = entry(ctx, "length", length);
    msg->has_data_location = 1;
    msg->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    return true;
}

static Onnx__TensorProto *build_tensor(write_ctx *ctx, const ol_tensor *t)
{
    Onnx__TensorProto *msg = decode(ctx, &onnx__tensor_proto__descriptor, &t->extras);
    if (!msg)
        return NULL;
    msg->name = t->name;
    msg->has_data_type = 1;
    msg->data_type = t->dtype;
    msg->n_dims = (size_t)t->rank;
    msg->dims = t->dims;
    if (t->dtype == OL_STRING) {
        msg->n_string_data = t->n_strings;
        msg->string_data = array(ctx, t->n_strings, sizeof *msg->string_data);
        for (size_t i = 0; msg->string_data && i < t->n_strings; i++)
            msg->string_data[i] = (ProtobufCBinaryData){t->strings[i].size, t->strings[i].data};
    } else if (ctx->data_file && t->nbytes >= ctx->options->external_threshold) {
        if (!write_external(ctx, msg, t)) {
            ol_fail(ctx->err, OL_ERR_IO, "cannot write external data for '%s': %s",
                    t->name ? t->name : "", strerror(errno));
            ctx->oom = true;
        }
    } else {
        msg->has_raw_data = 1;
        msg->raw_data = (ProtobufCBinaryData){t->nbytes, (uint8_t *)t->data};
    }
    return msg;
}

static Onnx__TypeProto *build_type(write_ctx *ctx, const ol_type *type)
{
    /* A tensor type without an element type would be written as elem_type 0, which onnxruntime
     * rejects: partial knowledge (a rank from shape inference) stays in memory only. */
    if (type->kind == OL_TYPE_UNKNOWN || (type->kind == OL_TYPE_TENSOR && type->elem == OL_UNDEFINED))
        return NULL;
    if (type->kind == OL_TYPE_OTHER)
        return decode(ctx, &onnx__type_proto__descriptor, &type->opaque);
    Onnx__TypeProto *msg = alloc(ctx, sizeof *msg);
    Onnx__TypeProto__Tensor *tt = alloc(ctx, sizeof *tt);
    if (!msg || !tt)
        return NULL;
    onnx__type_proto__init(msg);
    onnx__type_proto__tensor__init(tt);
    msg->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    msg->tensor_type = tt;
    if (type->elem != OL_UNDEFINED) {
        tt->has_elem_type = 1;
        tt->elem_type = type->elem;
    }
    if (type->rank < 0)
        return msg;
    Onnx__TensorShapeProto *shape = alloc(ctx, sizeof *shape);
    if (!shape)
        return NULL;
    onnx__tensor_shape_proto__init(shape);
    tt->shape = shape;
    shape->n_dim = (size_t)type->rank;
    shape->dim = array(ctx, shape->n_dim, sizeof *shape->dim);
    for (size_t i = 0; shape->dim && i < shape->n_dim; i++) {
        Onnx__TensorShapeProto__Dimension *d = alloc(ctx, sizeof *d);
        if (!d)
            return NULL;
        onnx__tensor_shape_proto__dimension__init(d);
        if (type->dims[i].param) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = type->dims[i].param;
        } else if (type->dims[i].value >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = type->dims[i].value;
        }
        shape->dim[i] = d;
    }
    return msg;
}

static Onnx__ValueInfoProto *build_value_info(write_ctx *ctx, const ol_value *v)
{
    Onnx__ValueInfoProto *msg = decode(ctx, &onnx__value_info_proto__descriptor, &v->extras);
    if (!msg)
        return NULL;
    msg->name = v->name;
    msg->type = build_type(ctx, &v->type);
    return msg;
}

static Onnx__GraphProto *build_graph(write_ctx *ctx, const ol_graph *g);

static Onnx__AttributeProto *build_attr(write_ctx *ctx, const ol_attr *a)
{
    if (a->opaque.size)
        return decode(ctx, &onnx__attribute_proto__descriptor, &a->opaque);
    Onnx__AttributeProto *msg = alloc(ctx, sizeof *msg);
    if (!msg)
        return NULL;
    onnx__attribute_proto__init(msg);
    msg->name = a->name;
    msg->has_type = 1;
    msg->type = (Onnx__AttributeProto__AttributeType)a->type;
    switch (a->type) {
    case OL_ATTR_FLOAT: msg->has_f = 1; msg->f = a->f; break;
    case OL_ATTR_INT: msg->has_i = 1; msg->i = a->i; break;
    case OL_ATTR_STRING: msg->has_s = 1; msg->s = (ProtobufCBinaryData){a->s.size, a->s.data}; break;
    case OL_ATTR_TENSOR: msg->t = build_tensor(ctx, a->t); break;
    case OL_ATTR_GRAPH: msg->g = build_graph(ctx, a->g); break;
    case OL_ATTR_FLOATS: msg->n_floats = a->n; msg->floats = a->floats; break;
    case OL_ATTR_INTS: msg->n_ints = a->n; msg->ints = a->ints; break;
    case OL_ATTR_STRINGS:
        msg->n_strings = a->n;
        msg->strings = array(ctx, a->n, sizeof *msg->strings);
        for (size_t i = 0; msg->strings && i < a->n; i++)
            msg->strings[i] = (ProtobufCBinaryData){a->strings[i].size, a->strings[i].data};
        break;
    case OL_ATTR_TENSORS:
        msg->n_tensors = a->n;
        msg->tensors = array(ctx, a->n, sizeof *msg->tensors);
        for (size_t i = 0; msg->tensors && i < a->n; i++)
            msg->tensors[i] = build_tensor(ctx, a->tensors[i]);
        break;
    case OL_ATTR_GRAPHS:
        msg->n_graphs = a->n;
        msg->graphs = array(ctx, a->n, sizeof *msg->graphs);
        for (size_t i = 0; msg->graphs && i < a->n; i++)
            msg->graphs[i] = build_graph(ctx, a->graphs[i]);
        break;
    default:
        break;
    }
    return msg;
}

static char *value_name(const ol_value *v)
{
    static char empty[] = "";
    return v ? v->name : empty;
}

static Onnx__NodeProto *build_node(write_ctx *ctx, const ol_node *n)
{
    Onnx__NodeProto *msg = decode(ctx, &onnx__node_proto__descriptor, &n->extras);
    if (!msg)
        return NULL;
    msg->name = n->name;
    msg->op_type = n->op_type;
    msg->domain = *n->domain ? n->domain : NULL;
    msg->n_input = n->n_inputs;
    msg->input = array(ctx, n->n_inputs, sizeof *msg->input);
    for (size_t i = 0; msg->input && i < n->n_inputs; i++)
        msg->input[i] = value_name(n->inputs[i]);
    msg->n_output = n->n_outputs;
    msg->output = array(ctx, n->n_outputs, sizeof *msg->output);
    for (size_t i = 0; msg->output && i < n->n_outputs; i++)
        msg->output[i] = value_name(n->outputs[i]);
    msg->n_attribute = n->n_attrs;
    msg->attribute = array(ctx, n->n_attrs, sizeof *msg->attribute);
    for (size_t i = 0; msg->attribute && i < n->n_attrs; i++)
        msg->attribute[i] = build_attr(ctx, &n->attrs[i]);
    return msg;
}

/* value_info carries what is known about intermediate values (see build_type for tensor types
 * without an element type). */
static bool wants_value_info(const ol_value *v)
{
    bool known = v->type.kind == OL_TYPE_OTHER ||
                 (v->type.kind == OL_TYPE_TENSOR && v->type.elem != OL_UNDEFINED);
    return !v->erased && v->producer && !v->is_output && (known || v->extras.size);
}

static Onnx__GraphProto *build_graph(write_ctx *ctx, const ol_graph *g)
{
    Onnx__GraphProto *msg = decode(ctx, &onnx__graph_proto__descriptor, &g->extras);
    if (!msg)
        return NULL;
    msg->name = g->name;
    size_t n_nodes = 0, n_vi = 0, n_sparse = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        n_nodes += !g->nodes[i]->erased;
    for (size_t i = 0; i < g->n_values; i++) {
        n_vi += wants_value_info(g->values[i]);
        n_sparse += !g->values[i]->erased && g->values[i]->sparse.size;
    }
    msg->node = array(ctx, n_nodes, sizeof *msg->node);
    for (size_t i = 0; msg->node && i < g->n_nodes; i++)
        if (!g->nodes[i]->erased)
            msg->node[msg->n_node++] = build_node(ctx, g->nodes[i]);
    msg->initializer = array(ctx, g->n_initializers, sizeof *msg->initializer);
    for (size_t i = 0; msg->initializer && i < g->n_initializers; i++)
        msg->initializer[msg->n_initializer++] = build_tensor(ctx, g->initializers[i]->constant);
    msg->sparse_initializer = array(ctx, n_sparse, sizeof *msg->sparse_initializer);
    for (size_t i = 0; msg->sparse_initializer && i < g->n_values; i++)
        if (!g->values[i]->erased && g->values[i]->sparse.size)
            msg->sparse_initializer[msg->n_sparse_initializer++] =
                decode(ctx, &onnx__sparse_tensor_proto__descriptor, &g->values[i]->sparse);
    msg->input = array(ctx, g->n_inputs, sizeof *msg->input);
    for (size_t i = 0; msg->input && i < g->n_inputs; i++)
        msg->input[msg->n_input++] = build_value_info(ctx, g->inputs[i]);
    msg->output = array(ctx, g->n_outputs, sizeof *msg->output);
    for (size_t i = 0; msg->output && i < g->n_outputs; i++)
        msg->output[msg->n_output++] = build_value_info(ctx, g->outputs[i]);
    msg->value_info = array(ctx, n_vi, sizeof *msg->value_info);
    for (size_t i = 0; msg->value_info && i < g->n_values; i++)
        if (wants_value_info(g->values[i]))
            msg->value_info[msg->n_value_info++] = build_value_info(ctx, g->values[i]);
    return msg;
}

static Onnx__ModelProto *build_model(write_ctx *ctx, const ol_model *model)
{
    Onnx__ModelProto *msg = decode(ctx, &onnx__model_proto__descriptor, &model->envelope);
    if (!msg)
        return NULL;
    msg->has_ir_version = 1;
    msg->ir_version = model->ir_version;
    msg->producer_name = model->producer_name;
    msg->producer_version = model->producer_version;
    msg->n_opset_import = model->n_opsets;
    msg->opset_import = array(ctx, model->n_opsets, sizeof *msg->opset_import);
    for (size_t i = 0; msg->opset_import && i < model->n_opsets; i++) {
        Onnx__OperatorSetIdProto *op = alloc(ctx, sizeof *op);
        if (!op)
            return NULL;
        onnx__operator_set_id_proto__init(op);
        op->domain = *model->opsets[i].domain ? model->opsets[i].domain : NULL;
        op->has_version = 1;
        op->version = model->opsets[i].version;
        msg->opset_import[i] = op;
    }
    msg->graph = build_graph(ctx, model->graph);
    return msg;
}

static void ctx_free(write_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_decoded; i++)
        protobuf_c_message_free_unpacked(ctx->decoded[i], NULL);
    free(ctx->decoded);
    ol_arena_free(&ctx->arena);
}

/* protobuf-c streams packed bytes through this sink, so the file is written without holding a
 * second copy of the model in memory. */
typedef struct file_sink {
    ProtobufCBuffer base;
    FILE *file;
    bool failed;
} file_sink;

static void file_sink_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data)
{
    file_sink *sink = (file_sink *)buffer;
    if (!sink->failed && len && fwrite(data, 1, len, sink->file) != len)
        sink->failed = true;
}

static ol_status check_built(write_ctx *ctx, const Onnx__ModelProto *msg)
{
    if (ctx->err && ctx->err->status != OL_OK)
        return ctx->err->status;
    if (ctx->oom || !msg)
        return ol_fail(ctx->err, OL_ERR_NOMEM, "out of memory serializing the model");
    return OL_OK;
}

static char *data_file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(base);
    /* memcpy, not snprintf: GCC's sanitizer builds flag the latter with -Wformat-truncation. */
    char *name = malloc(len + sizeof ".data");
    if (name) {
        memcpy(name, base, len);
        memcpy(name + len, ".data", sizeof ".data");
    }
    return name;
}

ol_status ol_model_write_file(const ol_model *model, const char *path, const ol_write_options *options,
                              ol_error *err)
{
    ol_write_options defaults = {.external_data = 0, .external_threshold = OL_DEFAULT_EXTERNAL_THRESHOLD};
    write_ctx ctx = {.options = options ? options : &defaults, .err = err};
    ol_atomic_file model_file = {0}, data_file = {0};
    char *data_name = NULL, *data_path = NULL;
    ol_status st;
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    if ((st = ol_atomic_file_open(&model_file, path, err)) != OL_OK)
        return st;
    if (ctx.options->external_data) {
        data_name = data_file_name(path);
        size_t len = strlen(path) + sizeof ".data";
        data_path = malloc(len);
        if (!data_name || !data_path) {
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            goto done;
        }
        snprintf(data_path, len, "%s.data", path);
        if ((st = ol_atomic_file_open(&data_file, data_path, err)) != OL_OK)
            goto done;
        ctx.data_file = data_file.file;
        ctx.data_name = data_name;
    }
    Onnx__ModelProto *msg = build_model(&ctx, model);
    if ((st = check_built(&ctx, msg)) != OL_OK)
        goto done;
    file_sink sink = {.base = {.append = file_sink_append}, .file = model_file.file};
    protobuf_c_message_pack_to_buffer(&msg->base, &sink.base);
    if (sink.failed) {
        st = ol_fail(err, OL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    /* Side file first: a model that names a data file must never be visible without it. */
    /* No tensor reached the threshold: no side file (abort below removes the empty temporary). */
    if (ctx.data_file && ctx.n_external && (st = ol_atomic_file_commit(&data_file, err)) != OL_OK)
        goto done;
    st = ol_atomic_file_commit(&model_file, err);
done:
    ol_atomic_file_abort(&data_file);
    ol_atomic_file_abort(&model_file);
    ctx_free(&ctx);
    free(data_name);
    free(data_path);
    return st;
}

/* Hands the packed bytes to the caller's function as protobuf-c produces them. */
typedef struct callback_sink {
    ProtobufCBuffer base;
    ol_write_fn append;
    void *user;
} callback_sink;

static void callback_sink_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data)
{
    callback_sink *sink = (callback_sink *)buffer;
    if (len)
        sink->append(sink->user, data, len);
}

ol_status ol_model_write_stream(const ol_model *model, ol_write_fn append, void *user, ol_error *err)
{
    write_ctx ctx = {.options = &(ol_write_options){0}, .err = err};
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    Onnx__ModelProto *msg = build_model(&ctx, model);
    ol_status st = check_built(&ctx, msg);
    if (st == OL_OK) {
        callback_sink sink = {.base = {.append = callback_sink_append}, .append = append, .user = user};
        protobuf_c_message_pack_to_buffer(&msg->base, &sink.base);
    }
    ctx_free(&ctx);
    return st;
}

ol_status ol_model_write_buffer(const ol_model *model, ol_bytes *out, ol_error *err)
{
    write_ctx ctx = {.options = &(ol_write_options){0}, .err = err};
    *out = (ol_bytes){0};
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    Onnx__ModelProto *msg = build_model(&ctx, model);
    ol_status st = check_built(&ctx, msg);
    if (st == OL_OK && !ol_pb_pack(&msg->base, out))
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory serializing the model");
    ctx_free(&ctx);
    return st;
}
