/* Loading tensor files (.npy, TensorProto .pb), whole or just their dtype and shape. Peeking a .pb
 * walks the protobuf fields of the file and seeks over every length-delimited one except packed
 * dims, so a data set of thousands of files can be counted without decoding their data. */
#include "data/tensor_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"
#include "onnxlite/model_io.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool ol_tensor_file_is_known(const char *path)
{
    return ends_with(path, ".npy") || ends_with(path, ".pb");
}

ol_status ol_tensor_load_file(const char *path, ol_ktensor *t, ol_error *err)
{
    memset(t, 0, sizeof *t);
    if (ends_with(path, ".npy"))
        return ol_npy_read(path, t, err);
    if (!ends_with(path, ".pb"))
        return ol_fail(err, OL_ERR_ARG, "'%s': tensors must be .npy or .pb (TensorProto) files", path);
    ol_tensor *tensor;
    ol_status st = ol_tensor_read_file(path, &tensor, err);
    if (st != OL_OK)
        return st;
    if (tensor->dtype == OL_STRING || tensor->rank > OL_KMAX_RANK) {
        ol_tensor_destroy(tensor);
        return ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': string or rank > %d tensors are not supported",
                       path, OL_KMAX_RANK);
    }
    ol_ktensor_set_shape(t, tensor->dtype, tensor->rank, tensor->dims);
    t->data = malloc(tensor->nbytes ? tensor->nbytes : 1);
    if (!t->data) {
        ol_tensor_destroy(tensor);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    memcpy(t->data, tensor->data, tensor->nbytes);
    ol_tensor_destroy(tensor);
    return OL_OK;
}

/* A varint from the file; false at end of file or on more than 10 bytes. */
static bool read_varint(FILE *f, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        int c = fgetc(f);
        if (c == EOF)
            return false;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

enum { TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2 };   /* TensorProto field numbers */

static ol_status peek_pb(const char *path, ol_ktensor *t, ol_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ol_fail(err, OL_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    }
    int dtype = 0;
    bool ok = true;
    uint64_t key, v;
    /* Every field must end within the file; a clean end of file is only at a field boundary. */
    while (ok && ftell(f) < size) {
        ok = read_varint(f, &key);
        unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);
        if (!ok) {
        } else if (wire == 0) {
            ok = read_varint(f, &v);
            if (ok && field == TENSOR_DATA_TYPE)
                dtype = (int)v;
            else if (ok && field == TENSOR_DIMS)
                ok = t->rank < OL_KMAX_RANK && (t->dims[t->rank++] = (int64_t)v) >= 0;
        } else if (wire == 2) {
            ok = read_varint(f, &v) && v <= (uint64_t)(size - ftell(f));
            long end = ok ? ftell(f) + (long)v : 0;
            if (ok && field == TENSOR_DIMS) {   /* packed dims */
                while (ok && ftell(f) < end) {
                    uint64_t d;
                    ok = read_varint(f, &d) && t->rank < OL_KMAX_RANK &&
                         (t->dims[t->rank++] = (int64_t)d) >= 0;
                }
                ok = ok && ftell(f) == end;
            } else if (ok) {
                ok = fseek(f, end, SEEK_SET) == 0;
            }
        } else if (wire == 1 || wire == 5) {
            ok = fseek(f, wire == 1 ? 8 : 4, SEEK_CUR) == 0 && ftell(f) <= size;
        } else {
            ok = false;
        }
    }
    fclose(f);
    if (!ok)
        return ol_fail(err, OL_ERR_PARSE, "'%s': not a TensorProto (truncated or malformed, or rank above %d)",
                       path, OL_KMAX_RANK);
    if (!ol_dtype_valid(dtype) || dtype == OL_STRING)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': TensorProto of data type %d is not supported",
                       path, dtype);
    t->dtype = (ol_dtype)dtype;
    return OL_OK;
}

ol_status ol_tensor_peek_file(const char *path, ol_ktensor *t, ol_error *err)
{
    memset(t, 0, sizeof *t);
    if (ends_with(path, ".npy"))
        return ol_npy_read_header(path, t, err);
    if (ends_with(path, ".pb"))
        return peek_pb(path, t, err);
    return ol_fail(err, OL_ERR_ARG, "'%s': tensors must be .npy or .pb (TensorProto) files", path);
}
