/* Reading and writing ONNX files: byte-stable round trips of every fixture, what the IR does not
 * model (metadata, functions, doc strings) surviving, external data (borrowed on read, side file on
 * write, refused without a folder, kept inside the model's folder), and atomic writes that leave no
 * temporary file behind. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_builders.h"
#include "onnx.pb-c.h"

static bool bytes_equal(const ol_bytes *a, const ol_bytes *b)
{
    return a->size == b->size && (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
}

static Onnx__ModelProto *decode(const ol_bytes *bytes)
{
    Onnx__ModelProto *msg = onnx__model_proto__unpack(NULL, bytes->size, bytes->data);
    cr_assert(msg, "written bytes do not decode as a ModelProto");
    return msg;
}

static const ol_tensor *initializer(const ol_model *model, const char *name)
{
    ol_value *v = ol_graph_find_value(model->graph, name);
    cr_assert(v && v->constant, "no initializer '%s'", name);
    return v->constant;
}

Test(model_io, every_fixture_round_trips_byte_identically)
{
    glob_t found;
    cr_assert_eq(glob("tests/fixtures/*.onnx", 0, NULL, &found), 0, "no fixtures (run from the "
                 "repository root)");
    cr_assert_geq(found.gl_pathc, 4);
    for (size_t i = 0; i < found.gl_pathc; i++) {
        const char *path = found.gl_pathv[i];
        ol_model *model = irb_read(path);
        cr_assert_eq(ol_model_verify(model, &irb_err), OL_OK, "%s: %s", path, irb_err.message);
        ol_bytes first = irb_write(model);
        /* Writing is a pure function of the IR. */
        ol_bytes again = irb_write(model);
        cr_assert(bytes_equal(&first, &again), "%s: two writes differ", path);
        /* The buffer writer puts all data inline, so no folder is needed to read it back. */
        ol_model *back = irb_read_bytes(&first);
        cr_assert_eq(ol_model_verify(back, &irb_err), OL_OK, "%s: %s", path, irb_err.message);
        ol_bytes second = irb_write(back);
        cr_assert(bytes_equal(&first, &second), "%s: write(read(write(m))) differs from write(m) "
                  "(%zu vs %zu bytes)", path, second.size, first.size);
        cr_assert_eq(back->graph->n_nodes, model->graph->n_nodes, "%s", path);
        cr_assert_eq(back->graph->n_initializers, model->graph->n_initializers, "%s", path);
        for (size_t k = 0; k < model->graph->n_initializers; k++)
            cr_assert(ol_tensor_equal(model->graph->initializers[k]->constant,
                                      back->graph->initializers[k]->constant), "%s: initializer %zu",
                      path, k);
        free(first.data);
        free(again.data);
        free(second.data);
        ol_model_destroy(back);
        ol_model_destroy(model);
    }
    globfree(&found);
}

Test(model_io, reads_model_fields)
{
    ol_model *model = irb_read("tests/fixtures/with_function.onnx");
    cr_assert_eq(model->ir_version, 8);
    cr_assert_str_eq(model->producer_name, "onnx-lite export-small-fixtures");
    cr_assert_eq(ol_model_opset(model, ""), 17);
    cr_assert_eq(ol_model_opset(model, "onnxlite.test"), 1);
    cr_assert_not_null(model->dir);
    cr_assert(strstr(model->dir, "tests/fixtures"), "%s", model->dir);
    ol_graph *g = model->graph;
    cr_assert_str_eq(g->name, "with_function");
    ol_node *layer1 = irb_find_node(g, "layer1");
    cr_assert_str_eq(layer1->domain, "onnxlite.test");
    cr_assert_eq(layer1->opset, 1);
    cr_assert_float_eq(ol_node_attr_float(layer1, "alpha", 0), 0.2f, 1e-7);
    /* "batch" x 4 input type. */
    ol_value *input = g->inputs[0];
    cr_assert_eq(input->type.rank, 2);
    cr_assert_str_eq(input->type.dims[0].param, "batch");
    cr_assert_eq(input->type.dims[0].value, -1);
    cr_assert_eq(input->type.dims[1].value, 4);
    cr_assert_eq(g->n_initializers, 4);
    cr_assert_str_eq(g->initializers[0]->name, "W1");
    /* Inline raw_data is borrowed from the decoded message, not copied. */
    cr_assert_not_null(initializer(model, "W1")->owner);
    ol_model_destroy(model);
}

