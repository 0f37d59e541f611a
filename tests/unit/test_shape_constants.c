/* Shape inference of value-making ops (Constant with every value_* attribute, ConstantOfShape,
 * Range, EyeLike, random generators) and type-changing ones (Cast, CastLike, Identity, Dropout). */
#include "onnx.pb-c.h"
#include "test_shape_graph.h"

static ol_node *constant(ol_model *m, const char *name)
{
    ol_node *n = ol_graph_add_node(m->graph, "Constant", "", name, &irb_err);
    cr_assert(n, "%s", irb_err.message);
    char out[64];
    snprintf(out, sizeof out, "%s:0", name);
    cr_assert(ol_node_new_output(n, out, &irb_err), "%s", irb_err.message);
    return n;
}

Test(shape_constant, every_modelled_value_attribute)
{
    ol_model *m = sg_model(13);
    ol_node *t = constant(m, "tensor");
    ol_tensor *tensor = ol_tensor_create(OL_FLOAT16, 2, (const int64_t[]){2, 5}, &irb_err);
    cr_assert(tensor);
    cr_assert_eq(ol_node_set_attr_tensor(t, "value", tensor, &irb_err), OL_OK);
    ol_node *f = constant(m, "f");
    sg_attr_float(f, "value_float", 1.5f);
    ol_node *fs = constant(m, "fs");
    cr_assert_eq(ol_node_set_attr_floats(fs, "value_floats", (const float[]){1, 2, 3}, 3, &irb_err), OL_OK);
    ol_node *i = constant(m, "i");
    sg_attr_int(i, "value_int", 7);
    ol_node *is = constant(m, "is");
    sg_attr_ints(is, "value_ints", SG_INTS(1, 2, 3, 4));
    ol_node *s = constant(m, "s");
    sg_attr_string(s, "value_string", "hello");
    sg_infer_ok(m);
    sg_assert_type(sg_out(t, 0), "float16[2,5]");
    sg_assert_type(sg_out(f, 0), "float32[]");
    sg_assert_type(sg_out(fs, 0), "float32[3]");
    sg_assert_type(sg_out(i, 0), "int64[]");
    sg_assert_type(sg_out(is, 0), "int64[4]");
    sg_assert_type(sg_out(s, 0), "string[]");
    ol_model_destroy(m);
}

Test(shape_constant, needs_exactly_one_value)
{
    ol_model *m = sg_model(13);
    constant(m, "empty");
    sg_assert_contains(sg_infer_fails(m), "node 'empty' (Constant): has no value attribute");
    ol_model_destroy(m);

    m = sg_model(13);
    ol_node *two = constant(m, "two");
    sg_attr_int(two, "value_int", 1);
    sg_attr_float(two, "value_float", 1);
    sg_assert_contains(sg_infer_fails(m), "has both");
    ol_model_destroy(m);

    m = sg_model(13);
    ol_node *wrong = constant(m, "wrong");
    sg_attr_float(wrong, "value_int", 1);
    sg_assert_contains(sg_infer_fails(m), "attribute 'value_int' must be int, not float");
    ol_model_destroy(m);
}

