/* IDX data sets (plain and gzip), uint8 pixels to float through the preprocessing, entry shapes
 * fitted to the input, labels from IDX and .npy, and the errors for broken files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/idx.h"
#include "data_builders.h"

TestSuite(data_idx, .init = dtb_setup, .fini = dtb_teardown);

/* 5 images of 2x3 pixels, pixel (s, i) = 10 * s + i, and labels 4 - s. */
static char *write_images(const char *name, bool gz)
{
    uint8_t px[5 * 6];
    for (int s = 0; s < 5; s++)
        for (int i = 0; i < 6; i++)
            px[s * 6 + i] = (uint8_t)(10 * s + i);
    char *path = irb_path(dtb_dir, name);
    dtb_write_idx(path, gz, 0x08, 3, (uint32_t[]){5, 2, 3}, px, 1, 0);
    return path;
}

static char *write_labels(const char *name, bool gz, uint32_t n)
{
    uint8_t labels[16];
    for (uint32_t s = 0; s < n; s++)
        labels[s] = (uint8_t)(4 - s);
    char *path = irb_path(dtb_dir, name);
    dtb_write_idx(path, gz, 0x08, 1, (uint32_t[]){n}, labels, 1, 0);
    return path;
}

static void check_pass(ol_dataset *ds, size_t batch, float scale, float mean, float sd)
{
    size_t seen = 0, got;
    ol_ktensor t;
    int64_t labels[8];
    for (;;) {
        cr_assert_eq(ol_dataset_next(ds, batch, &t, labels, &got, &irb_err), OL_OK, "%s", irb_err.message);
        if (got == 0)
            break;
        cr_assert_eq(t.dtype, OL_FLOAT);
        cr_assert_eq(t.rank, 4);
        cr_assert_eq(t.dims[0], (int64_t)got);
        cr_assert_eq(t.dims[1], 1);
        cr_assert_eq(t.dims[2], 2);
        cr_assert_eq(t.dims[3], 3);
        for (size_t s = 0; s < got; s++) {
            cr_assert_eq(labels[s], 4 - (int64_t)(seen + s));
            for (int i = 0; i < 6; i++) {
                float want = ((float)(10 * (seen + s) + (size_t)i) * scale - mean) / sd;
                cr_assert_float_eq(((float *)t.data)[s * 6 + (size_t)i], want, 1e-6);
            }
        }
        free(t.data);
        seen += got;
    }
    cr_assert_eq(seen, 5);
}

Test(data_idx, plain_and_gzip_read_the_same_samples_in_batches)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 3));
    for (int gz = 0; gz < 2; gz++) {
        char *images = write_images(gz ? "img.gz" : "img", gz), *labels = write_labels(gz ? "lab.gz" : "lab", gz, 5);
        ol_dataset *ds = dtb_open(images, labels, NULL, 0, &x, 1);
        cr_assert_eq(ol_dataset_size(ds), 5);
        cr_assert(ol_dataset_has_labels(ds));
        check_pass(ds, 2, 1.0f / 255.0f, 0, 1);   /* batches 2, 2, 1 */
        cr_assert_eq(ol_dataset_rewind(ds, &irb_err), OL_OK);
        check_pass(ds, 8, 1.0f / 255.0f, 0, 1);   /* one batch */
        ol_dataset_close(ds);
        free(images);
        free(labels);
    }
}

Test(data_idx, preprocessing_scale_mean_std)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 3));
    char *images = write_images("img", false), *labels = write_labels("lab", false, 5);
    ol_dataset *ds = dtb_open(images, labels, "scale=0.5,mean=3,std=2", 0, &x, 1);
    check_pass(ds, 3, 0.5f, 3, 2);
    ol_dataset_close(ds);
    free(images);
    free(labels);
}