Test(model_io, metadata_functions_and_doc_strings_survive)
{
    ol_model *model = irb_read("tests/fixtures/with_function.onnx");
    ol_bytes bytes = irb_write(model);
    ol_model *back = irb_read_bytes(&bytes);
    ol_bytes bytes2 = irb_write(back);
    Onnx__ModelProto *msg = decode(&bytes2);

    cr_assert_str_eq(msg->doc_string, "Fixture: model-local function, metadata_props and doc strings.");
    cr_assert_eq(msg->n_metadata_props, 3);
    const char *keys[] = {"author", "license", "purpose"};
    const char *values[] = {"onnx-lite", "Apache-2.0", "reader test: functions and metadata"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(msg->metadata_props[i]->key, keys[i]);
        cr_assert_str_eq(msg->metadata_props[i]->value, values[i]);
    }
    cr_assert_eq(msg->n_functions, 1);
    Onnx__FunctionProto *fn = msg->functions[0];
    cr_assert_str_eq(fn->name, "LinearAct");
    cr_assert_str_eq(fn->domain, "onnxlite.test");
    cr_assert_eq(fn->n_input, 3);
    cr_assert_str_eq(fn->input[1], "W");
    cr_assert_eq(fn->n_node, 3);
    cr_assert_str_eq(fn->node[0]->op_type, "MatMul");
    cr_assert_str_eq(fn->node[2]->op_type, "LeakyRelu");
    cr_assert_eq(fn->n_attribute_proto, 1);
    cr_assert_str_eq(fn->attribute_proto[0]->name, "alpha");
    cr_assert_float_eq(fn->attribute_proto[0]->f, 0.01f, 1e-7);
    cr_assert_str_eq(msg->graph->doc_string, "Two LinearAct calls.");
    cr_assert_eq(msg->n_opset_import, 2);
    cr_assert_str_eq(msg->producer_name, "onnx-lite export-small-fixtures");
    cr_assert_eq(msg->ir_version, 8);

    onnx__model_proto__free_unpacked(msg, NULL);
    free(bytes.data);
    free(bytes2.data);
    ol_model_destroy(back);
    ol_model_destroy(model);
}

Test(model_io, external_data_is_borrowed)
{
    ol_model *model = irb_read("tests/fixtures/with_external_data.onnx");
    const ol_tensor *w = initializer(model, "W"), *b = initializer(model, "B");
    /* Mapped from the side file, not copied. */
    cr_assert_not_null(w->owner);
    cr_assert_not_null(b->owner);
    cr_assert_eq(w->nbytes, 48);
    cr_assert_eq(b->nbytes, 12);
    ol_bytes bin = irb_slurp("tests/fixtures/with_external_data.bin");
    cr_assert_eq(bin.size, 60);
    cr_assert(memcmp(w->data, bin.data, 48) == 0);
    cr_assert(memcmp(b->data, bin.data + 48, 12) == 0);
    /* Both tensors live in the same mapping. */
    cr_assert_eq(w->owner, b->owner);
    cr_assert_eq((const uint8_t *)b->data, (const uint8_t *)w->data + 48);
    /* The mapped bytes stay valid after the file-level buffers are gone: a clone outlives the model. */
    ol_tensor *keep = ol_tensor_clone(w, &irb_err);
    ol_model_destroy(model);
    cr_assert(memcmp(keep->data, bin.data, 48) == 0);
    ol_tensor_destroy(keep);
    free(bin.data);
}

Test(model_io, read_buffer_without_folder_refuses_external_data)
{
    ol_bytes bytes = irb_slurp("tests/fixtures/with_external_data.onnx");
    ol_model *model = (ol_model *)1;
    ol_error err = {0};
    cr_assert_eq(ol_model_read_buffer(bytes.data, bytes.size, NULL, &model, &err), OL_ERR_UNSUPPORTED);
    cr_assert_null(model);
    cr_assert_str_eq(err.message, "initializer 'W' uses external data, which needs a model file on disk");
    /* With the folder it reads. */
    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_buffer(bytes.data, bytes.size, "tests/fixtures", &model, &err), OL_OK,
                 "%s", err.message);
    cr_assert_not_null(initializer(model, "W")->owner);
    ol_model_destroy(model);
    free(bytes.data);
}

