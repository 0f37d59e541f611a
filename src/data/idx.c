/* IDX reading through zlib's gzFile, which reads plain files as they are, so one code path serves
 * both forms. */
#include "data/idx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "util/mem.h"

struct ol_idx_file {
    char *path;
    gzFile gz;
    ol_ktensor shape;
    size_t entry_bytes;
    size_t header_bytes;
    size_t next_entry;
};

static ol_dtype idx_dtype(int code)
{
    switch (code) {
    case 0x08: return OL_UINT8;
    case 0x09: return OL_INT8;
    case 0x0B: return OL_INT16;
    case 0x0C: return OL_INT32;
    case 0x0D: return OL_FLOAT;
    case 0x0E: return OL_DOUBLE;
    default: return OL_UNDEFINED;
    }
}

/* Reads exactly n bytes; false on a short read (end of file or a corrupt gzip stream). */
static bool gz_read_all(gzFile gz, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        unsigned part = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        int got = gzread(gz, p, part);
        if (got <= 0)
            return false;
        p += got;
        n -= (size_t)got;
    }
    return true;
}

static ol_status read_header(ol_idx_file *idx, ol_error *err)
{
    uint8_t magic[4];
    if (!gz_read_all(idx->gz, magic, 4))
        return ol_fail(err, OL_ERR_PARSE, "'%s': not an IDX file (shorter than its 4-byte magic)", idx->path);
    ol_dtype dtype = idx_dtype(magic[2]);
    if (magic[0] != 0 || magic[1] != 0 || dtype == OL_UNDEFINED || magic[3] == 0 || magic[3] > OL_KMAX_RANK)
        return ol_fail(err, OL_ERR_PARSE, "'%s': not an IDX file (magic %02x %02x %02x %02x; expected 00 "
                       "00, a type among 08 09 0b 0c 0d 0e, and a rank of 1 to %d)", idx->path, magic[0],
                       magic[1], magic[2], magic[3], OL_KMAX_RANK);
    idx->shape.dtype = dtype;
    idx->shape.rank = magic[3];
    size_t entry = ol_dtype_bits(dtype) / 8;
    for (int d = 0; d < idx->shape.rank; d++) {
        uint8_t b[4];
        if (!gz_read_all(idx->gz, b, 4))
            return ol_fail(err, OL_ERR_PARSE, "'%s': truncated IDX header", idx->path);
        idx->shape.dims[d] = (int64_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
        if (d > 0 && !ol_mul_size(entry, (size_t)idx->shape.dims[d], &entry))
            return ol_fail(err, OL_ERR_PARSE, "'%s': IDX entry size overflows", idx->path);
    }
    /* One entry is one sample: beyond 1 GiB the header is corrupt (and a gzip file's size cannot
     * be checked before reading). */
    if (entry > ((size_t)1 << 30))
        return ol_fail(err, OL_ERR_PARSE, "'%s': IDX entries of %zu bytes (at most 1 GiB per sample)", idx->path,
                       entry);
    idx->entry_bytes = entry;
    idx->header_bytes = 4 + 4 * (size_t)idx->shape.rank;
    return OL_OK;
}

/* An uncompressed file's size is known: check it up front rather than at the last entry. */
static ol_status check_plain_size(ol_idx_file *idx, ol_error *err)
{
    if (!gzdirect(idx->gz))
        return OL_OK;
    struct stat st;
    if (stat(idx->path, &st) != 0)
        return ol_fail(err, OL_ERR_IO, "cannot stat '%s': %s", idx->path, strerror(errno));
    size_t data = (size_t)st.st_size - idx->header_bytes, want;
    if (!ol_mul_size(idx->entry_bytes, (size_t)idx->shape.dims[0], &want))
        return ol_fail(err, OL_ERR_PARSE, "'%s': IDX size overflows", idx->path);
    if (data != want)
        return ol_fail(err, OL_ERR_PARSE, "'%s': IDX header announces %lld entries of %zu bytes (%zu bytes) "
                       "but the file holds %zu data bytes%s", idx->path, (long long)idx->shape.dims[0],
                       idx->entry_bytes, want, data, data < want ? " (truncated)" : "");
    return OL_OK;
}

ol_status ol_idx_open(const char *path, ol_idx_file **out, ol_error *err)
{
    *out = NULL;
    ol_idx_file *idx = calloc(1, sizeof *idx);
    if (!idx || !(idx->path = ol_strdup(path))) {
        free(idx);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    errno = 0;
    idx->gz = gzopen(path, "rb");
    if (!idx->gz) {
        ol_status st = ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path,
                               errno ? strerror(errno) : "out of memory");
        ol_idx_close(idx);
        return st;
    }
    gzbuffer(idx->gz, 1 << 17);
    ol_status st = read_header(idx, err);
    if (st == OL_OK)
        st = check_plain_size(idx, err);
    if (st != OL_OK) {
        ol_idx_close(idx);
        return st;
    }
    *out = idx;
    return OL_OK;
}

void ol_idx_close(ol_idx_file *idx)
{
    if (!idx)
        return;
    if (idx->gz)
        gzclose(idx->gz);
    free(idx->path);
    free(idx);
}

const ol_ktensor *ol_idx_shape(const ol_idx_file *idx) { return &idx->shape; }
size_t ol_idx_entry_bytes(const ol_idx_file *idx) { return idx->entry_bytes; }
const char *ol_idx_path(const ol_idx_file *idx) { return idx->path; }
size_t ol_idx_position(const ol_idx_file *idx) { return idx->next_entry; }

static void to_host_order(void *buf, size_t bytes, size_t elem)
{
    uint8_t *b = buf;
    for (size_t i = 0; elem > 1 && i + elem <= bytes; i += elem)
        for (size_t j = 0; j < elem / 2; j++) {
            uint8_t t = b[i + j];
            b[i + j] = b[i + elem - 1 - j];
            b[i + elem - 1 - j] = t;
        }
}

ol_status ol_idx_read(ol_idx_file *idx, size_t n, void *buf, ol_error *err)
{
    size_t count = (size_t)idx->shape.dims[0], bytes;
    if (n > count - idx->next_entry)
        return ol_fail(err, OL_ERR_ARG, "'%s': reading entry %zu of %zu", idx->path, idx->next_entry + n,
                       count);
    if (!ol_mul_size(n, idx->entry_bytes, &bytes))
        return ol_fail(err, OL_ERR_NOMEM, "'%s': %zu entries overflow", idx->path, n);
    if (!gz_read_all(idx->gz, buf, bytes)) {
        int code;
        const char *why = gzerror(idx->gz, &code);
        return ol_fail(err, OL_ERR_PARSE, "'%s': the file ends within entry %zu of the %zu its header "
                       "announces%s%s", idx->path, idx->next_entry + 1, count, code ? ": " : " (truncated)",
                       code ? why : "");
    }
    to_host_order(buf, bytes, ol_dtype_bits(idx->shape.dtype) / 8);
    idx->next_entry += n;
    return OL_OK;
}

ol_status ol_idx_rewind(ol_idx_file *idx, ol_error *err)
{
    if (gzseek(idx->gz, (z_off_t)idx->header_bytes, SEEK_SET) < 0)
        return ol_fail(err, OL_ERR_IO, "cannot rewind '%s'", idx->path);
    idx->next_entry = 0;
    return OL_OK;
}
