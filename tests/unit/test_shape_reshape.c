/* Shape inference of Reshape, Flatten, Squeeze/Unsqueeze (attribute vs input by opset), Expand and
 * Tile. */
#include "test_shape_graph.h"

static ol_node *reshape(ol_model *m, const char *x_shape, size_t n, const int64_t *target)
{
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, x_shape);
    ol_value *shape = sg_ints(m->graph, "target", 1, n, target);
    return sg_node(m->graph, "Reshape", "reshape", SG_VALUES(x, shape), 1);
}

static const char *reshape_type(const char *x_shape, size_t n, const int64_t *target)
{
    static char result[256];
    ol_model *m = sg_model(17);
    ol_node *r = reshape(m, x_shape, n, target);
    sg_infer_ok(m);
    snprintf(result, sizeof result, "%s", sg_type(sg_out(r, 0)));
    ol_model_destroy(m);
    return result;
}

Test(shape_reshape, zero_copies_and_minus_one_infers)
{
    cr_assert_str_eq(reshape_type("2,3,4", SG_INTS(6, -1)), "float32[6,4]");
    cr_assert_str_eq(reshape_type("2,3,4", SG_INTS(0, -1)), "float32[2,12]");
    cr_assert_str_eq(reshape_type("batch,seq,768", SG_INTS(0, 0, 12, 64)), "float32[batch,seq,12,64]");
    /* symbols cancel: [batch, seq, 12, 64] -> [batch, seq, -1] */
    cr_assert_str_eq(reshape_type("batch,seq,12,64", SG_INTS(0, 0, -1)), "float32[batch,seq,768]");
    /* the only symbol left over is the answer */
    cr_assert_str_eq(reshape_type("batch,4,5", SG_INTS(-1, 20)), "float32[batch,20]");
    cr_assert_str_eq(reshape_type("batch,seq,8", SG_INTS(-1, 8)), "float32[?,8]");
    cr_assert_str_eq(reshape_type("?,3,4", SG_INTS(-1, 12)), "float32[?,12]");
    cr_assert_str_eq(reshape_type("2,3", SG_INTS(6)), "float32[6]");
}

Test(shape_reshape, allowzero_keeps_literal_zero)
{
    ol_model *m = sg_model(14);
    ol_node *r = reshape(m, "0,4", SG_INTS(0, 4));
    sg_attr_int(r, "allowzero", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(r, 0), "float32[0,4]");
    ol_model_destroy(m);

    m = sg_model(14);
    r = reshape(m, "0,4", SG_INTS(0, -1));
    sg_attr_int(r, "allowzero", 1);
    sg_assert_contains(sg_infer_fails(m), "both 0 and -1");
    ol_model_destroy(m);
}

Test(shape_reshape, element_count_mismatch_is_an_error)
{
    ol_model *m = sg_model(17);
    reshape(m, "2,3,4", SG_INTS(5, 5));
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'reshape' (Reshape)");
    sg_assert_contains(msg, "24 elements");
    ol_model_destroy(m);

    m = sg_model(17);
    reshape(m, "batch,10", SG_INTS(0, 7));
    sg_assert_contains(sg_infer_fails(m), "input has 10 elements (besides common symbols)");
    ol_model_destroy(m);

    m = sg_model(17);
    reshape(m, "2,3,4", SG_INTS(-1, 5));
    sg_assert_contains(sg_infer_fails(m), "cannot reshape 24 elements");
    ol_model_destroy(m);

    m = sg_model(17);
    reshape(m, "2,3,4", SG_INTS(-1, -1));
    sg_assert_contains(sg_infer_fails(m), "more than one -1");
    ol_model_destroy(m);
}

Test(shape_reshape, computed_target_of_known_length_gives_rank)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3,4");
    ol_value *shape = sg_input(m->graph, "shape", OL_INT64, "3");
    ol_node *r = sg_node(m->graph, "Reshape", "reshape", SG_VALUES(x, shape), 1);
    ol_value *any = sg_input(m->graph, "any", OL_INT64, "?");
    ol_node *r2 = sg_node(m->graph, "Reshape", "reshape2", SG_VALUES(x, any), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(r, 0), "float32[?,?,?]");
    sg_assert_type(sg_out(r2, 0), "float32[*]");
    ol_model_destroy(m);
}

Test(shape_reshape, opset_1_takes_the_shape_attribute)
{
    ol_model *m = sg_model(1);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3,4");
    ol_node *r = sg_node(m->graph, "Reshape", "reshape", SG_VALUES(x), 1);
    sg_attr_ints(r, "shape", SG_INTS(4, -1));
    sg_infer_ok(m);
    sg_assert_type(sg_out(r, 0), "float32[4,6]");
    ol_model_destroy(m);
}

Test(shape_flatten, axes_and_symbols)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,512,1,1");
    ol_node *f1 = sg_node(m->graph, "Flatten", "f1", SG_VALUES(x), 1);
    ol_node *f0 = sg_node(m->graph, "Flatten", "f0", SG_VALUES(x), 1);
    sg_attr_int(f0, "axis", 0);
    ol_node *f4 = sg_node(m->graph, "Flatten", "f4", SG_VALUES(x), 1);
    sg_attr_int(f4, "axis", -1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(f1, 0), "float32[batch,512]");
    sg_assert_type(sg_out(f0, 0), "float32[1,?]");
    sg_assert_type(sg_out(f4, 0), "float32[?,1]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_node *bad = sg_node(m->graph, "Flatten", "f", SG_VALUES(x), 1);
    sg_attr_int(bad, "axis", 3);
    sg_assert_contains(sg_infer_fails(m), "axis 3 is out of range for rank 2");
    ol_model_destroy(m);
}

