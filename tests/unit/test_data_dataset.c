/* Data sets over folders of .npy/.pb files and ONNX test data sets, and over tensors in memory:
 * samples and batches per file, batching across files, batches ending on a shape change, limit,
 * rewind, and the messages for files that do not fit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/tensor_load.h"
#include "data_builders.h"

TestSuite(data_dataset, .init = dtb_setup, .fini = dtb_teardown);

/* Writes `name` in `folder` holding `n` samples of 3 floats valued first, first+1, ... (n == 0: one
 * sample without a batch dim). */
static void write_floats(const char *folder, const char *name, int n, float first)
{
    float v[64];
    int count = (n ? n : 1) * 3;
    for (int i = 0; i < count; i++)
        v[i] = first + (float)i;
    char *path = irb_path(folder, name);
    bool pb = strstr(name, ".pb") != NULL;
    if (n == 0)
        (pb ? dtb_write_pb : dtb_write_npy)(path, OL_FLOAT, IRB_DIMS(3), v);
    else
        (pb ? dtb_write_pb : dtb_write_npy)(path, OL_FLOAT, 2, (const int64_t[]){n, 3}, v);
    free(path);
}

/* Reads the whole set in batches of `batch`, checking that values run 0, 1, 2, ... and recording
 * each batch's size in sizes (0-terminated). */
static size_t read_all(ol_dataset *ds, size_t batch, size_t *sizes)
{
    size_t seen = 0, k = 0, got;
    ol_ktensor t;
    for (;;) {
        cr_assert_eq(ol_dataset_next(ds, batch, &t, NULL, &got, &irb_err), OL_OK, "%s", irb_err.message);
        if (got == 0)
            break;
        cr_assert_eq(t.dims[0], (int64_t)got);
        for (size_t i = 0; i < got * 3; i++)
            cr_assert_float_eq(((float *)t.data)[i], (float)(seen * 3 + i), 0, "sample %zu", seen + i / 3);
        free(t.data);
        seen += got;
        sizes[k++] = got;
    }
    sizes[k] = 0;
    return seen;
}

Test(data_dataset, npy_and_pb_folder_with_samples_and_batches)
{
    write_floats(dtb_dir, "a.npy", 0, 0);    /* sample 0 */
    write_floats(dtb_dir, "b.pb", 4, 3);     /* samples 1-4 */
    write_floats(dtb_dir, "c.npy", 2, 15);   /* samples 5-6 */
    write_floats(dtb_dir, "d.pb", 0, 21);    /* sample 7 */
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3));
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert_eq(ol_dataset_size(ds), 8, "counted from the headers when opened");
    size_t sizes[16];
    cr_assert_eq(read_all(ds, 3, sizes), 8);
    cr_assert_eq(sizes[0], 3);
    cr_assert_eq(sizes[1], 3);
    cr_assert_eq(sizes[2], 2);
    cr_assert_eq(sizes[3], 0);
    cr_assert_eq(ol_dataset_rewind(ds, &irb_err), OL_OK);
    cr_assert_eq(read_all(ds, 100, sizes), 8);
    cr_assert_eq(sizes[0], 8);
    ol_dataset_close(ds);
}

Test(data_dataset, limit_cuts_within_a_file)
{
    write_floats(dtb_dir, "a.npy", 4, 0);
    write_floats(dtb_dir, "b.npy", 4, 12);
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3));
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 6, &x, 1);
    cr_assert_eq(ol_dataset_size(ds), 6);
    size_t sizes[16];
    cr_assert_eq(read_all(ds, 4, sizes), 6);
    cr_assert_eq(sizes[1], 2);
    cr_assert_eq(ol_dataset_rewind(ds, &irb_err), OL_OK);
    cr_assert_eq(read_all(ds, 5, sizes), 6);
    ol_dataset_close(ds);
}

