/* Shape inference of linear quantization (output type from zero point or output_dtype) and of
 * Resize/Upsample (scales or sizes). */
#include "test_shape_graph.h"

Test(shape_quant, quantize_type_comes_from_zero_point_or_output_dtype)
{
    ol_model *m = sg_model(21);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,16");
    ol_value *scale = sg_input(m->graph, "scale", OL_FLOAT, "");
    ol_value *zp = sg_input(m->graph, "zp", OL_INT8, "");
    ol_node *q = sg_node(m->graph, "QuantizeLinear", "q", SG_VALUES(x, scale, zp), 1);
    ol_node *dflt = sg_node(m->graph, "QuantizeLinear", "dflt", SG_VALUES(x, scale), 1);
    ol_node *attr = sg_node(m->graph, "QuantizeLinear", "attr", SG_VALUES(x, scale), 1);
    sg_attr_int(attr, "output_dtype", OL_UINT16);
    ol_node *dq = sg_node(m->graph, "DequantizeLinear", "dq", SG_VALUES(sg_out(q, 0), scale, zp), 1);
    ol_value *half = sg_input(m->graph, "half", OL_FLOAT16, "");
    ol_node *dq16 = sg_node(m->graph, "DequantizeLinear", "dq16", SG_VALUES(sg_out(q, 0), half), 1);
    ol_node *dyn = sg_node(m->graph, "DynamicQuantizeLinear", "dyn", SG_VALUES(x), 3);
    sg_infer_ok(m);
    sg_assert_type(sg_out(q, 0), "int8[batch,16]");
    sg_assert_type(sg_out(dflt, 0), "uint8[batch,16]");
    sg_assert_type(sg_out(attr, 0), "uint16[batch,16]");
    sg_assert_type(sg_out(dq, 0), "float32[batch,16]");
    sg_assert_type(sg_out(dq16, 0), "float16[batch,16]");
    sg_assert_type(sg_out(dyn, 0), "uint8[batch,16]");
    sg_assert_type(sg_out(dyn, 1), "float32[]");
    sg_assert_type(sg_out(dyn, 2), "uint8[]");
    ol_model_destroy(m);

    m = sg_model(21);
    x = sg_input(m->graph, "x", OL_FLOAT, "2");
    scale = sg_input(m->graph, "scale", OL_FLOAT, "");
    zp = sg_input(m->graph, "zp", OL_INT8, "");
    q = sg_node(m->graph, "QuantizeLinear", "q", SG_VALUES(x, scale, zp), 1);
    sg_attr_int(q, "output_dtype", OL_UINT8);
    sg_assert_contains(sg_infer_fails(m), "output_dtype is uint8 but the zero point is int8");
    ol_model_destroy(m);
}

Test(shape_resize, scales_sizes_and_axes)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,10,15");
    ol_value *empty = sg_floats(m->graph, "empty", 0, NULL);
    ol_value *scales = sg_floats(m->graph, "scales", 4, (const float[]){1, 1, 2, 0.5f});
    ol_node *by_scale = sg_node(m->graph, "Resize", "by_scale", SG_VALUES(x, empty, scales), 1);
    ol_value *sizes = sg_ints(m->graph, "sizes", 1, SG_INTS(1, 3, 32, 32));
    ol_node *by_size = sg_node(m->graph, "Resize", "by_size", SG_VALUES(x, empty, empty, sizes), 1);
    ol_value *computed = sg_input(m->graph, "computed", OL_INT64, "4");
    ol_node *unk = sg_node(m->graph, "Resize", "unk", SG_VALUES(x, NULL, NULL, computed), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(by_scale, 0), "float32[batch,3,20,7]");
    sg_assert_type(sg_out(by_size, 0), "float32[1,3,32,32]");
    sg_assert_type(sg_out(unk, 0), "float32[?,?,?,?]");
    ol_model_destroy(m);

    m = sg_model(18);
    x = sg_input(m->graph, "x", OL_FLOAT, "1,1,2,4");
    sizes = sg_ints(m->graph, "sizes", 1, SG_INTS(1, 3));  /* ratios 0.5 and 0.75 */
    ol_node *not_larger = sg_node(m->graph, "Resize", "nl", SG_VALUES(x, NULL, NULL, sizes), 1);
    sg_attr_ints(not_larger, "axes", SG_INTS(2, 3));
    sg_attr_string(not_larger, "keep_aspect_ratio_policy", "not_larger");
    ol_node *not_smaller = sg_node(m->graph, "Resize", "ns", SG_VALUES(x, NULL, NULL, sizes), 1);
    sg_attr_ints(not_smaller, "axes", SG_INTS(2, 3));
    sg_attr_string(not_smaller, "keep_aspect_ratio_policy", "not_smaller");
    ol_value *s2 = sg_floats(m->graph, "s2", 1, (const float[]){3});
    ol_node *one_axis = sg_node(m->graph, "Resize", "one_axis", SG_VALUES(x, NULL, s2), 1);
    sg_attr_ints(one_axis, "axes", SG_INTS(-1));
    sg_infer_ok(m);
    sg_assert_type(sg_out(not_larger, 0), "float32[1,1,1,2]");
    sg_assert_type(sg_out(not_smaller, 0), "float32[1,1,2,3]");  /* 1.5 rounds half up */
    sg_assert_type(sg_out(one_axis, 0), "float32[1,1,2,12]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "1,3,10,15");
    scales = sg_floats(m->graph, "scales", 2, (const float[]){2, 2});
    sg_node(m->graph, "Resize", "r", SG_VALUES(x, NULL, scales), 1);
    sg_assert_contains(sg_infer_fails(m), "scales has 2 values for 4 axes");
    ol_model_destroy(m);
}

Test(shape_resize, upsample_attribute_then_input)
{
    ol_model *m = sg_model(7);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "n,3,8,8");
    ol_node *up7 = sg_node(m->graph, "Upsample", "up7", SG_VALUES(x), 1);
    cr_assert_eq(ol_node_set_attr_floats(up7, "scales", (const float[]){1, 1, 2, 3}, 4, &irb_err), OL_OK);
    sg_infer_ok(m);
    sg_assert_type(sg_out(up7, 0), "float32[n,3,16,24]");
    ol_model_destroy(m);

    m = sg_model(9);
    x = sg_input(m->graph, "x", OL_FLOAT, "n,3,8,8");
    ol_value *scales = sg_floats(m->graph, "scales", 4, (const float[]){1, 1, 2, 2});
    ol_node *up9 = sg_node(m->graph, "Upsample", "up9", SG_VALUES(x, scales), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(up9, 0), "float32[n,3,16,16]");
    ol_model_destroy(m);
}