Test(data_idx, entries_fit_inputs_of_other_ranks)
{
    char *images = write_images("img.gz", true);
    /* [2,3] entries feed [N,6], [N,2,3] and [N,2,3,1] inputs, in stored order. */
    ol_value *inputs[] = {
        dtb_input(dtb_model->graph, "flat", OL_FLOAT, IRB_DIMS(-1, 6)),
        dtb_input(dtb_model->graph, "plain", OL_FLOAT, IRB_DIMS(-1, 2, 3)),
        dtb_input(dtb_model->graph, "nhwc", OL_FLOAT, IRB_DIMS(-1, 2, -1, 1)),
    };
    for (int k = 0; k < 3; k++) {
        ol_dataset *ds = dtb_open(images, NULL, NULL, 0, &inputs[k], 1);
        cr_assert_not(ol_dataset_has_labels(ds));
        ol_ktensor t;
        size_t got;
        cr_assert_eq(ol_dataset_next(ds, 2, &t, NULL, &got, &irb_err), OL_OK, "%s", irb_err.message);
        cr_assert_eq(got, 2);
        cr_assert_eq(t.rank, inputs[k]->type.rank);
        cr_assert_eq(t.dims[0], 2);
        cr_assert_eq(ol_ktensor_numel(&t), 12);
        if (k == 2)
            cr_assert_eq(t.dims[2], 3, "the symbolic dim takes the entry's");
        cr_assert_float_eq(((float *)t.data)[7], 11.0f / 255.0f, 1e-7);
        free(t.data);
        ol_dataset_close(ds);
    }
    /* Shapes that do not fit are refused up front, naming the file and the sample shape. */
    ol_value *wrong = dtb_input(dtb_model->graph, "wrong", OL_FLOAT, IRB_DIMS(-1, 3, 3));
    const char *msg = dtb_open_fails(images, NULL, NULL, 0, &wrong, 1);
    cr_assert(strstr(msg, images) && strstr(msg, "uint8[2,3]") && strstr(msg, "float32[3,3]"), "%s", msg);
    free(images);
}

Test(data_idx, uint8_input_gets_raw_entries_and_int64_is_refused)
{
    char *images = write_images("img", false);
    ol_value *u8 = dtb_input(dtb_model->graph, "u8", OL_UINT8, IRB_DIMS(-1, 2, 3));
    ol_dataset *ds = dtb_open(images, NULL, "scale=2", 0, &u8, 1);
    ol_ktensor t;
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 5, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(t.dtype, OL_UINT8);
    cr_assert_eq(((uint8_t *)t.data)[4 * 6 + 5], 45);
    free(t.data);
    ol_dataset_close(ds);
    ol_value *i64 = dtb_input(dtb_model->graph, "i64", OL_INT64, IRB_DIMS(-1, 2, 3));
    const char *msg = dtb_open_fails(images, NULL, NULL, 0, &i64, 1);
    cr_assert(strstr(msg, "cannot feed input 'i64'") && strstr(msg, "int64[2,3]"), "%s", msg);
    free(images);
}

Test(data_idx, big_endian_float_entries)
{
    float values[2 * 3] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, -7.0f};
    char *path = irb_path(dtb_dir, "f.idx");
    dtb_write_idx(path, false, 0x0D, 2, (uint32_t[]){2, 3}, values, 4, 0);
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3));
    ol_dataset *ds = dtb_open(path, NULL, NULL, 0, &x, 1);
    ol_ktensor t;
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 4, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 2);
    cr_assert_arr_eq(t.data, values, sizeof values, "float32 entries pass through unscaled");
    free(t.data);
    ol_dataset_close(ds);
    free(path);
}

Test(data_idx, limit_stops_early_and_rewind_restarts)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 3));
    char *images = write_images("img.gz", true), *labels = write_labels("lab.gz", true, 5);
    ol_dataset *ds = dtb_open(images, labels, NULL, 3, &x, 1);
    cr_assert_eq(ol_dataset_size(ds), 3);
    for (int pass = 0; pass < 2; pass++) {
        size_t got, seen = 0;
        ol_ktensor t;
        int64_t l[2];
        int64_t first_label = -1;
        while (ol_dataset_next(ds, 2, &t, l, &got, &irb_err) == OL_OK && got > 0) {
            if (seen == 0)
                first_label = l[0];
            seen += got;
            free(t.data);
        }
        cr_assert_eq(seen, 3);
        cr_assert_eq(first_label, 4);
        cr_assert_eq(ol_dataset_rewind(ds, &irb_err), OL_OK);
    }
    ol_dataset_close(ds);
    free(images);
    free(labels);
}

Test(data_idx, truncated_files)
{
    uint8_t px[4 * 4] = {0};
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 4));
    /* A plain file is checked against its header when opened. */
    char *plain = irb_path(dtb_dir, "short.idx");
    dtb_write_idx(plain, false, 0x08, 2, (uint32_t[]){4, 4}, px, 1, 3);
    const char *msg = dtb_open_fails(plain, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, plain) && strstr(msg, "truncated") && strstr(msg, "4 entries"), "%s", msg);
    /* A gzip file is found short while reading, naming the entry. */
    char *gz = irb_path(dtb_dir, "short.idx.gz");
    dtb_write_idx(gz, true, 0x08, 2, (uint32_t[]){4, 4}, px, 1, 3);
    ol_dataset *ds = dtb_open(gz, NULL, NULL, 0, &x, 1);
    ol_ktensor t;
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 3, &t, NULL, &got, &irb_err), OL_OK);
    free(t.data);
    cr_assert_neq(ol_dataset_next(ds, 3, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 0);
    cr_assert_null(t.data);
    cr_assert(strstr(irb_err.message, gz) && strstr(irb_err.message, "entry 4 of the 4"), "%s", irb_err.message);
    ol_dataset_close(ds);
    /* A header cut short. */
    dtb_write_bytes(plain, "\0\0\x08\x02\0\0", 6);
    msg = dtb_open_fails(plain, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "truncated IDX header"), "%s", msg);
    free(plain);
    free(gz);
}

