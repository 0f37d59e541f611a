/* Cuts the large raw_data of the main graph's initializers out of a serialized ModelProto before
 * protobuf-c decodes it, so that the weights are not copied into the decoded message: the reader
 * decodes the rest (a few kilobytes to megabytes of graph structure) and the tensors borrow their
 * bytes from the buffer the file was read into, which then holds the weights once.
 *
 * protobuf-c stores bytes with malloc's alignment, while raw_data sits at any offset in a file, and
 * kernels read weights as float or int64 arrays. So each cut slice is moved back in place to a
 * 16-byte boundary, into bytes that are dead once the rest is built (its own tag and length, the
 * fields before it); a slice without room for that is left in the message, to be copied as before.
 *
 * Only the simple, common layout is cut: one graph field in the model and one raw_data field in the
 * tensor. protobuf-c merges repeated occurrences of a message or bytes field, which a cut could not
 * reproduce; such files (and nested subgraphs, sparse initializers) decode as a whole. The decoded
 * message is the same either way once ol_pb_split_patch has pointed raw_data at the moved bytes. */
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

/* Smaller weights (shapes, scales, biases of a few values) stay in the message: a cut costs a
 * record and a move, and would save nothing worth it. */
#define MIN_CUT_BYTES 256
#define ALIGNMENT 16

typedef struct field {
    uint64_t number;
    unsigned wire;
    size_t at;       /* the tag */
    size_t len_at;   /* length-prefixed only: the length varint, then the body up to end */
    size_t body;
    size_t end;
} field;

/* The field at *pos (bytes [0, end) of base); false on anything malformed. */
static bool next_field(const uint8_t *base, size_t *pos, size_t end, field *f)
{
    const uint8_t *p = base + *pos, *stop = base + end;
    uint64_t tag, value;
    f->at = *pos;
    if (!ol_pb_read_varint(&p, stop, 5, &tag))
        return false;
    f->number = tag >> 3;
    f->wire = (unsigned)(tag & 7);
    f->len_at = f->body = (size_t)(p - base);
    switch (f->wire) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
        if (!ol_pb_read_varint(&p, stop, 10, &value))
            return false;
        break;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
    case PROTOBUF_C_WIRE_TYPE_32BIT: {
        size_t n = f->wire == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
        if ((size_t)(stop - p) < n)
            return false;
        p += n;
        break;
    }
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
        if (!ol_pb_read_varint(&p, stop, 10, &value) || value > (uint64_t)(stop - p))
            return false;
        f->body = (size_t)(p - base);
        p += value;
        break;
    default:
        return false;
    }
    f->end = *pos = (size_t)(p - base);
    return true;
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static unsigned field_number(const ProtobufCMessageDescriptor *desc, const char *name)
{
    return protobuf_c_message_descriptor_get_field_by_name(desc, name)->id;
}

typedef struct scan {
    const uint8_t *base;
    size_t floor;   /* end of the previous slice once moved: the next may not move below it */
    ol_pb_split *out;
    size_t cap;
} scan;

/* Records a cut if the tensor has exactly one raw_data, large enough and with room to align it. */
static bool scan_tensor(scan *s, const field *tensor, size_t index)
{
    unsigned raw_data = field_number(&onnx__tensor_proto__descriptor, "raw_data");
    field f, raw = {0};
    size_t count = 0;
    for (size_t pos = tensor->body; pos < tensor->end;) {
        if (!next_field(s->base, &pos, tensor->end, &f))
            return false;
        if (f.number == raw_data) {
            raw = f;
            count++;
        }
    }
    if (count != 1 || raw.wire != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED || raw.end - raw.body < MIN_CUT_BYTES)
        return true;
    size_t misaligned = (size_t)((uintptr_t)(s->base + raw.body) % ALIGNMENT);
    if (raw.body < s->floor + misaligned)
        return true;
    size_t to = raw.body - misaligned;
    if (s->out->n_cuts == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        ol_pb_cut *grown = realloc(s->out->cuts, cap * sizeof *grown);
        if (!grown)
            return false;
        s->out->cuts = grown;
        s->cap = cap;
    }
    s->out->cuts[s->out->n_cuts++] = (ol_pb_cut){
        .index = index, .tensor_len_at = tensor->len_at, .tensor_body = tensor->body,
        .tensor_end = tensor->end, .field_at = raw.at, .from = raw.body, .to = to,
        .size = raw.end - raw.body};
    s->floor = to + (raw.end - raw.body);
    return true;
}

/* Finds the model's single graph field and the cuts in its initializers; false: out of memory or
 * malformed bytes (nothing is cut then). */
