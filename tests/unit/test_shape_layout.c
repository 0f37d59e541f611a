/* Shape inference of Transpose, Concat, Split, Slice, Pad, DepthToSpace/SpaceToDepth, Shape, Size,
 * including the opset changes of Split (11/13/18), Slice (9/10+) and Pad (2/11/18). */
#include "test_shape_graph.h"

Test(shape_transpose, perm_default_and_errors)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "b,s,h,d");
    ol_node *t = sg_node(m->graph, "Transpose", "t", SG_VALUES(x), 1);
    sg_attr_ints(t, "perm", SG_INTS(0, 2, 1, 3));
    ol_node *rev = sg_node(m->graph, "Transpose", "rev", SG_VALUES(x), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(t, 0), "float32[b,h,s,d]");
    sg_assert_type(sg_out(rev, 0), "float32[d,h,s,b]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    t = sg_node(m->graph, "Transpose", "t", SG_VALUES(x), 1);
    sg_attr_ints(t, "perm", SG_INTS(1, 1));
    sg_assert_contains(sg_infer_fails(m), "perm is not a permutation");
    ol_model_destroy(m);
}

Test(shape_concat, sums_the_axis_and_unifies_the_rest)
{
    ol_model *m = sg_model(13);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "batch,3");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "?,4");
    ol_value *c = sg_input(m->graph, "c", OL_FLOAT, "2,4");
    ol_node *cat = sg_node(m->graph, "Concat", "cat", SG_VALUES(a, b), 1);
    sg_attr_int(cat, "axis", -1);
    ol_node *cat0 = sg_node(m->graph, "Concat", "cat0", SG_VALUES(b, c), 1);
    sg_attr_int(cat0, "axis", 0);
    sg_infer_ok(m);
    sg_assert_type(sg_out(cat, 0), "float32[batch,7]");
    sg_assert_type(sg_out(cat0, 0), "float32[?,4]");
    ol_model_destroy(m);

    m = sg_model(13);
    a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    b = sg_input(m->graph, "b", OL_FLOAT, "3,3");
    cat = sg_node(m->graph, "Concat", "cat", SG_VALUES(a, b), 1);
    sg_attr_int(cat, "axis", 1);
    sg_assert_contains(sg_infer_fails(m), "inputs differ outside the concatenation axis: 2 vs 3");
    ol_model_destroy(m);

    m = sg_model(13);
    a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    sg_node(m->graph, "Concat", "cat", SG_VALUES(a, a), 1);
    sg_assert_contains(sg_infer_fails(m), "attribute 'axis' is required");
    ol_model_destroy(m);
}

Test(shape_split, opset_11_attribute)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "6,batch");
    ol_node *s = sg_node(m->graph, "Split", "split", SG_VALUES(x), 2);
    sg_attr_ints(s, "split", SG_INTS(2, 4));
    ol_node *eq = sg_node(m->graph, "Split", "equal", SG_VALUES(x), 3);
    sg_infer_ok(m);
    sg_assert_type(sg_out(s, 0), "float32[2,batch]");
    sg_assert_type(sg_out(s, 1), "float32[4,batch]");
    sg_assert_type(sg_out(eq, 2), "float32[2,batch]");
    ol_model_destroy(m);

    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "7");
    sg_node(m->graph, "Split", "split", SG_VALUES(x), 2);
    sg_assert_contains(sg_infer_fails(m), "does not split into 2 equal parts");
    ol_model_destroy(m);

    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "6");
    s = sg_node(m->graph, "Split", "split", SG_VALUES(x), 2);
    sg_attr_ints(s, "split", SG_INTS(2, 3));
    sg_assert_contains(sg_infer_fails(m), "split sizes add up to 5 but axis 0 has 6");
    ol_model_destroy(m);
}

Test(shape_split, opset_13_input)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "b,6");
    ol_value *sizes = sg_ints(m->graph, "sizes", 1, SG_INTS(1, 5));
    ol_node *s = sg_node(m->graph, "Split", "split", SG_VALUES(x, sizes), 2);
    sg_attr_int(s, "axis", 1);
    ol_value *computed = sg_input(m->graph, "computed", OL_INT64, "2");
    ol_node *u = sg_node(m->graph, "Split", "unknown_sizes", SG_VALUES(x, computed), 2);
    sg_attr_int(u, "axis", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(s, 0), "float32[b,1]");
    sg_assert_type(sg_out(s, 1), "float32[b,5]");
    sg_assert_type(sg_out(u, 1), "float32[b,?]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "6");
    s = sg_node(m->graph, "Split", "split", SG_VALUES(x), 2);
    sg_attr_ints(s, "split", SG_INTS(3, 3));
    sg_assert_contains(sg_infer_fails(m), "takes 'split' as an input from opset 13");
    ol_model_destroy(m);
}

