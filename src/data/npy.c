#include "data/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"
#include "util/mem.h"

typedef struct descr_map {
    const char *descr;
    ol_dtype dtype;
} descr_map;

static const descr_map DESCRS[] = {
    {"<f4", OL_FLOAT}, {"<f8", OL_DOUBLE}, {"<f2", OL_FLOAT16}, {"|i1", OL_INT8}, {"|u1", OL_UINT8},
    {"<i2", OL_INT16}, {"<u2", OL_UINT16}, {"<i4", OL_INT32}, {"<u4", OL_UINT32}, {"<i8", OL_INT64},
    {"<u8", OL_UINT64}, {"|b1", OL_BOOL}, {"<c8", OL_COMPLEX64}, {"<c16", OL_COMPLEX128},
};

static const char *descr_of(ol_dtype dtype)
{
    for (size_t i = 0; i < sizeof DESCRS / sizeof *DESCRS; i++)
        if (DESCRS[i].dtype == dtype)
            return DESCRS[i].descr;
    return NULL;
}

/* The value of 'key' in the header dict, e.g. "'<f4'" or "(1, 3, 224, 224)". */
static const char *dict_value(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(header, quoted);
    if (!p)
        return NULL;
    p = strchr(p + strlen(quoted), ':');
    if (!p)
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

/* Length of the prefix (magic, version, header length) and of the header dict, from the first
 * bytes of a file (at least 12 or the whole file). */
static ol_status parse_prefix(const uint8_t *b, size_t size, const char *what, size_t *offset,
                              size_t *header_len, ol_error *err)
{
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return ol_fail(err, OL_ERR_PARSE, "%s: not a .npy file", what);
    if (b[6] == 1) {
        *header_len = b[8] | (size_t)b[9] << 8;
        *offset = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (size < 12)
            return ol_fail(err, OL_ERR_PARSE, "%s: truncated .npy header", what);
        *header_len = b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        *offset = 12;
    } else {
        return ol_fail(err, OL_ERR_PARSE, "%s: unknown .npy version %d", what, b[6]);
    }
    return OL_OK;
}

/* dtype and shape from the header dict (NUL-terminated); t->data is left NULL. */
static ol_status parse_dict(const char *header, const char *what, ol_ktensor *t, ol_error *err)
{
    const char *descr = dict_value(header, "descr"), *order = dict_value(header, "fortran_order"),
               *shape = dict_value(header, "shape");
    if (!descr || !order || !shape || *shape != '(')
        return ol_fail(err, OL_ERR_PARSE, "%s: malformed .npy header", what);
    if (strncmp(order, "False", 5) != 0)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "%s: Fortran-ordered arrays are not supported; save "
                       "with np.ascontiguousarray", what);
    t->dtype = OL_UNDEFINED;
    char code[8] = {0};
    if (descr[0] == '\'') {
        size_t n = strcspn(descr + 1, "'");
        if (n < sizeof code)
            memcpy(code, descr + 1, n);
    }
    /* '=' (native) is '<' on the little-endian hosts onnx-lite supports; one-byte types use '|'. */
    if (code[0] == '=' || (code[0] == '<' && (code[2] == '1' && code[3] == '\0')))
        code[0] = code[2] == '1' && code[3] == '\0' ? '|' : '<';
    for (size_t i = 0; i < sizeof DESCRS / sizeof *DESCRS; i++)
        if (strcmp(code, DESCRS[i].descr) == 0)
            t->dtype = DESCRS[i].dtype;
    if (t->dtype == OL_UNDEFINED)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "%s: unsupported .npy dtype %.12s", what, descr);
    const char *p = shape + 1;
    t->rank = 0;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        char *end;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || t->rank >= OL_KMAX_RANK)
            return ol_fail(err, OL_ERR_PARSE, "%s: bad shape in .npy header", what);
        t->dims[t->rank++] = d;
        p = end;
    }
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++)
        if (!ol_mul_i64(n, t->dims[d], &n))
            return ol_fail(err, OL_ERR_PARSE, "%s: shape overflows", what);
    if (ol_dtype_storage_bytes(t->dtype, n) == SIZE_MAX)
        return ol_fail(err, OL_ERR_PARSE, "%s: shape overflows", what);
    return OL_OK;
}

/* Checks that the file's data part has exactly the bytes the shape needs. */
static ol_status check_data_size(const ol_ktensor *t, size_t data_bytes, const char *what, ol_error *err)
{
    size_t nbytes = ol_ktensor_nbytes(t);
    if (nbytes != data_bytes)
        return ol_fail(err, OL_ERR_PARSE, "%s: holds %zu data bytes but its shape needs %zu", what,
                       data_bytes, nbytes);
    return OL_OK;
}

