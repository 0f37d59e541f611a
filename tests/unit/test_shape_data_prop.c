/* Data propagation: the shape computations that PyTorch exports put in front of Reshape, Expand,
 * ConstantOfShape, Resize and Tile get static or symbolic results although no shape is constant. */
#include "test_shape_graph.h"

/* Scalar element `index` of shape(x), as Shape -> Gather produce it. */
static ol_value *dim_of_shape(ol_model *m, ol_value *shape, int64_t index, const char *name)
{
    char idx_name[64];
    snprintf(idx_name, sizeof idx_name, "%s_index", name);
    ol_value *idx = sg_ints(m->graph, idx_name, 0, 1, &index);
    return sg_out(sg_node(m->graph, "Gather", name, SG_VALUES(shape, idx), 1), 0);
}

static ol_value *unsqueeze0(ol_model *m, ol_value *scalar, const char *name)
{
    char axes_name[64];
    snprintf(axes_name, sizeof axes_name, "%s_axes", name);
    ol_value *axes = sg_ints(m->graph, axes_name, 1, SG_INTS(0));
    return sg_out(sg_node(m->graph, "Unsqueeze", name, SG_VALUES(scalar, axes), 1), 0);
}

Test(shape_data_prop, shape_gather_unsqueeze_concat_reshape)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq,12,64");
    ol_value *shape = sg_out(sg_node(m->graph, "Shape", "shape", SG_VALUES(x), 1), 0);
    ol_value *b = unsqueeze0(m, dim_of_shape(m, shape, 0, "b"), "ub");
    ol_value *s = unsqueeze0(m, dim_of_shape(m, shape, 1, "s"), "us");
    ol_value *hidden = sg_ints(m->graph, "hidden", 1, SG_INTS(768));
    ol_value *minus1 = sg_ints(m->graph, "minus1", 1, SG_INTS(-1));
    ol_node *target = sg_node(m->graph, "Concat", "target", SG_VALUES(b, s, hidden), 1);
    sg_attr_int(target, "axis", 0);
    ol_node *merged = sg_node(m->graph, "Reshape", "merged", SG_VALUES(x, sg_out(target, 0)), 1);
    /* view(b, -1, 768): the -1 is seq, found by cancelling batch on both sides */
    ol_node *target2 = sg_node(m->graph, "Concat", "target2", SG_VALUES(b, minus1, hidden), 1);
    sg_attr_int(target2, "axis", 0);
    ol_node *merged2 = sg_node(m->graph, "Reshape", "merged2", SG_VALUES(x, sg_out(target2, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(shape, "int64[4]");
    sg_assert_type(b, "int64[1]");
    sg_assert_type(sg_out(target, 0), "int64[3]");
    sg_assert_type(sg_out(merged, 0), "float32[batch,seq,768]");
    sg_assert_type(sg_out(merged2, 0), "float32[batch,seq,768]");
    ol_model_destroy(m);
}

Test(shape_data_prop, shape_slice_concat_is_torch_flatten)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,16,7,7");
    ol_value *shape = sg_out(sg_node(m->graph, "Shape", "shape", SG_VALUES(x), 1), 0);
    ol_value *starts = sg_ints(m->graph, "starts", 1, SG_INTS(0));
    ol_value *ends = sg_ints(m->graph, "ends", 1, SG_INTS(1));
    ol_node *lead = sg_node(m->graph, "Slice", "lead", SG_VALUES(shape, starts, ends), 1);
    ol_value *minus1 = sg_ints(m->graph, "minus1", 1, SG_INTS(-1));
    ol_node *target = sg_node(m->graph, "Concat", "target", SG_VALUES(sg_out(lead, 0), minus1), 1);
    sg_attr_int(target, "axis", 0);
    ol_node *flat = sg_node(m->graph, "Reshape", "flat", SG_VALUES(x, sg_out(target, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(lead, 0), "int64[1]");
    sg_assert_type(sg_out(flat, 0), "float32[batch,784]");
    ol_model_destroy(m);
}

Test(shape_data_prop, arithmetic_and_casts_on_shape_values)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,14,10");
    ol_value *shape = sg_out(sg_node(m->graph, "Shape", "shape", SG_VALUES(x), 1), 0);
    ol_value *s0 = sg_ints(m->graph, "s0", 1, SG_INTS(0));
    ol_value *s2 = sg_ints(m->graph, "s2", 1, SG_INTS(2));
    ol_value *s4 = sg_ints(m->graph, "s4", 1, SG_INTS(4));
    ol_node *nc = sg_node(m->graph, "Slice", "nc", SG_VALUES(shape, s0, s2), 1);
    ol_node *hw = sg_node(m->graph, "Slice", "hw", SG_VALUES(shape, s2, s4), 1);
    /* hw * 3 / 2 through float-free integer ops, with a detour through int32 */
    ol_value *three = sg_ints(m->graph, "three", 0, SG_INTS(3));
    ol_value *two = sg_ints(m->graph, "two", 0, SG_INTS(2));
    ol_node *mul = sg_node(m->graph, "Mul", "mul", SG_VALUES(sg_out(hw, 0), three), 1);
    ol_node *div = sg_node(m->graph, "Div", "div", SG_VALUES(sg_out(mul, 0), two), 1);
    ol_node *to32 = sg_node(m->graph, "Cast", "to32", SG_VALUES(sg_out(div, 0)), 1);
    sg_attr_int(to32, "to", OL_INT32);
    ol_node *to64 = sg_node(m->graph, "Cast", "to64", SG_VALUES(sg_out(to32, 0)), 1);
    sg_attr_int(to64, "to", OL_INT64);
    ol_node *sizes = sg_node(m->graph, "Concat", "sizes", SG_VALUES(sg_out(nc, 0), sg_out(to64, 0)), 1);
    sg_attr_int(sizes, "axis", 0);
    ol_node *resize = sg_node(m->graph, "Resize", "resize", SG_VALUES(x, NULL, NULL, sg_out(sizes, 0)), 1);
    /* batch * 2 is not a known dim: the result keeps the rank but not the value */
    ol_node *dbl = sg_node(m->graph, "Mul", "dbl", SG_VALUES(sg_out(nc, 0), two), 1);
    ol_node *cos = sg_node(m->graph, "ConstantOfShape", "cos", SG_VALUES(sg_out(dbl, 0)), 1);
    ol_value *zero = sg_ints(m->graph, "z", 0, SG_INTS(0));
    ol_node *add0 = sg_node(m->graph, "Add", "add0", SG_VALUES(sg_out(nc, 0), zero), 1);
    ol_node *cos2 = sg_node(m->graph, "ConstantOfShape", "cos2", SG_VALUES(sg_out(add0, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(resize, 0), "float32[batch,3,21,15]");
    sg_assert_type(sg_out(cos, 0), "float32[?,6]");
    sg_assert_type(sg_out(cos2, 0), "float32[batch,3]");
    ol_model_destroy(m);
}

/* torch's expand(-1, 4): ConstantOfShape(Shape(shape)) of ones, * -1, Equal, Where. */
Test(shape_data_prop, torch_expand_idiom)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,1");
    ol_value *shape = sg_out(sg_node(m->graph, "Shape", "shape", SG_VALUES(x), 1), 0);
    ol_value *b = unsqueeze0(m, dim_of_shape(m, shape, 0, "b"), "ub");
    ol_value *four = sg_ints(m->graph, "four", 1, SG_INTS(4));
    ol_node *target = sg_node(m->graph, "Concat", "target", SG_VALUES(b, four), 1);
    sg_attr_int(target, "axis", 0);
    ol_node *rank = sg_node(m->graph, "Shape", "rank", SG_VALUES(sg_out(target, 0)), 1);
    ol_node *ones = sg_node(m->graph, "ConstantOfShape", "ones", SG_VALUES(sg_out(rank, 0)), 1);
    ol_tensor *one = ol_tensor_create(OL_INT64, 1, (const int64_t[]){1}, &irb_err);
    memcpy(ol_tensor_mutable_data(one, &irb_err), &(int64_t){1}, 8);
    cr_assert_eq(ol_node_set_attr_tensor(ones, "value", one, &irb_err), OL_OK);
    ol_value *neg = sg_ints(m->graph, "neg", 0, SG_INTS(-1));
    ol_node *minus = sg_node(m->graph, "Mul", "minus", SG_VALUES(sg_out(ones, 0), neg), 1);
    ol_node *eq = sg_node(m->graph, "Equal", "eq", SG_VALUES(sg_out(target, 0), sg_out(minus, 0)), 1);
    ol_node *where = sg_node(m->graph, "Where", "where",
                             SG_VALUES(sg_out(eq, 0), sg_out(ones, 0), sg_out(target, 0)), 1);
    ol_node *expand = sg_node(m->graph, "Expand", "expand", SG_VALUES(x, sg_out(where, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(eq, 0), "bool[2]");
    sg_assert_type(sg_out(expand, 0), "float32[batch,4]");
    ol_model_destroy(m);
}

Test(shape_data_prop, tile_size_reduce_prod_and_squeeze)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,2,3");
    ol_value *y = sg_input(m->graph, "y", OL_FLOAT, "4,5");
    ol_value *yshape = sg_out(sg_node(m->graph, "Shape", "yshape", SG_VALUES(y), 1), 0);
    ol_value *one = sg_ints(m->graph, "one", 1, SG_INTS(1));
    ol_node *reps = sg_node(m->graph, "Concat", "reps", SG_VALUES(one, yshape), 1);
    sg_attr_int(reps, "axis", 0);
    ol_node *tile = sg_node(m->graph, "Tile", "tile", SG_VALUES(x, sg_out(reps, 0)), 1);
    /* numel via ReduceProd(Shape) and via Size, as a Reshape target */
    ol_node *numel = sg_node(m->graph, "ReduceProd", "numel", SG_VALUES(yshape), 1);
    ol_node *flat = sg_node(m->graph, "Reshape", "flat", SG_VALUES(y, sg_out(numel, 0)), 1);
    ol_node *size = sg_node(m->graph, "Size", "size", SG_VALUES(y), 1);
    ol_node *size1 = sg_node(m->graph, "Unsqueeze", "size1",
                             SG_VALUES(sg_out(size, 0), sg_ints(m->graph, "ax", 1, SG_INTS(0))), 1);
    ol_node *flat2 = sg_node(m->graph, "Reshape", "flat2", SG_VALUES(y, sg_out(size1, 0)), 1);
    ol_value *ax0 = sg_ints(m->graph, "ax0", 1, SG_INTS(0));
    ol_node *sq = sg_node(m->graph, "Squeeze", "sq", SG_VALUES(sg_out(size1, 0), ax0), 1);
    ol_node *range = sg_node(m->graph, "Range",
                             "range", SG_VALUES(sg_ints(m->graph, "zero", 0, SG_INTS(0)), sg_out(sq, 0),
                                                sg_ints(m->graph, "step", 0, SG_INTS(5))), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(tile, 0), "float32[batch,8,15]");
    sg_assert_type(sg_out(flat, 0), "float32[20]");
    sg_assert_type(sg_out(flat2, 0), "float32[20]");
    sg_assert_type(sg_out(range, 0), "int64[4]");
    ol_model_destroy(m);
}

Test(shape_data_prop, unknown_dims_stay_unknown)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "?,8");
    ol_value *shape = sg_out(sg_node(m->graph, "Shape", "shape", SG_VALUES(x), 1), 0);
    ol_value *d0 = unsqueeze0(m, dim_of_shape(m, shape, 0, "d0"), "u0");
    ol_value *d1 = unsqueeze0(m, dim_of_shape(m, shape, 1, "d1"), "u1");
    ol_node *target = sg_node(m->graph, "Concat", "target", SG_VALUES(d1, d0), 1);
    sg_attr_int(target, "axis", 0);
    ol_node *r = sg_node(m->graph, "Reshape", "r", SG_VALUES(x, sg_out(target, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(r, 0), "float32[8,?]");
    ol_model_destroy(m);
}

/* Exported attention blocks assemble a shape from known dims and a computed one, and choose with
 * And/Where on head counts: what is known survives next to what is not. */
Test(shape_data_prop, partly_known_shapes_and_boolean_logic)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,1,1,8");
    ol_value *z = sg_input(m->graph, "z", OL_FLOAT, "3,5,7");
    ol_value *n = sg_input(m->graph, "n", OL_INT64, "1");  /* a run-time value */
    ol_value *shape = sg_out(sg_node(m->graph, "Shape", "shape", SG_VALUES(z), 1), 0);
    ol_value *lead = sg_out(sg_node(m->graph, "Slice", "lead",
                                    SG_VALUES(shape, sg_ints(m->graph, "s0", 1, SG_INTS(0)),
                                              sg_ints(m->graph, "s2", 1, SG_INTS(2))), 1), 0);
    ol_value *tail = sg_ints(m->graph, "tail", 1, SG_INTS(8));
    ol_node *target = sg_node(m->graph, "Concat", "target", SG_VALUES(lead, n, tail), 1);
    sg_attr_int(target, "axis", 0);
    ol_node *expand = sg_node(m->graph, "Expand", "expand", SG_VALUES(x, sg_out(target, 0)), 1);
    /* (2 != 2) and (2 % 2 == 0) is false, so Where picks the known 1 */
    ol_value *heads = sg_ints(m->graph, "heads", 1, SG_INTS(2));
    ol_value *zero = sg_ints(m->graph, "zero", 1, SG_INTS(0));
    ol_value *one = sg_ints(m->graph, "one", 1, SG_INTS(1));
    ol_node *same = sg_node(m->graph, "Equal", "same", SG_VALUES(heads, heads), 1);
    ol_node *differ = sg_node(m->graph, "Not", "differ", SG_VALUES(sg_out(same, 0)), 1);
    ol_node *rem = sg_node(m->graph, "Mod", "rem", SG_VALUES(heads, heads), 1);
    ol_node *divisible = sg_node(m->graph, "Equal", "divisible", SG_VALUES(sg_out(rem, 0), zero), 1);
    ol_node *gqa = sg_node(m->graph, "And", "gqa", SG_VALUES(sg_out(differ, 0), sg_out(divisible, 0)), 1);
    ol_node *rep = sg_node(m->graph, "Where", "rep", SG_VALUES(sg_out(gqa, 0), n, one), 1);
    ol_node *target2 = sg_node(m->graph, "Concat", "target2", SG_VALUES(lead, sg_out(rep, 0), tail), 1);
    sg_attr_int(target2, "axis", 0);
    ol_node *expand2 = sg_node(m->graph, "Expand", "expand2", SG_VALUES(x, sg_out(target2, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(expand, 0), "float32[3,5,?,8]");
    sg_assert_type(sg_out(expand2, 0), "float32[3,5,1,8]");
    ol_model_destroy(m);
}