Test(data_idx, bad_magic)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 4));
    char *path = irb_path(dtb_dir, "notidx.bin");
    dtb_write_bytes(path, "PK\x03\x04 this is a zip", 18);
    const char *msg = dtb_open_fails(path, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, path) && strstr(msg, "not an IDX file") && strstr(msg, "50 4b 03 04"), "%s", msg);
    dtb_write_bytes(path, "\0\0\x07\x01\0\0\0\0", 8);   /* unknown element type */
    msg = dtb_open_fails(path, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "not an IDX file"), "%s", msg);
    dtb_write_bytes(path, "", 0);
    msg = dtb_open_fails(path, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "not an IDX file"), "%s", msg);
    free(path);
}

Test(data_idx, labels_count_must_match)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 3));
    char *images = write_images("img", false), *labels = write_labels("lab", false, 4);
    const char *msg = dtb_open_fails(images, labels, NULL, 0, &x, 1);
    cr_assert(strstr(msg, labels) && strstr(msg, "4 labels") && strstr(msg, "5 samples"), "%s", msg);
    /* ... also with a limit: the files are misaligned whatever is used of them. */
    msg = dtb_open_fails(images, labels, NULL, 2, &x, 1);
    cr_assert(strstr(msg, "4 labels"), "%s", msg);
    free(images);
    free(labels);
}

Test(data_idx, labels_from_npy)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 3));
    char *images = write_images("img", false), *labels = irb_path(dtb_dir, "labels.npy");
    int32_t values[5] = {7, 6, 5, 4, 3};
    dtb_write_npy(labels, OL_INT32, IRB_DIMS(5, 1), values);
    ol_dataset *ds = dtb_open(images, labels, NULL, 0, &x, 1);
    ol_ktensor t;
    size_t got;
    int64_t l[5];
    cr_assert_eq(ol_dataset_next(ds, 5, &t, l, &got, &irb_err), OL_OK);
    free(t.data);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(l[i], 7 - i);
    ol_dataset_close(ds);
    float floats[5] = {0};
    dtb_write_npy(labels, OL_FLOAT, IRB_DIMS(5), floats);
    const char *msg = dtb_open_fails(images, labels, NULL, 0, &x, 1);
    cr_assert(strstr(msg, labels) && strstr(msg, "integers"), "%s", msg);
    free(images);
    free(labels);
}

Test(data_idx, image_only_preprocessing_is_refused)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 1, 2, 3));
    char *images = write_images("img", false);
    const char *msg = dtb_open_fails(images, NULL, "resize=4", 0, &x, 1);
    cr_assert(strstr(msg, "images"), "%s", msg);
    msg = dtb_open_fails(images, NULL, "mean=0.1:0.2:0.3", 0, &x, 1);
    cr_assert(strstr(msg, "3 mean values for 1 channel"), "%s", msg);
    free(images);
}

Test(data_idx, reader_reads_entries_in_order)
{
    int16_t values[3 * 2] = {1, -2, 300, -400, 5, 32767};
    char *path = irb_path(dtb_dir, "s16.gz");
    dtb_write_idx(path, true, 0x0B, 2, (uint32_t[]){3, 2}, values, 2, 0);
    ol_idx_file *idx;
    cr_assert_eq(ol_idx_open(path, &idx, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(ol_idx_shape(idx)->dtype, OL_INT16);
    cr_assert_eq(ol_idx_entry_bytes(idx), 4);
    int16_t got[4];
    cr_assert_eq(ol_idx_read(idx, 2, got, &irb_err), OL_OK);
    cr_assert_arr_eq(got, values, 8);
    cr_assert_eq(ol_idx_read(idx, 1, got, &irb_err), OL_OK);
    cr_assert_arr_eq(got, values + 4, 4);
    cr_assert_neq(ol_idx_read(idx, 1, got, &irb_err), OL_OK, "past the last entry");
    cr_assert_eq(ol_idx_rewind(idx, &irb_err), OL_OK);
    cr_assert_eq(ol_idx_read(idx, 1, got, &irb_err), OL_OK);
    cr_assert_arr_eq(got, values, 4);
    ol_idx_close(idx);
    free(path);
}