Test(model_io, write_external_data_side_file)
{
    ol_model *model = irb_read("tests/fixtures/with_external_data.onnx");
    char *dir = irb_tempdir();
    char *out = irb_path(dir, "out.onnx");
    ol_write_options opts = {.external_data = 1, .external_threshold = 1};
    cr_assert_eq(ol_model_write_file(model, out, &opts, &irb_err), OL_OK, "%s", irb_err.message);
    char *listing = irb_list_dir(dir);
    cr_assert_str_eq(listing, "out.onnx out.onnx.data");
    free(listing);

    /* W at 0, B at the next 64-byte boundary. */
    char *data_path = irb_path(dir, "out.onnx.data");
    ol_bytes data = irb_slurp(data_path);
    cr_assert_eq(data.size, 64 + 12);
    ol_bytes written = irb_slurp(out);
    Onnx__ModelProto *msg = decode(&written);
    Onnx__TensorProto *wp = msg->graph->initializer[0];
    cr_assert_str_eq(wp->name, "W");
    cr_assert_eq(wp->data_location, ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
    cr_assert_eq(wp->n_external_data, 3);
    cr_assert_str_eq(wp->external_data[0]->value, "out.onnx.data");   /* relative to the model */
    cr_assert_str_eq(wp->external_data[1]->value, "0");
    cr_assert_str_eq(wp->external_data[2]->value, "48");
    cr_assert_str_eq(msg->graph->initializer[1]->external_data[1]->value, "64");
    cr_assert_str_eq(msg->graph->initializer[1]->external_data[2]->value, "12");
    cr_assert(!msg->graph->initializer[0]->has_raw_data);
    onnx__model_proto__free_unpacked(msg, NULL);

    ol_model *back = irb_read(out);
    const char *names[] = {"W", "B"};
    for (size_t i = 0; i < 2; i++) {
        const ol_tensor *t = initializer(back, names[i]);
        cr_assert_not_null(t->owner, "%s should be mapped from the side file", names[i]);
        cr_assert(ol_tensor_equal(t, initializer(model, names[i])), "%s differs", names[i]);
    }
    ol_model_destroy(back);

    /* A higher threshold keeps small tensors inline. */
    ol_write_options some = {.external_data = 1, .external_threshold = 20};
    cr_assert_eq(ol_model_write_file(model, out, &some, &irb_err), OL_OK, "%s", irb_err.message);
    free(data.data);
    data = irb_slurp(data_path);
    cr_assert_eq(data.size, 48);
    back = irb_read(out);
    cr_assert(ol_tensor_equal(initializer(back, "B"), initializer(model, "B")));
    cr_assert(ol_tensor_equal(initializer(back, "W"), initializer(model, "W")));
    ol_model_destroy(back);

    free(data.data);
    free(written.data);
    free(data_path);
    free(out);
    irb_rmtree(dir);
    ol_model_destroy(model);
}

Test(model_io, write_file_leaves_no_temporary_files)
{
    ol_model *model = irb_read("tests/fixtures/small_cnn.onnx");
    char *dir = irb_tempdir();
    char *out = irb_path(dir, "model.onnx");
    cr_assert_eq(ol_model_write_file(model, out, NULL, &irb_err), OL_OK, "%s", irb_err.message);
    char *listing = irb_list_dir(dir);
    cr_assert_str_eq(listing, "model.onnx");
    free(listing);
    /* The file holds exactly what the buffer writer produces. */
    ol_bytes file = irb_slurp(out), buffer = irb_write(model);
    cr_assert(bytes_equal(&file, &buffer));
    /* Overwriting an existing file works the same way. */
    cr_assert_eq(ol_model_write_file(model, out, NULL, &irb_err), OL_OK, "%s", irb_err.message);
    listing = irb_list_dir(dir);
    cr_assert_str_eq(listing, "model.onnx");
    free(listing);
    free(file.data);
    free(buffer.data);
    free(out);
    irb_rmtree(dir);
    ol_model_destroy(model);
}

Test(model_io, write_file_into_missing_folder_fails_cleanly)
{
    ol_model *model = irb_read("tests/fixtures/with_if.onnx");
    char *dir = irb_tempdir();
    char *missing = irb_path(dir, "missing/model.onnx");
    ol_error err = {0};
    ol_write_options opts = {.external_data = 1, .external_threshold = 1};
    cr_assert_eq(ol_model_write_file(model, missing, &opts, &err), OL_ERR_IO);
    cr_assert(strstr(err.message, missing), "%s", err.message);
    char *listing = irb_list_dir(dir);
    cr_assert_str_eq(listing, "");
    free(listing);
    free(missing);
    irb_rmtree(dir);
    ol_model_destroy(model);
}

Test(model_io, failed_write_keeps_the_old_file_and_leaves_no_temporary_files)
{
    ol_model *model = irb_read("tests/fixtures/with_external_data.onnx");
    char *dir = irb_tempdir();
    char *out = irb_path(dir, "model.onnx");
    ol_write_options opts = {.external_data = 1, .external_threshold = 1};
    cr_assert_eq(ol_model_write_file(model, out, &opts, &irb_err), OL_OK, "%s", irb_err.message);
    ol_bytes before = irb_slurp(out);

    /* Bytes that do not decode as a NodeProto make serialization fail after the temporary files
     * were created (and after external data was written to one of them). */
    ol_node *gemm = irb_find_node(model->graph, "gemm");
    static uint8_t garbage[] = {0xff, 0xff, 0xff};
    ol_bytes saved = gemm->extras;
    gemm->extras = (ol_bytes){.data = garbage, .size = sizeof garbage};
    ol_error err = {0};
    cr_assert_neq(ol_model_write_file(model, out, &opts, &err), OL_OK);
    cr_assert_str_eq(err.message, "stored NodeProto bytes do not decode");
    gemm->extras = saved;

    char *listing = irb_list_dir(dir);
    cr_assert_str_eq(listing, "model.onnx model.onnx.data");
    free(listing);
    ol_bytes after = irb_slurp(out);
    cr_assert(bytes_equal(&before, &after));
    /* The earlier output still reads. */
    ol_model *back = irb_read(out);
    cr_assert(ol_tensor_equal(initializer(back, "W"), initializer(model, "W")));
    ol_model_destroy(back);
    free(before.data);
    free(after.data);
    free(out);
    irb_rmtree(dir);
    ol_model_destroy(model);
}

Test(model_io, read_errors)
{
    ol_model *model = (ol_model *)1;
    ol_error err = {0};
    cr_assert_eq(ol_model_read_file("tests/fixtures/does_not_exist.onnx", &model, &err), OL_ERR_IO);
    cr_assert_null(model);
    cr_assert(strstr(err.message, "cannot open 'tests/fixtures/does_not_exist.onnx'"), "%s", err.message);

    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_file("tests/fixtures", &model, &err), OL_ERR_IO);
    cr_assert(strstr(err.message, "is not a regular file"), "%s", err.message);

    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_buffer("", 0, NULL, &model, &err), OL_ERR_PARSE);
    cr_assert_str_eq(err.message, "file is empty");

    ol_error_clear(&err);
    static const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f};
    cr_assert_eq(ol_model_read_buffer(garbage, sizeof garbage, NULL, &model, &err), OL_ERR_PARSE);
    cr_assert_null(model);

    /* A truncated file does not decode. */
    ol_bytes bytes = irb_slurp("tests/fixtures/with_if.onnx");
    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_buffer(bytes.data, bytes.size - 7, NULL, &model, &err), OL_ERR_PARSE);
    cr_assert_null(model);
    free(bytes.data);

    /* Valid protobuf, but not a model: no graph. */
    Onnx__ModelProto empty = ONNX__MODEL_PROTO__INIT;
    empty.has_ir_version = 1;
    empty.ir_version = 8;
    uint8_t buf[16];
    size_t n = onnx__model_proto__pack(&empty, buf);
    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_buffer(buf, n, NULL, &model, &err), OL_ERR_PARSE);
    cr_assert_str_eq(err.message, "not an ONNX model: it has no graph");
}

