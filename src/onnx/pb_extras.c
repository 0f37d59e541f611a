#include <stdlib.h>

#include "onnx/onnx_internal.h"

bool ol_pb_pack(const ProtobufCMessage *msg, ol_bytes *out)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    *out = (ol_bytes){0};
    if (size == 0)
        return true;
    out->data = malloc(size);
    if (!out->data)
        return false;
    out->size = protobuf_c_message_pack(msg, out->data);
    return true;
}

bool ol_pb_node_extras(const Onnx__NodeProto *msg, ol_bytes *out)
{
    Onnx__NodeProto rest = *msg;
    rest.n_input = rest.n_output = rest.n_attribute = 0;
    rest.input = rest.output = NULL;
    rest.attribute = NULL;
    rest.name = rest.op_type = rest.domain = NULL;
    return ol_pb_pack(&rest.base, out);
}

bool ol_pb_graph_extras(const Onnx__GraphProto *msg, ol_bytes *out)
{
    Onnx__GraphProto rest = *msg;
    rest.n_node = rest.n_initializer = rest.n_sparse_initializer = 0;
    rest.n_input = rest.n_output = rest.n_value_info = 0;
    rest.node = NULL;
    rest.initializer = NULL;
    rest.sparse_initializer = NULL;
    rest.input = rest.output = rest.value_info = NULL;
    rest.name = NULL;
    return ol_pb_pack(&rest.base, out);
}

bool ol_pb_tensor_extras(const Onnx__TensorProto *msg, ol_bytes *out)
{
    Onnx__TensorProto rest = *msg;
    rest.n_dims = rest.n_float_data = rest.n_int32_data = rest.n_string_data = 0;
    rest.n_int64_data = rest.n_double_data = rest.n_uint64_data = rest.n_external_data = 0;
    rest.dims = NULL;
    rest.float_data = NULL;
    rest.int32_data = NULL;
    rest.string_data = NULL;
    rest.int64_data = NULL;
    rest.double_data = NULL;
    rest.uint64_data = NULL;
    rest.external_data = NULL;
    rest.has_data_type = rest.has_raw_data = rest.has_data_location = 0;
    rest.name = NULL;
    return ol_pb_pack(&rest.base, out);
}

bool ol_pb_value_info_extras(const Onnx__ValueInfoProto *msg, ol_bytes *out)
{
    Onnx__ValueInfoProto rest = *msg;
    rest.name = NULL;
    rest.type = NULL;
    return ol_pb_pack(&rest.base, out);
}

bool ol_pb_model_envelope(const Onnx__ModelProto *msg, ol_bytes *out)
{
    Onnx__ModelProto rest = *msg;
    rest.has_ir_version = 0;
    rest.n_opset_import = 0;
    rest.opset_import = NULL;
    rest.producer_name = rest.producer_version = NULL;
    rest.graph = NULL;
    return ol_pb_pack(&rest.base, out);
}