/* value_strings and sparse_value have no IR setters; they come from a model file. */
Test(shape_constant, strings_and_sparse_values_from_a_file)
{
    ProtobufCBinaryData strs[3] = {{1, (uint8_t *)"a"}, {1, (uint8_t *)"b"}, {1, (uint8_t *)"c"}};
    Onnx__AttributeProto a_strs = ONNX__ATTRIBUTE_PROTO__INIT;
    a_strs.name = "value_strings";
    a_strs.has_type = 1;
    a_strs.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    a_strs.n_strings = 3;
    a_strs.strings = strs;
    Onnx__AttributeProto *strs_attrs[] = {&a_strs};
    char *strs_out[] = {"strings"};
    Onnx__NodeProto n_strs = ONNX__NODE_PROTO__INIT;
    n_strs.name = "strs";
    n_strs.op_type = "Constant";
    n_strs.n_output = 1;
    n_strs.output = strs_out;
    n_strs.n_attribute = 1;
    n_strs.attribute = strs_attrs;

    float vals[2] = {1, 2};
    int64_t idx[2] = {1, 6};
    int64_t vals_dims[1] = {2}, dense_dims[2] = {3, 4};
    Onnx__TensorProto values = ONNX__TENSOR_PROTO__INIT, indices = ONNX__TENSOR_PROTO__INIT;
    values.has_data_type = 1;
    values.data_type = OL_FLOAT;
    values.n_dims = 1;
    values.dims = vals_dims;
    values.n_float_data = 2;
    values.float_data = vals;
    indices.has_data_type = 1;
    indices.data_type = OL_INT64;
    indices.n_dims = 1;
    indices.dims = vals_dims;
    indices.n_int64_data = 2;
    indices.int64_data = idx;
    Onnx__SparseTensorProto sparse = ONNX__SPARSE_TENSOR_PROTO__INIT;
    sparse.values = &values;
    sparse.indices = &indices;
    sparse.n_dims = 2;
    sparse.dims = dense_dims;
    Onnx__AttributeProto a_sparse = ONNX__ATTRIBUTE_PROTO__INIT;
    a_sparse.name = "sparse_value";
    a_sparse.has_type = 1;
    a_sparse.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
    a_sparse.sparse_tensor = &sparse;
    Onnx__AttributeProto *sparse_attrs[] = {&a_sparse};
    char *sparse_out[] = {"dense"};
    Onnx__NodeProto n_sparse = ONNX__NODE_PROTO__INIT;
    n_sparse.name = "sparse";
    n_sparse.op_type = "Constant";
    n_sparse.n_output = 1;
    n_sparse.output = sparse_out;
    n_sparse.n_attribute = 1;
    n_sparse.attribute = sparse_attrs;

    Onnx__ValueInfoProto o1 = ONNX__VALUE_INFO_PROTO__INIT, o2 = ONNX__VALUE_INFO_PROTO__INIT;
    o1.name = "strings";
    o2.name = "dense";
    Onnx__ValueInfoProto *outputs[] = {&o1, &o2};
    Onnx__NodeProto *nodes[] = {&n_strs, &n_sparse};
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    graph.name = "g";
    graph.n_node = 2;
    graph.node = nodes;
    graph.n_output = 2;
    graph.output = outputs;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.domain = "";
    opset.has_version = 1;
    opset.version = 13;
    Onnx__OperatorSetIdProto *opsets[] = {&opset};
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    model.has_ir_version = 1;
    model.ir_version = 8;
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.graph = &graph;

    size_t size = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = malloc(size);
    cr_assert(buf);
    onnx__model_proto__pack(&model, buf);
    ol_model *m = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_model_read_buffer(buf, size, NULL, &m, &err), OL_OK, "%s", err.message);
    free(buf);
    sg_infer_ok(m);
    sg_assert_type(m->graph->outputs[0], "string[3]");
    sg_assert_type(m->graph->outputs[1], "float32[3,4]");
    ol_model_destroy(m);
}

Test(shape_constant_of_shape, from_constant_and_computed_shapes)
{
    ol_model *m = sg_model(13);
    ol_value *shape = sg_ints(m->graph, "shape", 1, SG_INTS(2, 3));
    ol_node *zeros = sg_node(m->graph, "ConstantOfShape", "zeros", SG_VALUES(shape), 1);
    ol_node *ones = sg_node(m->graph, "ConstantOfShape", "ones", SG_VALUES(shape), 1);
    ol_tensor *one = ol_tensor_create(OL_INT64, 1, (const int64_t[]){1}, &irb_err);
    cr_assert(one);
    cr_assert_eq(ol_node_set_attr_tensor(ones, "value", one, &irb_err), OL_OK);
    ol_value *computed = sg_input(m->graph, "computed", OL_INT64, "3");
    ol_node *unk = sg_node(m->graph, "ConstantOfShape", "unk", SG_VALUES(computed), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(zeros, 0), "float32[2,3]");
    sg_assert_type(sg_out(ones, 0), "int64[2,3]");
    sg_assert_type(sg_out(unk, 0), "float32[?,?,?]");
    ol_model_destroy(m);

    m = sg_model(13);
    shape = sg_ints(m->graph, "shape", 1, SG_INTS(2, -3));
    sg_node(m->graph, "ConstantOfShape", "bad", SG_VALUES(shape), 1);
    sg_assert_contains(sg_infer_fails(m), "shape has negative value -3");
    ol_model_destroy(m);
}

