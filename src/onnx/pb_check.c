/* A pass over the protobuf wire format before protobuf-c decodes it.
 *
 * protobuf-c recurses once per nested message with no limit, so a few kilobytes of nested subgraphs
 * or sequence types would exhaust the stack while unpacking, packing or freeing. It also accepts
 * tags the writer cannot reproduce (field number 0 spelled as a multi-byte varint, numbers above
 * 2^29 - 1), which would make a file that reads fine unwritable. This walk follows the descriptors
 * into message fields only; unknown fields and scalars are skipped as protobuf-c keeps them. */
#include "onnx/onnx_internal.h"

/* C++ protobuf's default recursion limit: deeper files cannot be read by onnx or onnxruntime either. */
#define MAX_DEPTH 100
#define MAX_FIELD_NUMBER 536870911u

#define MALFORMED "not a valid ONNX protobuf (truncated or corrupted)"

typedef struct walk {
    const uint8_t *start;   /* offsets in messages count from here: the start of the file */
    ol_error *err;
} walk;

/* At most `max_bytes` bytes; false if the varint is longer or runs past `end`. */
bool ol_pb_read_varint(const uint8_t **p, const uint8_t *end, unsigned max_bytes, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < max_bytes && *p < end; i++) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static ol_status check(const walk *w, const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                       const uint8_t *end, int depth)
{
    while (p < end) {
        size_t at = (size_t)(p - w->start);
        uint64_t tag, value;
        /* protobuf-c reads tags of at most 5 bytes. */
        if (!ol_pb_read_varint(&p, end, 5, &tag))
            return ol_fail(w->err, OL_ERR_PARSE, MALFORMED ": bad field tag at byte %zu (in a %s)", at,
                           desc->short_name);
        uint64_t field = tag >> 3;
        unsigned wire = (unsigned)(tag & 7);
        if (field == 0 || field > MAX_FIELD_NUMBER)
            return ol_fail(w->err, OL_ERR_PARSE, MALFORMED ": field number %llu at byte %zu (in a %s) "
                           "is out of range", (unsigned long long)field, at, desc->short_name);
        switch (wire) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
            if (!ol_pb_read_varint(&p, end, 10, &value))
                return ol_fail(w->err, OL_ERR_PARSE, MALFORMED ": field %llu at byte %zu (in a %s) has "
                               "a bad or cut-off number", (unsigned long long)field, at,
                               desc->short_name);
            break;
        case PROTOBUF_C_WIRE_TYPE_64BIT:
        case PROTOBUF_C_WIRE_TYPE_32BIT: {
            size_t n = wire == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
            if ((size_t)(end - p) < n)
                return ol_fail(w->err, OL_ERR_PARSE, MALFORMED ": field %llu at byte %zu (in a %s) "
                               "runs past the end of its message", (unsigned long long)field, at,
                               desc->short_name);
            p += n;
            break;
        }
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: {
            if (!ol_pb_read_varint(&p, end, 10, &value) || value > (uint64_t)(end - p))
                return ol_fail(w->err, OL_ERR_PARSE, MALFORMED ": field %llu at byte %zu (in a %s) "
                               "runs past the end of its message", (unsigned long long)field, at,
                               desc->short_name);
            const ProtobufCFieldDescriptor *fd =
                protobuf_c_message_descriptor_get_field(desc, (unsigned)field);
            if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (depth + 1 > MAX_DEPTH)
                    return ol_fail(w->err, OL_ERR_UNSUPPORTED, "messages are nested more than %d levels "
                                   "deep at byte %zu (subgraphs or types nested too deeply)",
                                   MAX_DEPTH, at);
                ol_status st = check(w, fd->descriptor, p, p + value, depth + 1);
                if (st != OL_OK)
                    return st;
            }
            p += value;
            break;
        }
        default:   /* groups (3, 4) are not used by ONNX nor supported by protobuf-c; 6, 7 are invalid */
            return ol_fail(w->err, OL_ERR_PARSE, MALFORMED ": invalid wire type %u at byte %zu (in a %s)",
                           wire, at, desc->short_name);
        }
    }
    return OL_OK;
}

ol_status ol_pb_check_wire(const ProtobufCMessageDescriptor *desc, const void *data, size_t size,
                           ol_error *err)
{
    walk w = {.start = data, .err = err};
    return check(&w, desc, w.start, w.start + size, 0);
}