Test(shape_split, opset_18_num_outputs)
{
    ol_model *m = sg_model(18);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "7,2");
    ol_node *s = sg_node(m->graph, "Split", "split", SG_VALUES(x), 3);
    sg_attr_int(s, "num_outputs", 3);
    sg_infer_ok(m);
    sg_assert_type(sg_out(s, 0), "float32[3,2]");
    sg_assert_type(sg_out(s, 1), "float32[3,2]");
    sg_assert_type(sg_out(s, 2), "float32[1,2]");
    ol_model_destroy(m);

    m = sg_model(18);
    x = sg_input(m->graph, "x", OL_FLOAT, "6");
    sg_node(m->graph, "Split", "split", SG_VALUES(x), 2);
    sg_assert_contains(sg_infer_fails(m), "needs either the 'split' input or the 'num_outputs'");
    ol_model_destroy(m);

    m = sg_model(18);
    x = sg_input(m->graph, "x", OL_FLOAT, "6");
    s = sg_node(m->graph, "Split", "split", SG_VALUES(x), 2);
    sg_attr_int(s, "num_outputs", 3);
    sg_assert_contains(sg_infer_fails(m), "num_outputs is 3 but the node has 2 outputs");
    ol_model_destroy(m);
}

Test(shape_slice, opset_9_attributes)
{
    ol_model *m = sg_model(9);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4,10");
    ol_node *s = sg_node(m->graph, "Slice", "slice", SG_VALUES(x), 1);
    sg_attr_ints(s, "starts", SG_INTS(1));
    sg_attr_ints(s, "ends", SG_INTS(1000));
    sg_attr_ints(s, "axes", SG_INTS(1));
    ol_node *noaxes = sg_node(m->graph, "Slice", "noaxes", SG_VALUES(x), 1);
    sg_attr_ints(noaxes, "starts", SG_INTS(-3, 2));
    sg_attr_ints(noaxes, "ends", SG_INTS(-1, 4));
    sg_infer_ok(m);
    sg_assert_type(sg_out(s, 0), "float32[4,9]");
    sg_assert_type(sg_out(noaxes, 0), "float32[2,2]");
    ol_model_destroy(m);
}

static ol_node *slice13(ol_model *m, ol_value *x, int64_t start, int64_t end, int64_t axis, int64_t step)
{
    static int count;
    char name[32];
    snprintf(name, sizeof name, "slice%d", count++);
    char sn[40], en[40], an[40], pn[40];
    snprintf(sn, sizeof sn, "%s_starts", name);
    snprintf(en, sizeof en, "%s_ends", name);
    snprintf(an, sizeof an, "%s_axes", name);
    snprintf(pn, sizeof pn, "%s_steps", name);
    ol_value *starts = sg_ints(m->graph, sn, 1, 1, &start);
    ol_value *ends = sg_ints(m->graph, en, 1, 1, &end);
    ol_value *axes = sg_ints(m->graph, an, 1, 1, &axis);
    ol_value *steps = sg_ints(m->graph, pn, 1, 1, &step);
    return sg_node(m->graph, "Slice", name, SG_VALUES(x, starts, ends, axes, steps), 1);
}

Test(shape_slice, opset_13_negative_clamped_and_stepped)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq,7");
    ol_node *last3 = slice13(m, x, -3, INT64_MAX, -1, 1);
    ol_node *every2 = slice13(m, x, 0, 10, 2, 2);
    ol_node *back2 = slice13(m, x, 6, -8, 2, -2);
    ol_node *reversed = slice13(m, x, -1, INT64_MIN, 2, -1);
    ol_node *empty = slice13(m, x, 5, 2, 2, 1);
    ol_node *whole_seq = slice13(m, x, 0, INT64_MAX, 1, 1);
    ol_node *part_seq = slice13(m, x, 0, 5, 1, 1);
    ol_node *rev_seq = slice13(m, x, -1, INT64_MIN, 1, -1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(last3, 0), "float32[batch,seq,3]");
    sg_assert_type(sg_out(every2, 0), "float32[batch,seq,4]");
    sg_assert_type(sg_out(back2, 0), "float32[batch,seq,4]");
    sg_assert_type(sg_out(reversed, 0), "float32[batch,seq,7]");
    sg_assert_type(sg_out(empty, 0), "float32[batch,seq,0]");
    sg_assert_type(sg_out(whole_seq, 0), "float32[batch,seq,7]");
    sg_assert_type(sg_out(part_seq, 0), "float32[batch,?,7]");
    sg_assert_type(sg_out(rev_seq, 0), "float32[batch,seq,7]");
    ol_model_destroy(m);
}

Test(shape_slice, zero_step_and_bad_axes_are_errors)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4,4");
    slice13(m, x, 0, 2, 0, 0);
    sg_assert_contains(sg_infer_fails(m), "slice step must not be 0");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "4,4");
    slice13(m, x, 0, 2, 2, 1);
    sg_assert_contains(sg_infer_fails(m), "axes 2 is out of range for rank 2");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "4,4");
    ol_node *s = slice13(m, x, 0, 2, 0, 1);
    sg_attr_ints(s, "starts", SG_INTS(0));
    sg_assert_contains(sg_infer_fails(m), "attribute 'starts' is not allowed at opset 13");
    ol_model_destroy(m);
}