Test(shape_range, integer_float_and_symbolic_limits)
{
    ol_model *m = sg_model(13);
    ol_value *start = sg_ints(m->graph, "start", 0, SG_INTS(10));
    ol_value *limit = sg_ints(m->graph, "limit", 0, SG_INTS(1));
    ol_value *delta = sg_ints(m->graph, "delta", 0, SG_INTS(-3));
    ol_node *down = sg_node(m->graph, "Range", "down", SG_VALUES(start, limit, delta), 1);
    ol_node *empty = sg_node(m->graph, "Range", "empty", SG_VALUES(limit, start, delta), 1);
    ol_value *fs = sg_floats(m->graph, "fs", 1, (const float[]){0.5f});
    ol_value *fl = sg_floats(m->graph, "fl", 1, (const float[]){3.0f});
    ol_value *fd = sg_floats(m->graph, "fd", 1, (const float[]){1.0f});
    ol_node *fr = sg_node(m->graph, "Range", "fr", SG_VALUES(fs, fl, fd), 1);
    /* arange(seq): the limit comes from a symbolic dim */
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq");
    ol_node *shape = sg_node(m->graph, "Shape", "shape", SG_VALUES(x), 1);
    ol_value *one = sg_ints(m->graph, "one", 0, SG_INTS(1));
    ol_value *zero = sg_ints(m->graph, "zero", 0, SG_INTS(0));
    ol_node *seq = sg_node(m->graph, "Gather", "seq", SG_VALUES(sg_out(shape, 0), one), 1);
    ol_node *pos = sg_node(m->graph, "Range", "pos", SG_VALUES(zero, sg_out(seq, 0), one), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(down, 0), "int64[3]");
    sg_assert_type(sg_out(empty, 0), "int64[0]");
    sg_assert_type(sg_out(fr, 0), "float32[3]");
    sg_assert_type(sg_out(pos, 0), "int64[seq]");
    ol_model_destroy(m);

    m = sg_model(13);
    start = sg_ints(m->graph, "start", 0, SG_INTS(0));
    delta = sg_ints(m->graph, "delta", 0, SG_INTS(0));
    sg_node(m->graph, "Range", "r", SG_VALUES(start, start, delta), 1);
    sg_assert_contains(sg_infer_fails(m), "delta must not be 0");
    ol_model_destroy(m);
}

Test(shape_cast, cast_castlike_identity)
{
    ol_model *m = sg_model(19);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3");
    ol_value *like = sg_input(m->graph, "like", OL_FLOAT16, "1");
    ol_node *cast = sg_node(m->graph, "Cast", "cast", SG_VALUES(x), 1);
    sg_attr_int(cast, "to", OL_INT32);
    ol_node *cl = sg_node(m->graph, "CastLike", "castlike", SG_VALUES(x, like), 1);
    ol_node *id = sg_node(m->graph, "Identity", "id", SG_VALUES(cast->outputs[0]), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(cast, 0), "int32[batch,3]");
    sg_assert_type(sg_out(cl, 0), "float16[batch,3]");
    sg_assert_type(sg_out(id, 0), "int32[batch,3]");
    ol_model_destroy(m);

    m = sg_model(19);
    x = sg_input(m->graph, "x", OL_FLOAT, "2");
    cast = sg_node(m->graph, "Cast", "cast", SG_VALUES(x), 1);
    sg_attr_int(cast, "to", 99);
    sg_assert_contains(sg_infer_fails(m), "attribute 'to' = 99 is not a data type");
    ol_model_destroy(m);
}

Test(shape_dropout, mask_type_depends_on_opset)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,8");
    ol_node *d = sg_node(m->graph, "Dropout", "drop", SG_VALUES(x), 2);
    sg_infer_ok(m);
    sg_assert_type(sg_out(d, 0), "float32[batch,8]");
    sg_assert_type(sg_out(d, 1), "bool[batch,8]");
    ol_model_destroy(m);

    m = sg_model(7);
    x = sg_input(m->graph, "x", OL_FLOAT, "batch,8");
    d = sg_node(m->graph, "Dropout", "drop", SG_VALUES(x), 2);
    sg_infer_ok(m);
    sg_assert_type(sg_out(d, 1), "float32[batch,8]");
    ol_model_destroy(m);
}

Test(shape_generators, eye_like_and_random)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4,n");
    ol_node *eye = sg_node(m->graph, "EyeLike", "eye", SG_VALUES(x), 1);
    sg_attr_int(eye, "dtype", OL_INT32);
    ol_node *rl = sg_node(m->graph, "RandomNormalLike", "rl", SG_VALUES(x), 1);
    ol_node *ru = sg_node(m->graph, "RandomUniform", "ru", 0, NULL, 1);
    sg_attr_ints(ru, "shape", SG_INTS(2, 5));
    sg_attr_int(ru, "dtype", OL_DOUBLE);
    sg_infer_ok(m);
    sg_assert_type(sg_out(eye, 0), "int32[4,n]");
    sg_assert_type(sg_out(rl, 0), "float32[4,n]");
    sg_assert_type(sg_out(ru, 0), "float64[2,5]");
    ol_model_destroy(m);
}

Test(shape_cast, opset_1_names_the_target_type)
{
    ol_model *m = sg_model(1);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2");
    ol_node *cast = sg_node(m->graph, "Cast", "cast", SG_VALUES(x), 1);
    sg_attr_string(cast, "to", "INT64");
    sg_infer_ok(m);
    sg_assert_type(sg_out(cast, 0), "int64[2]");
    ol_model_destroy(m);

    m = sg_model(1);
    x = sg_input(m->graph, "x", OL_FLOAT, "2");
    cast = sg_node(m->graph, "Cast", "cast", SG_VALUES(x), 1);
    sg_attr_string(cast, "to", "REAL");
    sg_assert_contains(sg_infer_fails(m), "attribute 'to' = 'REAL' is not a data type name");
    ol_model_destroy(m);
}