Test(data_dataset, single_tensor_file)
{
    write_floats(dtb_dir, "all.npy", 5, 0);
    char *path = irb_path(dtb_dir, "all.npy");
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3));
    ol_dataset *ds = dtb_open(path, NULL, NULL, 0, &x, 1);
    size_t sizes[16];
    cr_assert_eq(read_all(ds, 2, sizes), 5);
    ol_dataset_close(ds);
    free(path);
}

Test(data_dataset, shape_mismatch_names_file_and_expected_shape)
{
    float v[8] = {0};
    char *path = irb_path(dtb_dir, "bad.npy");
    dtb_write_npy(path, OL_FLOAT, IRB_DIMS(2, 4), v);
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3));
    const char *msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, path) && strstr(msg, "float32[2,4]") && strstr(msg, "input 'x' float32[N,3]") &&
              strstr(msg, "one sample float32[3]"), "%s", msg);
    double d[3] = {0};
    dtb_write_npy(path, OL_DOUBLE, IRB_DIMS(3), d);
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "float64[3]") && strstr(msg, "astype"), "%s", msg);
    dtb_write_npy(path, OL_FLOAT, IRB_DIMS(1, 1, 3), v);   /* rank too high */
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "float32[1,1,3]"), "%s", msg);
    free(path);
}

Test(data_dataset, batches_end_early_when_the_shape_changes)
{
    float v[5 * 4] = {0};
    for (int i = 0; i < 20; i++)
        v[i] = (float)i;
    char *a = irb_path(dtb_dir, "a.npy"), *b = irb_path(dtb_dir, "b.npy"), *c = irb_path(dtb_dir, "c.npy");
    dtb_write_npy(a, OL_FLOAT, IRB_DIMS(2, 3), v);    /* two samples of length 3 */
    dtb_write_npy(b, OL_FLOAT, IRB_DIMS(1, 4), v);    /* one of length 4 */
    dtb_write_npy(c, OL_FLOAT, IRB_DIMS(4), v);       /* one more of length 4 */
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, -1));
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert_eq(ol_dataset_size(ds), 4);
    ol_ktensor t;
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 8, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 2);
    cr_assert_eq(t.dims[1], 3);
    free(t.data);
    cr_assert_eq(ol_dataset_next(ds, 8, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 2, "b and c have the same shape and go together");
    cr_assert_eq(t.dims[1], 4);
    cr_assert_float_eq(((float *)t.data)[5], 1.0f, 0);
    free(t.data);
    cr_assert_eq(ol_dataset_next(ds, 8, &t, NULL, &got, &irb_err), OL_OK);
    cr_assert_eq(got, 0);
    ol_dataset_close(ds);
    free(a);
    free(b);
    free(c);
}

Test(data_dataset, fixed_batch_dim_caps_the_batch)
{
    write_floats(dtb_dir, "a.npy", 3, 0);
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(1, 3));
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 0, &x, 1);
    size_t sizes[16];
    cr_assert_eq(read_all(ds, 8, sizes), 3);
    cr_assert_eq(sizes[0], 1);
    cr_assert_eq(sizes[2], 1);
    ol_dataset_close(ds);
}

static void write_testset(int k, int n_inputs, int batch, float first)
{
    char name[64];
    snprintf(name, sizeof name, "test_data_set_%d", k);
    char *set = irb_path(dtb_dir, name);
    dtb_mkdir(set);
    for (int i = 0; i < n_inputs; i++) {
        snprintf(name, sizeof name, "input_%d.pb", i);
        write_floats(set, name, batch, first + 100.0f * (float)i);
    }
    free(set);
}