ol_status ol_npy_parse(const void *bytes, size_t size, const char *what, ol_ktensor *t, ol_error *err)
{
    const uint8_t *b = bytes;
    memset(t, 0, sizeof *t);
    size_t header_len, offset;
    ol_status st = parse_prefix(b, size, what, &offset, &header_len, err);
    if (st != OL_OK)
        return st;
    if (header_len > size - offset)
        return ol_fail(err, OL_ERR_PARSE, "%s: truncated .npy header", what);
    char *header = malloc(header_len + 1);
    if (!header)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    memcpy(header, b + offset, header_len);
    header[header_len] = '\0';
    size_t data_offset = offset + header_len;
    st = parse_dict(header, what, t, err);
    free(header);
    if (st == OL_OK)
        st = check_data_size(t, size - data_offset, what, err);
    if (st != OL_OK)
        return st;
    size_t nbytes = size - data_offset;
    t->data = malloc(nbytes ? nbytes : 1);
    if (!t->data)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    memcpy(t->data, b + data_offset, nbytes);
    return OL_OK;
}

ol_status ol_npy_read_header(const char *path, ol_ktensor *t, ol_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    uint8_t prefix[12];
    size_t got = fread(prefix, 1, sizeof prefix, f), header_len, offset;
    ol_status st = parse_prefix(prefix, got, path, &offset, &header_len, err);
    char *header = NULL;
    if (st == OL_OK && header_len > (1u << 20))   /* numpy writes a few hundred bytes */
        st = ol_fail(err, OL_ERR_PARSE, "%s: .npy header of %zu bytes", path, header_len);
    if (st == OL_OK && !(header = malloc(header_len + 1)))
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    if (st == OL_OK && (fseek(f, (long)offset, SEEK_SET) != 0 || fread(header, 1, header_len, f) != header_len))
        st = ol_fail(err, OL_ERR_PARSE, "%s: truncated .npy header", path);
    if (st == OL_OK) {
        header[header_len] = '\0';
        st = parse_dict(header, path, t, err);
    }
    long end = -1;
    if (st == OL_OK && (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0))
        st = ol_fail(err, OL_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    if (st == OL_OK)
        st = check_data_size(t, (size_t)end - offset - header_len, path, err);
    free(header);
    fclose(f);
    return st;
}

ol_status ol_npy_read(const char *path, ol_ktensor *t, ol_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return ol_fail(err, OL_ERR_NOMEM, "out of memory reading '%s'", path);
            }
            buf = grown;
        }
        size_t got = fread(buf + size, 1, cap - size, f);
        size += got;
        if (got == 0)
            break;
    }
    fclose(f);
    ol_status st = ol_npy_parse(buf, size, path, t, err);
    free(buf);
    return st;
}

ol_status ol_npy_write(const char *path, const ol_ktensor *t, ol_error *err)
{
    const char *descr = descr_of(t->dtype);
    if (!descr)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': %s tensors cannot be stored as .npy", path,
                       ol_dtype_name(t->dtype));
    char dict[512];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int d = 0; d < t->rank; d++)
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%lld,%s", (long long)t->dims[d],
                        d + 1 < t->rank ? " " : "");
    if (t->rank > 1)   /* numpy writes "(3,)" for rank 1 and "(2, 3)" otherwise */
        len--;
    len += snprintf(dict + len, sizeof dict - (size_t)len, "), }");
    /* Pad so that magic + length + header is a multiple of 64, ending in a newline. */
    size_t total = 10 + (size_t)len + 1, padded = (total + 63) / 64 * 64;
    size_t header_len = padded - 10;
    uint8_t prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(header_len & 0xff),
                          (uint8_t)(header_len >> 8)};
    ol_atomic_file f;
    ol_status st = ol_atomic_file_open(&f, path, err);
    if (st != OL_OK)
        return st;
    size_t nbytes = ol_ktensor_nbytes(t);
    bool ok = fwrite(prefix, 1, 10, f.file) == 10 && fwrite(dict, 1, (size_t)len, f.file) == (size_t)len;
    for (size_t i = 10 + (size_t)len; ok && i < padded - 1; i++)
        ok = fputc(' ', f.file) != EOF;
    ok = ok && fputc('\n', f.file) != EOF;
    ok = ok && (nbytes == 0 || fwrite(t->data, 1, nbytes, f.file) == nbytes);
    if (!ok) {
        st = ol_fail(err, OL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        ol_atomic_file_abort(&f);
        return st;
    }
    return ol_atomic_file_commit(&f, err);
}