Test(shape_pad, opset_2_attribute)
{
    ol_model *m = sg_model(2);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4,5");
    ol_node *p = sg_node(m->graph, "Pad", "pad", SG_VALUES(x), 1);
    sg_attr_ints(p, "pads", SG_INTS(0, 1, 2, 3));
    sg_infer_ok(m);
    sg_assert_type(sg_out(p, 0), "float32[6,9]");
    ol_model_destroy(m);
}

Test(shape_pad, opset_11_input_and_18_axes)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3");
    ol_value *pads = sg_ints(m->graph, "pads", 1, SG_INTS(0, 1, 0, 1));
    ol_node *p = sg_node(m->graph, "Pad", "pad", SG_VALUES(x, pads), 1);
    ol_value *crop = sg_ints(m->graph, "crop", 1, SG_INTS(1, -1, 1, 0));
    ol_node *c = sg_node(m->graph, "Pad", "crop", SG_VALUES(x, crop), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(p, 0), "float32[batch,5]");
    sg_assert_type(sg_out(c, 0), "float32[?,2]");
    ol_model_destroy(m);

    m = sg_model(18);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,4");
    pads = sg_ints(m->graph, "pads", 1, SG_INTS(2, 3));
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(-1));
    p = sg_node(m->graph, "Pad", "pad", SG_VALUES(x, pads, NULL, axes), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(p, 0), "float32[2,9]");
    ol_model_destroy(m);

    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,4");
    pads = sg_ints(m->graph, "pads", 1, SG_INTS(0, 0, 0, 0));
    p = sg_node(m->graph, "Pad", "pad", SG_VALUES(x, pads), 1);
    sg_attr_ints(p, "pads", SG_INTS(0, 0, 0, 0));
    sg_assert_contains(sg_infer_fails(m), "attribute 'pads' is not allowed at opset 11");
    ol_model_destroy(m);

    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,4");
    pads = sg_ints(m->graph, "pads", 1, SG_INTS(0, -5, 0, 0));
    sg_node(m->graph, "Pad", "pad", SG_VALUES(x, pads), 1);
    sg_assert_contains(sg_infer_fails(m), "padding makes axis 1 negative");
    ol_model_destroy(m);
}

Test(shape_depth_space, rearranges_blocks)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "n,8,2,3");
    ol_node *d2s = sg_node(m->graph, "DepthToSpace", "d2s", SG_VALUES(x), 1);
    sg_attr_int(d2s, "blocksize", 2);
    ol_node *s2d = sg_node(m->graph, "SpaceToDepth", "s2d", SG_VALUES(sg_out(d2s, 0)), 1);
    sg_attr_int(s2d, "blocksize", 2);
    sg_infer_ok(m);
    sg_assert_type(sg_out(d2s, 0), "float32[n,2,4,6]");
    sg_assert_type(sg_out(s2d, 0), "float32[n,8,2,3]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "1,6,2,2");
    d2s = sg_node(m->graph, "DepthToSpace", "d2s", SG_VALUES(x), 1);
    sg_attr_int(d2s, "blocksize", 2);
    sg_assert_contains(sg_infer_fails(m), "axis 1 of size 6 is not a multiple of 4");
    ol_model_destroy(m);
}

Test(shape_shape_op, start_end_and_size)
{
    ol_model *m = sg_model(15);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,224,224");
    ol_node *all = sg_node(m->graph, "Shape", "all", SG_VALUES(x), 1);
    ol_node *mid = sg_node(m->graph, "Shape", "mid", SG_VALUES(x), 1);
    sg_attr_int(mid, "start", 1);
    sg_attr_int(mid, "end", -1);
    ol_node *none = sg_node(m->graph, "Shape", "none", SG_VALUES(x), 1);
    sg_attr_int(none, "start", 10);
    ol_node *size = sg_node(m->graph, "Size", "size", SG_VALUES(x), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(all, 0), "int64[4]");
    sg_assert_type(sg_out(mid, 0), "int64[2]");
    sg_assert_type(sg_out(none, 0), "int64[0]");
    sg_assert_type(sg_out(size, 0), "int64[]");
    ol_model_destroy(m);
}

Test(shape_pad, center_crop_pad)
{
    ol_model *m = sg_model(18);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "h,w,3");
    ol_value *shape = sg_ints(m->graph, "shape", 1, SG_INTS(10, 9));
    ol_node *ccp = sg_node(m->graph, "CenterCropPad", "ccp", SG_VALUES(x, shape), 1);
    sg_attr_ints(ccp, "axes", SG_INTS(0, -2));
    sg_infer_ok(m);
    sg_assert_type(sg_out(ccp, 0), "float32[10,9,3]");
    ol_model_destroy(m);
}