Test(data_dataset, onnx_test_data_sets_feed_several_inputs)
{
    write_testset(0, 2, 2, 0);
    write_testset(1, 2, 1, 6);
    ol_value *inputs[] = {dtb_input(dtb_model->graph, "a", OL_FLOAT, IRB_DIMS(-1, 3)),
                          dtb_input(dtb_model->graph, "b", OL_FLOAT, IRB_DIMS(-1, 3))};
    ol_dataset *ds = dtb_open(dtb_dir, NULL, NULL, 0, inputs, 2);
    cr_assert_eq(ol_dataset_size(ds), 3);
    ol_ktensor t[2];
    size_t got;
    cr_assert_eq(ol_dataset_next(ds, 3, t, NULL, &got, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(got, 3);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(t[i].dims[0], 3);
        for (int e = 0; e < 9; e++)
            cr_assert_float_eq(((float *)t[i].data)[e], (float)e + 100.0f * (float)i, 0);
        free(t[i].data);
    }
    ol_dataset_close(ds);
    /* A folder with a missing or an extra input is named. */
    const char *msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, inputs, 1);
    cr_assert(strstr(msg, "test_data_set_0") && strstr(msg, "input_1.pb"), "%s", msg);
    ol_value *three[] = {inputs[0], inputs[1], dtb_input(dtb_model->graph, "c", OL_FLOAT, IRB_DIMS(-1, 3))};
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, three, 3);
    cr_assert(strstr(msg, "input_2.pb"), "%s", msg);
}

Test(data_dataset, test_data_set_inputs_must_hold_as_many_samples)
{
    write_testset(0, 1, 2, 0);
    char *set = irb_path(dtb_dir, "test_data_set_0");
    write_floats(set, "input_1.pb", 3, 0);
    ol_value *inputs[] = {dtb_input(dtb_model->graph, "a", OL_FLOAT, IRB_DIMS(-1, 3)),
                          dtb_input(dtb_model->graph, "b", OL_FLOAT, IRB_DIMS(-1, 3))};
    const char *msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, inputs, 2);
    cr_assert(strstr(msg, "input_1.pb' holds 3 samples") && strstr(msg, "holds 2"), "%s", msg);
    free(set);
}

Test(data_dataset, folder_errors)
{
    ol_value *x = dtb_input(dtb_model->graph, "x", OL_FLOAT, IRB_DIMS(-1, 3));
    const char *msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "holds no samples"), "%s", msg);
    char *missing = irb_path(dtb_dir, "missing");
    msg = dtb_open_fails(missing, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, missing) && strstr(msg, "No such file"), "%s", msg);
    free(missing);
    write_floats(dtb_dir, "a.npy", 1, 0);
    char *txt = irb_path(dtb_dir, "notes.txt");
    dtb_write_bytes(txt, "hi", 2);
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, txt), "%s", msg);
    remove(txt);
    free(txt);
    char *png = irb_path(dtb_dir, "a.png");
    dtb_write_bytes(png, "x", 1);
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, "mixes"), "%s", msg);
    remove(png);
    free(png);
    /* A folder of tensor files feeds one input only. */
    ol_value *two[] = {x, dtb_input(dtb_model->graph, "y", OL_FLOAT, IRB_DIMS(-1, 3))};
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, two, 2);
    cr_assert(strstr(msg, "has 2") && strstr(msg, "test_data_set_"), "%s", msg);
    /* A corrupt file found when peeking. */
    char *bad = irb_path(dtb_dir, "b.npy");
    dtb_write_bytes(bad, "\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'", 24);
    msg = dtb_open_fails(dtb_dir, NULL, NULL, 0, &x, 1);
    cr_assert(strstr(msg, bad), "%s", msg);
    free(bad);
}