/* with_external_data.onnx with W's location replaced, written to `dir`/sub/m.onnx. */
static char *model_with_location(const char *dir, const char *location)
{
    ol_bytes bytes = irb_slurp("tests/fixtures/with_external_data.onnx");
    Onnx__ModelProto *msg = decode(&bytes);
    Onnx__TensorProto *w = msg->graph->initializer[0];
    cr_assert_str_eq(w->external_data[0]->key, "location");
    char *saved = w->external_data[0]->value;
    w->external_data[0]->value = (char *)location;
    ol_bytes edited = {.size = onnx__model_proto__get_packed_size(msg)};
    edited.data = malloc(edited.size);
    onnx__model_proto__pack(msg, edited.data);
    w->external_data[0]->value = saved;
    onnx__model_proto__free_unpacked(msg, NULL);

    char *sub = irb_path(dir, "sub");
    cr_assert_eq(mkdir(sub, 0700), 0);
    char *path = irb_path(sub, "m.onnx");
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(edited.data, 1, edited.size, f), edited.size);
    fclose(f);
    free(sub);
    free(edited.data);
    free(bytes.data);
    return path;
}

static void remove_sub(char *dir)
{
    char *sub = irb_path(dir, "sub");
    char *m = irb_path(sub, "m.onnx");
    unlink(m);
    rmdir(sub);
    free(m);
    free(sub);
    irb_rmtree(dir);
}