static bool find_cuts(scan *s, size_t size, field *graph)
{
    unsigned graph_no = field_number(&onnx__model_proto__descriptor, "graph");
    unsigned initializer = field_number(&onnx__graph_proto__descriptor, "initializer");
    size_t graphs = 0;
    field f;
    for (size_t pos = 0; pos < size;) {
        if (!next_field(s->base, &pos, size, &f))
            return false;
        if (f.number == graph_no) {
            *graph = f;
            graphs++;
        }
    }
    if (graphs != 1 || graph->wire != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
        return true;
    size_t index = 0;
    for (size_t pos = graph->body; pos < graph->end;) {
        if (!next_field(s->base, &pos, graph->end, &f))
            return false;
        if (f.number == initializer && f.wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED &&
            !scan_tensor(s, &f, index++))
            return false;
    }
    return true;
}

/* Bytes the cut removes from its tensor's body, and from the graph's body (the length shrinks). */
static size_t cut_bytes(const ol_pb_cut *c)
{
    return c->from + c->size - c->field_at;
}

static size_t cut_from_graph(const ol_pb_cut *c)
{
    size_t tensor_len = c->tensor_end - c->tensor_body - cut_bytes(c);
    return cut_bytes(c) + (c->tensor_body - c->tensor_len_at) - varint_size(tensor_len);
}

/* Writes the message without the cut fields: verbatim except the graph's and the cut tensors'
 * lengths, re-encoded. */
static bool build_rest(const uint8_t *base, size_t size, const field *graph, ol_pb_split *out)
{
    size_t graph_len = graph->end - graph->body;
    for (size_t i = 0; i < out->n_cuts; i++)
        graph_len -= cut_from_graph(&out->cuts[i]);
    out->rest_size = graph->len_at + varint_size(graph_len) + graph_len + (size - graph->end);
    uint8_t *p = out->rest = malloc(out->rest_size);
    if (!p)
        return false;
    memcpy(p, base, graph->len_at);
    p = put_varint(p + graph->len_at, graph_len);
    size_t pos = graph->body;
    for (size_t i = 0; i < out->n_cuts; i++) {
        const ol_pb_cut *c = &out->cuts[i];
        memcpy(p, base + pos, c->tensor_len_at - pos);
        p = put_varint(p + (c->tensor_len_at - pos), c->tensor_end - c->tensor_body - cut_bytes(c));
        memcpy(p, base + c->tensor_body, c->field_at - c->tensor_body);
        p += c->field_at - c->tensor_body;
        memcpy(p, base + c->from + c->size, c->tensor_end - (c->from + c->size));
        p += c->tensor_end - (c->from + c->size);
        pos = c->tensor_end;
    }
    memcpy(p, base + pos, size - pos);
    return true;
}

bool ol_pb_split_cut(const uint8_t *data, size_t size, ol_pb_split *out)
{
    *out = (ol_pb_split){0};
    scan s = {.base = data, .out = out};
    field graph = {0};
    if (!find_cuts(&s, size, &graph) || (out->n_cuts && !build_rest(data, size, &graph, out))) {
        ol_pb_split_free(out);
        return false;
    }
    return true;
}

void ol_pb_split_move(const ol_pb_split *split, uint8_t *data)
{
    for (size_t i = 0; i < split->n_cuts; i++) {
        const ol_pb_cut *c = &split->cuts[i];
        if (c->to != c->from)
            memmove(data + c->to, data + c->from, c->size);
    }
}

ol_status ol_pb_split_patch(const ol_pb_split *split, Onnx__ModelProto *msg, const uint8_t *data,
                            ol_error *err)
{
    /* Checked before anything is patched, so that a failure leaves nothing to undo. */
    for (size_t i = 0; i < split->n_cuts; i++) {
        const ol_pb_cut *c = &split->cuts[i];
        if (!msg->graph || c->index >= msg->graph->n_initializer ||
            msg->graph->initializer[c->index]->has_raw_data)
            return ol_fail(err, OL_ERR_INTERNAL, "initializer #%zu does not decode as it was cut",
                           c->index);
    }
    for (size_t i = 0; i < split->n_cuts; i++) {
        const ol_pb_cut *c = &split->cuts[i];
        Onnx__TensorProto *t = msg->graph->initializer[c->index];
        t->has_raw_data = 1;
        t->raw_data = (ProtobufCBinaryData){.len = c->size, .data = (uint8_t *)data + c->to};
    }
    return OL_OK;
}

void ol_pb_split_unpatch(const ol_pb_split *split, Onnx__ModelProto *msg)
{
    for (size_t i = 0; i < split->n_cuts; i++) {
        Onnx__TensorProto *t = msg->graph->initializer[split->cuts[i].index];
        t->has_raw_data = 0;
        t->raw_data = (ProtobufCBinaryData){0};
    }
}

void ol_pb_split_free(ol_pb_split *split)
{
    free(split->cuts);
    free(split->rest);
    *split = (ol_pb_split){0};
}
