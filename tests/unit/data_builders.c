#include "data_builders.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/npy.h"

char *dtb_dir;
ol_model *dtb_model;

void dtb_setup(void)
{
    dtb_dir = irb_tempdir();
    dtb_model = irb_model();
}

void dtb_teardown(void)
{
    ol_model_destroy(dtb_model);
    dtb_model = NULL;
    dtb_rmtree(dtb_dir);
    dtb_dir = NULL;
}

ol_value *dtb_input(ol_graph *graph, const char *name, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_type type = {0};
    int64_t fixed[OL_MAX_RANK];
    for (int d = 0; d < rank; d++)
        fixed[d] = dims[d] < 0 ? 1 : dims[d];
    cr_assert_eq(ol_type_set_tensor(&type, dtype, rank, fixed), 0);
    for (int d = 0; d < rank; d++)
        if (dims[d] < 0) {
            char param[16];
            snprintf(param, sizeof param, d == 0 ? "N" : "d%d", d);
            type.dims[d].value = -1;
            type.dims[d].param = strdup(param);
        }
    ol_value *value = ol_graph_add_input(graph, name, &type, &irb_err);
    ol_type_clear(&type);
    cr_assert(value, "adding input '%s': %s", name, irb_err.message);
    return value;
}

void dtb_write_idx(const char *path, bool gz, uint8_t type, int rank, const uint32_t *dims, const void *data,
                   size_t elem_size, size_t cut)
{
    size_t count = 1;
    for (int d = 0; d < rank; d++)
        count *= dims[d];
    size_t size = 4 + 4 * (size_t)rank + count * elem_size;
    uint8_t *bytes = malloc(size);
    cr_assert(bytes);
    bytes[0] = bytes[1] = 0;
    bytes[2] = type;
    bytes[3] = (uint8_t)rank;
    for (int d = 0; d < rank; d++)
        for (int b = 0; b < 4; b++)
            bytes[4 + 4 * d + b] = (uint8_t)(dims[d] >> (24 - 8 * b));
    const uint8_t *src = data;
    uint8_t *dst = bytes + 4 + 4 * rank;
    for (size_t i = 0; i < count; i++)
        for (size_t b = 0; b < elem_size; b++)
            dst[i * elem_size + b] = src[i * elem_size + elem_size - 1 - b];
    cr_assert_leq(cut, size);
    size -= cut;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        cr_assert(f, "gzopen %s", path);
        cr_assert_eq(gzwrite(f, bytes, (unsigned)size), (int)size);
        cr_assert_eq(gzclose(f), Z_OK);
    } else {
        dtb_write_bytes(path, bytes, size);
    }
    free(bytes);
}

void dtb_write_npy(const char *path, ol_dtype dtype, int rank, const int64_t *dims, const void *data)
{
    ol_ktensor t = {.data = (void *)data};
    ol_ktensor_set_shape(&t, dtype, rank, dims);
    cr_assert_eq(ol_npy_write(path, &t, &irb_err), OL_OK, "%s", irb_err.message);
}

void dtb_write_pb(const char *path, ol_dtype dtype, int rank, const int64_t *dims, const void *data)
{
    ol_tensor *t = ol_tensor_create(dtype, rank, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    void *dst = ol_tensor_mutable_data(t, &irb_err);
    cr_assert(dst || t->nbytes == 0);
    if (t->nbytes)
        memcpy(dst, data, t->nbytes);
    cr_assert_eq(ol_tensor_write_file(t, path, &irb_err), OL_OK, "%s", irb_err.message);
    ol_tensor_destroy(t);
}

void dtb_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

void dtb_mkdir(const char *path)
{
    cr_assert_eq(mkdir(path, 0777), 0, "mkdir %s", path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void dtb_rmtree(char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static ol_status open_set(const char *path, const char *labels, const char *preprocess, size_t limit,
                          ol_value *const *inputs, size_t n_inputs, ol_dataset **out)
{
    ol_error_clear(&irb_err);
    ol_dataset_options options = {.path = path, .labels_path = labels, .preprocess = preprocess, .limit = limit};
    return ol_dataset_open(&options, (const ol_value *const *)inputs, n_inputs, out, &irb_err);
}

ol_dataset *dtb_open(const char *path, const char *labels, const char *preprocess, size_t limit,
                     ol_value *const *inputs, size_t n_inputs)
{
    ol_dataset *ds = NULL;
    ol_status st = open_set(path, labels, preprocess, limit, inputs, n_inputs, &ds);
    cr_assert_eq(st, OL_OK, "opening %s: %s", path, irb_err.message);
    cr_assert(ds);
    return ds;
}

const char *dtb_open_fails(const char *path, const char *labels, const char *preprocess, size_t limit,
                           ol_value *const *inputs, size_t n_inputs)
{
    static char message[OL_ERROR_MESSAGE_SIZE];
    ol_dataset *ds = NULL;
    ol_status st = open_set(path, labels, preprocess, limit, inputs, n_inputs, &ds);
    cr_assert_neq(st, OL_OK, "opening %s should fail", path);
    cr_assert_null(ds);
    snprintf(message, sizeof message, "%s", irb_err.message);
    return message;
}