Test(model_io, external_data_must_stay_in_the_model_folder)
{
    char *dir = irb_tempdir();
    /* A real file one level up: reading it would leak files the model has no business with. */
    char *outside = irb_path(dir, "secret.bin");
    FILE *f = fopen(outside, "wb");
    cr_assert(f);
    static const uint8_t zeros[64];
    fwrite(zeros, 1, sizeof zeros, f);
    fclose(f);
    char *path = model_with_location(dir, "../secret.bin");
    ol_model *model = (ol_model *)1;
    ol_error err = {0};
    cr_assert_eq(ol_model_read_file(path, &model, &err), OL_ERR_INVALID);
    cr_assert_null(model);
    cr_assert(strstr(err.message, "external data path '../secret.bin' points outside the model's "
                                  "folder"), "%s", err.message);
    free(path);
    remove_sub(dir);

    dir = irb_tempdir();
    path = model_with_location(dir, "/etc/passwd");
    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_file(path, &model, &err), OL_ERR_INVALID);
    cr_assert(strstr(err.message, "must be relative to the model's folder"), "%s", err.message);
    free(path);
    remove_sub(dir);

    dir = irb_tempdir();
    path = model_with_location(dir, "missing.bin");
    ol_error_clear(&err);
    cr_assert_eq(ol_model_read_file(path, &model, &err), OL_ERR_IO);
    cr_assert(strstr(err.message, "initializer 'W': external data file"), "%s", err.message);
    free(path);
    remove_sub(dir);
    free(outside);
}

Test(model_io, external_data_range_is_checked)
{
    char *dir = irb_tempdir();
    char *path = model_with_location(dir, "w.bin");
    /* 40 bytes, but W needs 48 at offset 0. */
    char *sub = irb_path(dir, "sub");
    char *bin = irb_path(sub, "w.bin");
    FILE *f = fopen(bin, "wb");
    static const uint8_t zeros[40];
    fwrite(zeros, 1, sizeof zeros, f);
    fclose(f);
    ol_model *model = (ol_model *)1;
    ol_error err = {0};
    cr_assert_eq(ol_model_read_file(path, &model, &err), OL_ERR_INVALID);
    cr_assert_null(model);
    cr_assert(strstr(err.message, "external data of 48 bytes at offset 0 runs past the end of 'w.bin' "
                                  "(40 bytes)"), "%s", err.message);
    unlink(bin);
    free(bin);
    free(sub);
    free(path);
    remove_sub(dir);
}