Test(shape_squeeze, opset_11_uses_the_attribute)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,batch,1,4");
    ol_node *s = sg_node(m->graph, "Squeeze", "squeeze", SG_VALUES(x), 1);
    sg_attr_ints(s, "axes", SG_INTS(0, -2));
    ol_node *u = sg_node(m->graph, "Unsqueeze", "unsqueeze", SG_VALUES(sg_out(s, 0)), 1);
    sg_attr_ints(u, "axes", SG_INTS(0, 3));
    sg_infer_ok(m);
    sg_assert_type(sg_out(s, 0), "float32[batch,4]");
    sg_assert_type(sg_out(u, 0), "float32[1,batch,4,1]");
    ol_model_destroy(m);

    /* An axes input means a newer opset than the model declares. */
    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "1,4");
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(0));
    sg_node(m->graph, "Squeeze", "squeeze", SG_VALUES(x, axes), 1);
    sg_assert_contains(sg_infer_fails(m), "takes axes as an attribute before opset 13");
    ol_model_destroy(m);
}

Test(shape_squeeze, opset_13_uses_the_input)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,batch,1,4");
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(0, 2));
    ol_node *s = sg_node(m->graph, "Squeeze", "squeeze", SG_VALUES(x, axes), 1);
    ol_value *uaxes = sg_ints(m->graph, "uaxes", 1, SG_INTS(-1));
    ol_node *u = sg_node(m->graph, "Unsqueeze", "unsqueeze", SG_VALUES(sg_out(s, 0), uaxes), 1);
    ol_value *y = sg_input(m->graph, "y", OL_FLOAT, "1,3,1");
    ol_node *all = sg_node(m->graph, "Squeeze", "all", SG_VALUES(y), 1);
    ol_node *unknown = sg_node(m->graph, "Squeeze", "unknown", SG_VALUES(x), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(s, 0), "float32[batch,4]");
    sg_assert_type(sg_out(u, 0), "float32[batch,4,1]");
    sg_assert_type(sg_out(all, 0), "float32[3]");
    sg_assert_type(sg_out(unknown, 0), "float32[*]");  /* batch might be 1 */
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "1,4");
    ol_node *s13 = sg_node(m->graph, "Squeeze", "squeeze", SG_VALUES(x), 1);
    sg_attr_ints(s13, "axes", SG_INTS(0));
    sg_assert_contains(sg_infer_fails(m), "takes axes as input 1 from opset 13");
    ol_model_destroy(m);
}

Test(shape_squeeze, bad_axes_are_errors)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,4");
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(0));
    sg_node(m->graph, "Squeeze", "sq", SG_VALUES(x, axes), 1);
    sg_assert_contains(sg_infer_fails(m), "cannot squeeze axis 0 of size 2");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,4");
    axes = sg_ints(m->graph, "axes", 1, SG_INTS(1, -3));  /* -3 + 4 = 1 */
    sg_node(m->graph, "Unsqueeze", "unsq", SG_VALUES(x, axes), 1);
    sg_assert_contains(sg_infer_fails(m), "lists axis -3 twice");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,4");
    axes = sg_ints(m->graph, "axes", 1, SG_INTS(5));
    sg_node(m->graph, "Unsqueeze", "unsq", SG_VALUES(x, axes), 1);
    sg_assert_contains(sg_infer_fails(m), "axes 5 is out of range for rank 3");
    ol_model_destroy(m);
}

Test(shape_expand, broadcasts_to_the_target)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "3,1");
    ol_value *shape = sg_ints(m->graph, "shape", 1, SG_INTS(2, 1, 6));
    ol_node *e = sg_node(m->graph, "Expand", "expand", SG_VALUES(x, shape), 1);
    ol_value *y = sg_input(m->graph, "y", OL_FLOAT, "batch,1");
    ol_value *s2 = sg_ints(m->graph, "s2", 1, SG_INTS(1, 4));
    ol_node *e2 = sg_node(m->graph, "Expand", "expand2", SG_VALUES(y, s2), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(e, 0), "float32[2,3,6]");
    sg_assert_type(sg_out(e2, 0), "float32[batch,4]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "3,2");
    shape = sg_ints(m->graph, "shape", 1, SG_INTS(3, 4));
    sg_node(m->graph, "Expand", "expand", SG_VALUES(x, shape), 1);
    sg_assert_contains(sg_infer_fails(m), "cannot broadcast dimension 2 with 4");
    ol_model_destroy(m);
}

Test(shape_tile, repeats)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,2,3");
    ol_value *rep = sg_ints(m->graph, "rep", 1, SG_INTS(1, 3, 0));
    ol_node *t = sg_node(m->graph, "Tile", "tile", SG_VALUES(x, rep), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(t, 0), "float32[batch,6,0]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    rep = sg_ints(m->graph, "rep", 1, SG_INTS(2));
    sg_node(m->graph, "Tile", "tile", SG_VALUES(x, rep), 1);
    sg_assert_contains(sg_infer_fails(m), "repeats has 1 values for an input of rank 2");
    ol_model_destroy(m);
}