Test(data_dataset, from_tensors_batches_and_labels)
{
    int64_t ids[5] = {10, 11, 12, 13, 14};
    float f[5 * 2];
    for (int i = 0; i < 10; i++)
        f[i] = (float)i;
    ol_ktensor samples[2] = {{.data = ids, .dtype = OL_INT64, .rank = 1, .dims = {5}},
                             {.data = f, .dtype = OL_FLOAT, .rank = 2, .dims = {5, 2}}};
    int64_t labels[5] = {4, 3, 2, 1, 0};
    ol_dataset *ds;
    cr_assert_eq(ol_dataset_from_tensors(samples, 2, labels, &ds, &irb_err), OL_OK, "%s", irb_err.message);
    ids[0] = -1;   /* the data was copied */
    labels[0] = -1;
    cr_assert_eq(ol_dataset_size(ds), 5);
    cr_assert(ol_dataset_has_labels(ds));
    for (int pass = 0; pass < 2; pass++) {
        ol_ktensor t[2];
        int64_t l[2];
        size_t got, seen = 0;
        for (;;) {
            cr_assert_eq(ol_dataset_next(ds, 2, t, l, &got, &irb_err), OL_OK);
            if (got == 0)
                break;
            for (size_t s = 0; s < got; s++) {
                cr_assert_eq(((int64_t *)t[0].data)[s], 10 + (int64_t)(seen + s));
                cr_assert_float_eq(((float *)t[1].data)[2 * s + 1], (float)(2 * (seen + s) + 1), 0);
                cr_assert_eq(l[s], 4 - (int64_t)(seen + s));
            }
            cr_assert_eq(t[1].dims[1], 2);
            free(t[0].data);
            free(t[1].data);
            seen += got;
        }
        cr_assert_eq(seen, 5);
        cr_assert_eq(ol_dataset_rewind(ds, &irb_err), OL_OK);
    }
    ol_dataset_close(ds);
    samples[1].dims[0] = 4;
    cr_assert_neq(ol_dataset_from_tensors(samples, 2, NULL, &ds, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, "same dim 0"), "%s", irb_err.message);
}

Test(data_dataset, batch_of_zero_is_refused)
{
    float f[2] = {0};
    ol_ktensor samples = {.data = f, .dtype = OL_FLOAT, .rank = 1, .dims = {2}};
    ol_dataset *ds;
    cr_assert_eq(ol_dataset_from_tensors(&samples, 1, NULL, &ds, &irb_err), OL_OK);
    ol_ktensor t;
    size_t got;
    cr_assert_neq(ol_dataset_next(ds, 0, &t, NULL, &got, &irb_err), OL_OK);
    ol_dataset_close(ds);
}

Test(data_dataset, peek_reads_shape_without_data)
{
    float v[6] = {0};
    char *pb = irb_path(dtb_dir, "t.pb"), *npy = irb_path(dtb_dir, "t.npy");
    dtb_write_pb(pb, OL_FLOAT, IRB_DIMS(2, 3), v);
    dtb_write_npy(npy, OL_FLOAT, IRB_DIMS(2, 3), v);
    const char *paths[] = {pb, npy};
    for (int k = 0; k < 2; k++) {
        ol_ktensor t;
        cr_assert_eq(ol_tensor_peek_file(paths[k], &t, &irb_err), OL_OK, "%s", irb_err.message);
        cr_assert_eq(t.dtype, OL_FLOAT);
        cr_assert_eq(t.rank, 2);
        cr_assert_eq(t.dims[0], 2);
        cr_assert_eq(t.dims[1], 3);
        cr_assert_null(t.data);
        cr_assert_eq(ol_tensor_load_file(paths[k], &t, &irb_err), OL_OK, "%s", irb_err.message);
        cr_assert_eq(t.dims[1], 3);
        free(t.data);
    }
    /* A truncated .pb and .npy are refused by name. */
    ol_bytes bytes = irb_slurp(pb);
    dtb_write_bytes(pb, bytes.data, bytes.size - 5);
    free(bytes.data);
    ol_ktensor t;
    cr_assert_neq(ol_tensor_peek_file(pb, &t, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, pb), "%s", irb_err.message);
    bytes = irb_slurp(npy);
    dtb_write_bytes(npy, bytes.data, bytes.size - 4);
    free(bytes.data);
    ol_error_clear(&irb_err);
    cr_assert_neq(ol_tensor_peek_file(npy, &t, &irb_err), OL_OK);
    cr_assert(strstr(irb_err.message, npy) && strstr(irb_err.message, "data bytes"), "%s", irb_err.message);
    free(pb);
    free(npy);
}