Test(model_io, built_model_round_trips)
{
    /* A model made through the API only: types, initializers, attributes, optional inputs. */
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 3));
    ol_value *w = irb_weight(g, "w", OL_FLOAT, IRB_DIMS(3));
    float *wd = ol_tensor_mutable_data(w->constant, &irb_err);
    wd[0] = 1.5f;
    wd[2] = -2.0f;
    ol_node *add = IRB_NODE(g, "Add", "add", "sum", x, w);
    cr_assert_eq(ol_type_set_tensor(&add->outputs[0]->type, OL_FLOAT, IRB_DIMS(2, 3)), 0);
    ol_node *clip = IRB_NODE(g, "Clip", "clip", "clipped", add->outputs[0], NULL);
    irb_output(g, clip->outputs[0]);
    model->producer_name = strdup("unit-test");

    ol_bytes bytes = irb_write(model);
    ol_model *back = irb_read_bytes(&bytes);
    irb_assert_verifies(back->graph);
    cr_assert_str_eq(back->producer_name, "unit-test");
    cr_assert(ol_tensor_equal(initializer(back, "w"), w->constant));
    ol_value *sum = ol_graph_find_value(back->graph, "sum");
    /* The intermediate's type travels as value_info. */
    cr_assert(ol_type_equal(&sum->type, &add->outputs[0]->type));
    cr_assert(ol_type_equal(&ol_graph_find_value(back->graph, "x")->type, &x->type));
    ol_node *clip2 = irb_find_node(back->graph, "clip");
    cr_assert_eq(clip2->n_inputs, 2);
    cr_assert_null(clip2->inputs[1]);
    ol_bytes again = irb_write(back);
    cr_assert(bytes_equal(&bytes, &again));
    free(bytes.data);
    free(again.data);
    ol_model_destroy(back);
    ol_model_destroy(model);
}

/* Large inline weights (pb_split.c): cut out of the bytes before decoding and borrowed from the
 * bytes read (the file's mapping, or the reader's copy of a buffer), aligned, and written back the
 * same. */

static void write_bytes_file(const char *path, const ol_bytes *bytes)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s", path);
    cr_assert_eq(fwrite(bytes->data, 1, bytes->size, f), bytes->size);
    cr_assert_eq(fclose(f), 0);
}

Test(model_io, large_raw_data_is_borrowed_from_the_bytes_read)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1000));
    ol_value *big = irb_weight(g, "big", OL_FLOAT, IRB_DIMS(1000));
    ol_value *ints = irb_weight(g, "ints", OL_INT64, IRB_DIMS(100));
    ol_value *tiny = irb_weight(g, "tiny", OL_FLOAT, IRB_DIMS(3));
    float *bd = ol_tensor_mutable_data(big->constant, &irb_err);
    for (int i = 0; i < 1000; i++)
        bd[i] = (float)i * 0.5f;
    int64_t *id = ol_tensor_mutable_data(ints->constant, &irb_err);
    for (int i = 0; i < 100; i++)
        id[i] = -7 * i;
    ol_node *add = IRB_NODE(g, "Add", "add", "y", x, big);
    irb_output(g, add->outputs[0]);
    irb_output(g, ints);
    irb_output(g, tiny);
    ol_bytes bytes = irb_write(model);
    ol_bytes saved = {.data = malloc(bytes.size), .size = bytes.size};
    memcpy(saved.data, bytes.data, bytes.size);

    char *dir = irb_tempdir();
    char *path = irb_path(dir, "m.onnx");
    write_bytes_file(path, &bytes);
    ol_model *from_file = irb_read(path);
    ol_model *from_buffer = irb_read_bytes(&bytes);
    /* The caller's buffer is not touched (the reader moves weights only in its own copy). */
    cr_assert(bytes_equal(&bytes, &saved));
    ol_model *reads[] = {from_file, from_buffer};
    for (size_t r = 0; r < 2; r++) {
        const ol_tensor *b = initializer(reads[r], "big"), *n = initializer(reads[r], "ints"),
                        *t = initializer(reads[r], "tiny");
        cr_assert(ol_tensor_equal(b, big->constant));
        cr_assert(ol_tensor_equal(n, ints->constant));
        cr_assert(ol_tensor_equal(t, tiny->constant));
        /* Both large weights live in the one block of bytes read; the tiny one in the message. */
        cr_assert_not_null(b->owner);
        cr_assert_eq(b->owner, n->owner);
        cr_assert_neq(t->owner, b->owner);
        cr_assert_eq((uintptr_t)b->data % 16, 0);
        cr_assert_eq((uintptr_t)n->data % 16, 0);
        ol_bytes again = irb_write(reads[r]);
        cr_assert(bytes_equal(&again, &bytes), "read %zu: the re-write differs", r);
        free(again.data);
    }
    /* The borrowed bytes outlive the model. */
    ol_tensor *keep = ol_tensor_clone(initializer(from_file, "big"), &irb_err);
    ol_model_destroy(from_file);
    ol_model_destroy(from_buffer);
    cr_assert(ol_tensor_equal(keep, big->constant));
    ol_tensor_destroy(keep);
    unlink(path);
    free(path);
    irb_rmtree(dir);
    free(bytes.data);
    free(saved.data);
    ol_model_destroy(model);
}

