/* Shared between the ONNX reader and writer; not part of the public API. */
#ifndef OL_ONNX_INTERNAL_H
#define OL_ONNX_INTERNAL_H

#include "onnx.pb-c.h"
#include "onnxlite/ir.h"

/* Packs `msg` to freshly allocated bytes (empty result: data NULL, size 0). */
bool ol_pb_pack(const ProtobufCMessage *msg, ol_bytes *out);

/* The fields the IR models are cleared on a copy of the message before packing, so `extras` holds
 * exactly what the IR does not model (doc strings, metadata, unknown fields) and nothing twice. */
bool ol_pb_node_extras(const Onnx__NodeProto *msg, ol_bytes *out);
bool ol_pb_graph_extras(const Onnx__GraphProto *msg, ol_bytes *out);
bool ol_pb_tensor_extras(const Onnx__TensorProto *msg, ol_bytes *out);
bool ol_pb_value_info_extras(const Onnx__ValueInfoProto *msg, ol_bytes *out);
bool ol_pb_model_envelope(const Onnx__ModelProto *msg, ol_bytes *out);

/* Checks bytes about to be unpacked as `desc`: nesting depth (protobuf-c recurses without a limit)
 * and tags that protobuf-c accepts but cannot write back. */
ol_status ol_pb_check_wire(const ProtobufCMessageDescriptor *desc, const void *data, size_t size,
                           ol_error *err);

/* Reading context: where external data may come from and which files are mapped. */
typedef struct ol_mapped_file {
    char *path;
    ol_blob *blob;
    const uint8_t *base;
    size_t size;
} ol_mapped_file;

typedef struct ol_read_ctx {
    ol_model *model;
    char *real_dir;          /* canonical folder of the model; NULL refuses external data */
    ol_blob *message;        /* owns the unpacked ModelProto that tensors borrow from */
    ol_mapped_file *files;
    size_t n_files;
    ol_error *err;
} ol_read_ctx;

ol_tensor *ol_read_tensor(ol_read_ctx *ctx, const Onnx__TensorProto *msg, const char *what);
ol_status ol_read_type(const Onnx__TypeProto *msg, ol_type *out, ol_error *err);
ol_graph *ol_read_graph(ol_read_ctx *ctx, const Onnx__GraphProto *msg, ol_graph *parent, ol_node *owner);

/* Maps a file read-only; `release` unmaps. Empty files map to a NULL base. */
ol_status ol_map_file(const char *path, ol_blob **blob, const uint8_t **base, size_t *size,
                      ol_error *err);

#endif
