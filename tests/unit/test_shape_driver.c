/* The inference driver: how inferred types merge with declared ones, unknown ops, overflow and
 * malformed attributes. */
#include "test_shape_graph.h"

static void declare(ol_value *v, ol_dtype elem, const char *shape)
{
    ol_type t;
    sg_parse_type(&t, elem, shape);
    cr_assert_eq(ol_type_copy(&v->type, &t), 0);
    ol_type_clear(&t);
}

Test(shape_driver, declared_output_contradiction_names_node_and_value)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    ol_node *add = sg_node(m->graph, "Add", "add", SG_VALUES(a, a), 1);
    irb_output(m->graph, sg_out(add, 0));
    declare(sg_out(add, 0), OL_FLOAT, "2,4");
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'add' (Add)");
    sg_assert_contains(msg, "value 'add:0' declares dim 1 as 4 but inference gives 3");
    ol_model_destroy(m);

    m = sg_model(17);
    a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    add = sg_node(m->graph, "Add", "add", SG_VALUES(a, a), 1);
    declare(sg_out(add, 0), OL_INT64, NULL);
    sg_assert_contains(sg_infer_fails(m), "value 'add:0' is declared int64 but inference gives float32");
    ol_model_destroy(m);

    m = sg_model(17);
    a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    add = sg_node(m->graph, "Add", "add", SG_VALUES(a, a), 1);
    declare(sg_out(add, 0), OL_FLOAT, "6");
    sg_assert_contains(sg_infer_fails(m), "declared with rank 1 but inference gives rank 2");
    ol_model_destroy(m);
}

Test(shape_driver, graph_outputs_keep_declared_types_and_untyped_ones_are_filled)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    ol_node *declared = sg_node(m->graph, "Relu", "declared", SG_VALUES(a), 1);
    ol_node *untyped = sg_node(m->graph, "Relu", "untyped", SG_VALUES(a), 1);
    irb_output(m->graph, sg_out(declared, 0));
    irb_output(m->graph, sg_out(untyped, 0));
    declare(sg_out(declared, 0), OL_FLOAT, "N,?");
    sg_infer_ok(m);
    sg_assert_type(sg_out(declared, 0), "float32[N,?]");
    sg_assert_type(sg_out(untyped, 0), "float32[2,3]");
    ol_model_destroy(m);
}

Test(shape_driver, intermediate_types_are_refined_not_overridden)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2,batch");
    ol_node *r1 = sg_node(m->graph, "Relu", "r1", SG_VALUES(a), 1);
    ol_node *r2 = sg_node(m->graph, "Relu", "r2", SG_VALUES(a), 1);
    ol_node *r3 = sg_node(m->graph, "Relu", "r3", SG_VALUES(a), 1);
    declare(sg_out(r1, 0), OL_UNDEFINED, "?,?");  /* less precise: refined */
    declare(sg_out(r2, 0), OL_FLOAT, "N,M");      /* symbols: numbers win, other names stay */
    declare(sg_out(r3, 0), OL_FLOAT, NULL);       /* unknown rank: filled */
    sg_infer_ok(m);
    sg_assert_type(sg_out(r1, 0), "float32[2,batch]");
    sg_assert_type(sg_out(r2, 0), "float32[2,M]");
    sg_assert_type(sg_out(r3, 0), "float32[2,batch]");
    ol_model_destroy(m);
}

Test(shape_driver, unknown_ops_leave_outputs_unknown)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    ol_node *custom = ol_graph_add_node(m->graph, "FusedGelu", "com.example", "custom", &irb_err);
    cr_assert(custom);
    cr_assert_eq(ol_node_add_input(custom, a, &irb_err), OL_OK);
    cr_assert(ol_node_new_output(custom, "custom:0", &irb_err));
    ol_node *after = sg_node(m->graph, "Relu", "after", SG_VALUES(sg_out(custom, 0)), 1);
    ol_node *made_up = sg_node(m->graph, "NotAnOnnxOp", "made_up", SG_VALUES(a), 2);
    /* A default-domain Relu in a foreign domain is not ONNX's Relu. */
    ol_node *foreign = ol_graph_add_node(m->graph, "Relu", "com.example", "foreign", &irb_err);
    cr_assert_eq(ol_node_add_input(foreign, a, &irb_err), OL_OK);
    cr_assert(ol_node_new_output(foreign, "foreign:0", &irb_err));
    sg_infer_ok(m);
    sg_assert_type(sg_out(custom, 0), "?");
    sg_assert_type(sg_out(after, 0), "?");
    sg_assert_type(sg_out(made_up, 1), "?");
    sg_assert_type(sg_out(foreign, 0), "?");
    ol_model_destroy(m);
}