/* Protobuf wire bytes written by hand, for layouts no writer produces. */
static void put_varint(ol_bytes *b, uint64_t v, size_t min_bytes)
{
    uint8_t buf[10];
    size_t n = 0;
    do {
        buf[n++] = (uint8_t)(v & 0x7f) | 0x80;
        v >>= 7;
    } while (v || n < min_bytes);
    buf[n - 1] &= 0x7f;
    b->data = realloc(b->data, b->size + n);
    memcpy(b->data + b->size, buf, n);
    b->size += n;
}

static void put_raw(ol_bytes *b, const void *data, size_t n)
{
    b->data = realloc(b->data, b->size + n);
    memcpy(b->data + b->size, data, n);
    b->size += n;
}

static void put_int(ol_bytes *b, unsigned field, uint64_t v)
{
    put_varint(b, field << 3, 1);
    put_varint(b, v, 1);
}

/* A length-prefixed field; the length takes at least `len_bytes` bytes (more than needed is legal). */
static void put_len(ol_bytes *b, unsigned field, const void *data, size_t n, size_t len_bytes)
{
    put_varint(b, field << 3 | 2, 1);
    put_varint(b, n, len_bytes);
    put_raw(b, data, n);
}

static void put_message(ol_bytes *b, unsigned field, ol_bytes *body, size_t len_bytes)
{
    put_len(b, field, body->data, body->size, len_bytes);
    free(body->data);
    *body = (ol_bytes){0};
}

/* A uint8 tensor of n bytes, fill + i: raw_data first or last, optional unknown field 1000. */
static ol_bytes wire_tensor(const char *name, size_t n, uint8_t fill, bool raw_first, bool unknown)
{
    ol_bytes t = {0};
    uint8_t *raw = malloc(n);
    for (size_t i = 0; i < n; i++)
        raw[i] = (uint8_t)(fill + i);
    if (raw_first)
        put_len(&t, 9, raw, n, 1);
    put_int(&t, 1, n);      /* dims */
    put_int(&t, 2, 2);      /* data_type UINT8 */
    put_len(&t, 8, name, strlen(name), 1);
    if (!raw_first)
        put_len(&t, 9, raw, n, 1);
    if (unknown)
        put_int(&t, 1000, 42);
    free(raw);
    return t;
}

static void put_output(ol_bytes *graph, const char *name)
{
    ol_bytes vi = {0};
    put_len(&vi, 1, name, strlen(name), 1);
    put_message(graph, 12, &vi, 1);
}

static ol_bytes wire_model(ol_bytes *graphs, size_t n_graphs)
{
    ol_bytes m = {0}, opset = {0};
    put_int(&m, 1, 8);
    put_int(&opset, 2, 17);
    put_message(&m, 8, &opset, 1);
    for (size_t i = 0; i < n_graphs; i++)
        put_message(&m, 7, &graphs[i], 1);
    return m;
}

/* Reads `bytes` from a buffer and from a file: every initializer holds what protobuf-c decodes for
 * it, aligned, and the unknown fields of the graph and the tensors are written back. Sets
 * shares_first[i] when initializer i borrows from the same block as the first one (buffer read). */
