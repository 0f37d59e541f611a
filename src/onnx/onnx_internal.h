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

/* Reads a varint of at most `max_bytes` bytes at *p (not past `end`) and advances *p. */
bool ol_pb_read_varint(const uint8_t **p, const uint8_t *end, unsigned max_bytes, uint64_t *out);

/* A large raw_data cut out of a serialized ModelProto (offsets in its bytes; see pb_split.c). */
typedef struct ol_pb_cut {
    size_t index;                         /* the tensor's position in graph.initializer */
    size_t tensor_len_at, tensor_body, tensor_end;
    size_t field_at;                      /* raw_data's tag */
    size_t from, size;                    /* its bytes */
    size_t to;                            /* where ol_pb_split_move puts them: 16-byte aligned */
} ol_pb_cut;

typedef struct ol_pb_split {
    ol_pb_cut *cuts;                      /* in file order */
    size_t n_cuts;
    uint8_t *rest;                        /* the message without them; NULL when nothing is cut */
    size_t rest_size;
} ol_pb_split;

/* Finds the cuts in wire-checked bytes and builds the rest; false: out of memory. */
bool ol_pb_split_cut(const uint8_t *data, size_t size, ol_pb_split *out);
/* Moves the cut bytes to their aligned places; the rest of `data` is garbage afterwards. */
void ol_pb_split_move(const ol_pb_split *split, uint8_t *data);
/* Points the decoded rest's raw_data at the moved bytes, and back to nothing before freeing it. */
ol_status ol_pb_split_patch(const ol_pb_split *split, Onnx__ModelProto *msg, const uint8_t *data,
                            ol_error *err);
void ol_pb_split_unpatch(const ol_pb_split *split, Onnx__ModelProto *msg);
void ol_pb_split_free(ol_pb_split *split);

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
    ol_blob *weights;        /* owns the raw_data cut out of it (the bytes read), or NULL */
    const uint8_t *weights_base;
    size_t weights_size;
    ol_mapped_file *files;
    size_t n_files;
    ol_error *err;
} ol_read_ctx;

ol_tensor *ol_read_tensor(ol_read_ctx *ctx, const Onnx__TensorProto *msg, const char *what);
ol_status ol_read_type(const Onnx__TypeProto *msg, ol_type *out, ol_error *err);
ol_graph *ol_read_graph(ol_read_ctx *ctx, const Onnx__GraphProto *msg, ol_graph *parent, ol_node *owner);

/* Maps a file; `release` unmaps. Empty files map to a NULL base. `writable`: copy on write, so the
 * process may change its view (the file never changes); otherwise the pages are read-only. */
ol_status ol_map_file(const char *path, bool writable, ol_blob **blob, uint8_t **base, size_t *size,
                      ol_error *err);

#endif