Test(shape_driver, opset_is_read_per_node)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,4");
    ol_node *s = sg_node(m->graph, "Squeeze", "squeeze", SG_VALUES(x), 1);
    sg_attr_ints(s, "axes", SG_INTS(0));
    s->opset = 13;  /* as if the node had been resolved against a newer import */
    sg_assert_contains(sg_infer_fails(m), "opset 13");
    ol_model_destroy(m);
}

Test(shape_driver, dimension_overflow_is_an_error_naming_the_node)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4611686018427387904,2");
    ol_value *reps = sg_ints(m->graph, "reps", 1, SG_INTS(4, 1));
    sg_node(m->graph, "Tile", "big_tile", SG_VALUES(x, reps), 1);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'big_tile' (Tile)");
    sg_assert_contains(msg, "overflows int64");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "9223372036854775807");
    ol_node *cat = sg_node(m->graph, "Concat", "big_cat", SG_VALUES(x, x), 1);
    sg_attr_int(cat, "axis", 0);
    sg_assert_contains(sg_infer_fails(m), "node 'big_cat' (Concat): dimension arithmetic overflows");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "3037000500,3037000500");
    ol_value *flat = sg_ints(m->graph, "flat", 1, SG_INTS(-1));
    sg_node(m->graph, "Reshape", "big_flat", SG_VALUES(x, flat), 1);
    sg_assert_contains(sg_infer_fails(m), "node 'big_flat' (Reshape): dimension arithmetic overflows");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "1,1,4611686018427387904");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "1,1,2");
    ol_node *up = sg_node(m->graph, "ConvTranspose", "big_up", SG_VALUES(x, w), 1);
    sg_attr_ints(up, "strides", SG_INTS(4));
    sg_assert_contains(sg_infer_fails(m), "node 'big_up' (ConvTranspose): dimension arithmetic overflows");
    ol_model_destroy(m);
}

Test(shape_driver, malformed_attributes_are_errors_not_crashes)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_node *t = sg_node(m->graph, "Transpose", "t", SG_VALUES(x), 1);
    cr_assert_eq(ol_node_set_attr_floats(t, "perm", (const float[]){1, 0}, 2, &irb_err), OL_OK);
    sg_assert_contains(sg_infer_fails(m), "node 't' (Transpose): attribute 'perm' must be ints, not floats");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_node *g = sg_node(m->graph, "Gather", "g", SG_VALUES(x, sg_ints(m->graph, "i", 0, SG_INTS(0))), 1);
    sg_attr_int(g, "axis", -3);
    sg_assert_contains(sg_infer_fails(m), "node 'g' (Gather): axis -3 is out of range for rank 2");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_node *c = sg_node(m->graph, "Concat", "c", SG_VALUES(x, x), 1);
    sg_attr_string(c, "axis", "0");
    sg_assert_contains(sg_infer_fails(m), "node 'c' (Concat): attribute 'axis' must be int, not string");
    ol_model_destroy(m);

    m = sg_model(13);
    sg_node(m->graph, "Relu", "r", 0, NULL, 1);
    sg_assert_contains(sg_infer_fails(m), "node 'r' (Relu): required input 0 is missing");
    ol_model_destroy(m);
}

Test(shape_driver, unnamed_nodes_are_named_by_their_output)
{
    ol_model *m = sg_model(13);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "3");
    IRB_NODE(m->graph, "Add", NULL, "sum", a, b);
    sg_assert_contains(sg_infer_fails(m), "node 'sum' (Add)");
    ol_model_destroy(m);
}

Test(shape_driver, inference_is_idempotent)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,8,8");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "4,3,3,3");
    ol_node *conv = sg_node(m->graph, "Conv", "conv", SG_VALUES(x, w), 1);
    ol_node *flat = sg_node(m->graph, "Flatten", "flat", SG_VALUES(sg_out(conv, 0)), 1);
    sg_infer_ok(m);
    sg_infer_ok(m);
    sg_assert_type(sg_out(flat, 0), "float32[batch,144]");
    ol_model_destroy(m);
}