static void check_reads_as_decoded(const ol_bytes *bytes, const char *dir, bool *shares_first)
{
    Onnx__ModelProto *msg = decode(bytes);
    char *path = irb_path(dir, "w.onnx");
    write_bytes_file(path, bytes);
    ol_model *reads[] = {irb_read_bytes(bytes), irb_read(path)};
    for (size_t r = 0; r < 2; r++) {
        ol_bytes out = irb_write(reads[r]);
        Onnx__ModelProto *back = decode(&out);
        cr_assert_eq(back->graph->base.n_unknown_fields, msg->graph->base.n_unknown_fields);
        cr_assert_eq(back->graph->n_initializer, msg->graph->n_initializer);
        for (size_t i = 0; i < msg->graph->n_initializer; i++) {
            const Onnx__TensorProto *tp = msg->graph->initializer[i];
            const ol_tensor *t = initializer(reads[r], tp->name);
            cr_assert_eq(t->nbytes, tp->raw_data.len, "%s", tp->name);
            cr_assert(memcmp(t->data, tp->raw_data.data, t->nbytes) == 0, "%s", tp->name);
            cr_assert_eq((uintptr_t)t->data % 16, 0, "%s", tp->name);
            cr_assert_eq(back->graph->initializer[i]->base.n_unknown_fields, tp->base.n_unknown_fields);
            if (r == 0 && shares_first)
                shares_first[i] = t->owner == initializer(reads[r], msg->graph->initializer[0]->name)->owner;
        }
        onnx__model_proto__free_unpacked(back, NULL);
        free(out.data);
    }
    ol_model_destroy(reads[0]);
    ol_model_destroy(reads[1]);
    unlink(path);
    free(path);
    onnx__model_proto__free_unpacked(msg, NULL);
}

Test(model_io, unusual_wire_layouts_read_as_protobuf_decodes_them)
{
    char *dir = irb_tempdir();
    ol_bytes raw_twice = {0}, a = {0}, b = {0}, t = {0};

    /* raw_data twice in one tensor: the last wins, as in protobuf-c (such a tensor is not cut). */
    t = wire_tensor("w", 300, 1, true, false);
    put_len(&t, 9, (uint8_t[300]){0}, 300, 1);
    put_message(&raw_twice, 5, &t, 1);
    put_output(&raw_twice, "w");
    ol_bytes m = wire_model(&raw_twice, 1);
    check_reads_as_decoded(&m, dir, NULL);
    free(m.data);

    /* The graph field twice: protobuf-c merges the two; nothing is cut. */
    t = wire_tensor("a", 400, 3, false, true);
    put_message(&a, 5, &t, 1);
    put_output(&a, "a");
    t = wire_tensor("b", 500, 5, false, false);
    put_message(&b, 5, &t, 1);
    put_output(&b, "b");
    ol_bytes two[] = {a, b};
    m = wire_model(two, 2);
    check_reads_as_decoded(&m, dir, NULL);
    free(m.data);

    /* Over-long length varints, an unknown field between initializers and in a cut tensor, and
     * adjacent weights with little room between them: whatever is cut or not, the result is the
     * decoded one. With the first weight's length varied, the second sometimes lacks the room to
     * move to its 16-byte boundary and stays in the message; both cases must occur. */
    bool shared = false, separate = false;
    for (size_t shift = 0; shift < 16 * 16 && !(shared && separate); shift++) {
        ol_bytes g = {0};
        put_len(&g, 2, "graph-name-padding", shift / 16 + 1, 1);   /* moves where the weights start */
        t = wire_tensor("first", 600 + shift % 16, 7, false, false);
        put_message(&g, 5, &t, 3);
        t = wire_tensor("second", 700, 9, true, false);
        put_message(&g, 5, &t, 1);
        put_int(&g, 999, 1);
        t = wire_tensor("third", 800, 11, false, true);
        put_message(&g, 5, &t, 5);
        put_output(&g, "first");
        put_output(&g, "second");
        put_output(&g, "third");
        m = wire_model(&g, 1);
        bool shares_first[3] = {0};
        check_reads_as_decoded(&m, dir, shares_first);
        cr_assert(shares_first[2], "first and third are always cut");
        if (shares_first[1])
            shared = true;
        else
            separate = true;
        free(m.data);
    }
    cr_assert(shared && separate, "the layouts did not cover both a cut and a kept weight");
    irb_rmtree(dir);
}
