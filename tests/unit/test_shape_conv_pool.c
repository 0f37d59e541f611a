/* Shape inference of convolutions, pooling and normalizations. */
#include "test_shape_graph.h"

static ol_node *conv(ol_model *m, const char *x_shape, const char *w_shape)
{
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, x_shape);
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, w_shape);
    return sg_node(m->graph, "Conv", "conv", SG_VALUES(x, w), 1);
}

Test(shape_conv, strided_padded_conv_keeps_symbolic_batch)
{
    ol_model *m = sg_model(17);
    ol_node *n = conv(m, "batch,3,224,224", "64,3,7,7");
    sg_attr_ints(n, "strides", SG_INTS(2, 2));
    sg_attr_ints(n, "pads", SG_INTS(3, 3, 3, 3));
    sg_infer_ok(m);
    sg_assert_type(sg_out(n, 0), "float32[batch,64,112,112]");
    ol_model_destroy(m);
}

Test(shape_conv, grouped_dilated_and_1d)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,32,56,56");
    ol_value *dw = sg_input(m->graph, "dw", OL_FLOAT, "32,1,3,3");
    ol_node *depthwise = sg_node(m->graph, "Conv", "depthwise", SG_VALUES(x, dw), 1);
    sg_attr_int(depthwise, "group", 32);
    sg_attr_ints(depthwise, "pads", SG_INTS(1, 1, 1, 1));
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "16,32,3,3");
    ol_node *dilated = sg_node(m->graph, "Conv", "dilated", SG_VALUES(sg_out(depthwise, 0), w), 1);
    sg_attr_ints(dilated, "dilations", SG_INTS(2, 2));
    ol_value *x1 = sg_input(m->graph, "x1", OL_FLOAT, "2,4,10");
    ol_value *w1 = sg_input(m->graph, "w1", OL_FLOAT, "6,2,3");
    ol_node *conv1d = sg_node(m->graph, "Conv", "conv1d", SG_VALUES(x1, w1), 1);
    sg_attr_int(conv1d, "group", 2);
    sg_infer_ok(m);
    sg_assert_type(sg_out(depthwise, 0), "float32[1,32,56,56]");
    sg_assert_type(sg_out(dilated, 0), "float32[1,16,52,52]");
    sg_assert_type(sg_out(conv1d, 0), "float32[2,6,8]");
    ol_model_destroy(m);
}

Test(shape_conv, auto_pad_same_and_valid)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,3,15,15");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "4,3,3,3");
    ol_node *same = sg_node(m->graph, "Conv", "same", SG_VALUES(x, w), 1);
    sg_attr_string(same, "auto_pad", "SAME_UPPER");
    sg_attr_ints(same, "strides", SG_INTS(2, 2));
    ol_node *valid = sg_node(m->graph, "Conv", "valid", SG_VALUES(x, w), 1);
    sg_attr_string(valid, "auto_pad", "VALID");
    sg_attr_ints(valid, "strides", SG_INTS(2, 2));
    sg_infer_ok(m);
    sg_assert_type(sg_out(same, 0), "float32[1,4,8,8]");
    sg_assert_type(sg_out(valid, 0), "float32[1,4,7,7]");
    ol_model_destroy(m);
}

Test(shape_conv, size_preserving_windows_keep_symbolic_spatial_dims)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "n,3,h,w");
    ol_value *w1 = sg_input(m->graph, "w1", OL_FLOAT, "8,3,1,1");
    ol_value *w3 = sg_input(m->graph, "w3", OL_FLOAT, "8,8,3,3");
    ol_node *pointwise = sg_node(m->graph, "Conv", "pointwise", SG_VALUES(x, w1), 1);
    ol_node *same = sg_node(m->graph, "Conv", "same", SG_VALUES(sg_out(pointwise, 0), w3), 1);
    sg_attr_ints(same, "pads", SG_INTS(1, 1, 1, 1));
    ol_node *strided = sg_node(m->graph, "Conv", "strided", SG_VALUES(sg_out(same, 0), w3), 1);
    sg_attr_ints(strided, "strides", SG_INTS(2, 2));
    sg_infer_ok(m);
    sg_assert_type(sg_out(pointwise, 0), "float32[n,8,h,w]");
    sg_assert_type(sg_out(same, 0), "float32[n,8,h,w]");
    sg_assert_type(sg_out(strided, 0), "float32[n,8,?,?]");
    ol_model_destroy(m);
}

Test(shape_conv, channel_mismatch_is_an_error_naming_the_node)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,4,8,8");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "8,3,3,3");
    sg_node(m->graph, "Conv", "conv1", SG_VALUES(x, w), 1);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'conv1' (Conv)");
    sg_assert_contains(msg, "4 channels");
    ol_model_destroy(m);
}

Test(shape_conv, malformed_window_attributes_are_errors)
{
    ol_model *m = sg_model(17);
    ol_node *n = conv(m, "1,3,8,8", "4,3,3,3");
    sg_attr_ints(n, "strides", SG_INTS(1, 1, 1));
    sg_assert_contains(sg_infer_fails(m), "attribute 'strides' has 3 values, expected 2");
    ol_model_destroy(m);

    m = sg_model(17);
    n = conv(m, "1,3,8,8", "4,3,3,3");
    sg_attr_int(n, "pads", 1);  /* an INT where INTS belong */
    sg_assert_contains(sg_infer_fails(m), "attribute 'pads' must be ints, not int");
    ol_model_destroy(m);

    m = sg_model(17);
    n = conv(m, "1,3,2,2", "4,3,3,3");
    sg_assert_contains(sg_infer_fails(m), "smaller than the kernel extent");
    ol_model_destroy(m);
}

Test(shape_conv, integer_and_quantized_conv)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_UINT8, "1,3,8,8");
    ol_value *w = sg_input(m->graph, "w", OL_INT8, "4,3,3,3");
    ol_value *s = sg_input(m->graph, "s", OL_FLOAT, "");
    ol_value *xz = sg_input(m->graph, "xz", OL_UINT8, "");
    ol_value *wz = sg_input(m->graph, "wz", OL_INT8, "");
    ol_value *yz = sg_input(m->graph, "yz", OL_INT8, "");
    ol_node *q = sg_node(m->graph, "QLinearConv", "qconv", SG_VALUES(x, s, xz, w, s, wz, s, yz), 1);
    ol_node *ci = sg_node(m->graph, "ConvInteger", "iconv", SG_VALUES(x, w, xz, wz), 1);
    sg_attr_ints(ci, "pads", SG_INTS(1, 1, 1, 1));
    sg_infer_ok(m);
    sg_assert_type(sg_out(q, 0), "int8[1,4,6,6]");
    sg_assert_type(sg_out(ci, 0), "int32[1,4,8,8]");
    ol_model_destroy(m);
}

Test(shape_conv_transpose, strides_pads_output_padding_and_groups)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,16,14,14");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "16,8,4,4");
    ol_node *up = sg_node(m->graph, "ConvTranspose", "up", SG_VALUES(x, w), 1);
    sg_attr_ints(up, "strides", SG_INTS(2, 2));
    sg_attr_ints(up, "pads", SG_INTS(1, 1, 1, 1));
    ol_value *x2 = sg_input(m->graph, "x2", OL_FLOAT, "1,4,5,5");
    ol_value *w2 = sg_input(m->graph, "w2", OL_FLOAT, "4,2,3,3");
    ol_node *padded = sg_node(m->graph, "ConvTranspose", "padded", SG_VALUES(x2, w2), 1);
    sg_attr_ints(padded, "strides", SG_INTS(2, 2));
    sg_attr_ints(padded, "output_padding", SG_INTS(1, 1));
    sg_attr_int(padded, "group", 2);
    sg_infer_ok(m);
    sg_assert_type(sg_out(up, 0), "float32[batch,8,28,28]");
    sg_assert_type(sg_out(padded, 0), "float32[1,4,12,12]");
    ol_model_destroy(m);
}

Test(shape_conv_transpose, output_shape_and_auto_pad)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,4,7,7");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "4,2,3,3");
    ol_node *explicit_shape = sg_node(m->graph, "ConvTranspose", "explicit", SG_VALUES(x, w), 1);
    sg_attr_ints(explicit_shape, "strides", SG_INTS(2, 2));
    sg_attr_ints(explicit_shape, "output_shape", SG_INTS(10, 9));
    ol_node *same = sg_node(m->graph, "ConvTranspose", "same", SG_VALUES(x, w), 1);
    sg_attr_ints(same, "strides", SG_INTS(2, 2));
    sg_attr_string(same, "auto_pad", "SAME_UPPER");
    sg_infer_ok(m);
    sg_assert_type(sg_out(explicit_shape, 0), "float32[1,2,10,9]");
    sg_assert_type(sg_out(same, 0), "float32[1,2,14,14]");
    ol_model_destroy(m);
}

Test(shape_pool, ceil_mode_and_last_window_rule)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,1,4,4");
    ol_node *ceil = sg_node(m->graph, "MaxPool", "ceil", SG_VALUES(x), 2);
    sg_attr_ints(ceil, "kernel_shape", SG_INTS(3, 3));
    sg_attr_ints(ceil, "strides", SG_INTS(2, 2));
    sg_attr_int(ceil, "ceil_mode", 1);
    ol_node *floor = sg_node(m->graph, "MaxPool", "floor", SG_VALUES(x), 1);
    sg_attr_ints(floor, "kernel_shape", SG_INTS(3, 3));
    sg_attr_ints(floor, "strides", SG_INTS(2, 2));
    /* 6 + 1 padding, kernel 2, stride 2: ceil gives 4 windows, but the 4th would start in the right
     * padding, so there are 3. */
    ol_value *x6 = sg_input(m->graph, "x6", OL_FLOAT, "1,1,6,6");
    ol_node *edge = sg_node(m->graph, "AveragePool", "edge", SG_VALUES(x6), 1);
    sg_attr_ints(edge, "kernel_shape", SG_INTS(2, 2));
    sg_attr_ints(edge, "strides", SG_INTS(2, 2));
    sg_attr_ints(edge, "pads", SG_INTS(0, 0, 1, 1));
    sg_attr_int(edge, "ceil_mode", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(ceil, 0), "float32[1,1,2,2]");
    sg_assert_type(sg_out(ceil, 1), "int64[1,1,2,2]");
    sg_assert_type(sg_out(floor, 0), "float32[1,1,1,1]");
    sg_assert_type(sg_out(edge, 0), "float32[1,1,3,3]");
    ol_model_destroy(m);
}

Test(shape_pool, auto_pad_dilations_and_lp_pool)
{
    ol_model *m = sg_model(18);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,2,9,9");
    ol_node *same = sg_node(m->graph, "AveragePool", "same", SG_VALUES(x), 1);
    sg_attr_ints(same, "kernel_shape", SG_INTS(3, 3));
    sg_attr_ints(same, "strides", SG_INTS(2, 2));
    sg_attr_string(same, "auto_pad", "SAME_LOWER");
    ol_node *dilated = sg_node(m->graph, "MaxPool", "dilated", SG_VALUES(x), 1);
    sg_attr_ints(dilated, "kernel_shape", SG_INTS(3, 3));
    sg_attr_ints(dilated, "dilations", SG_INTS(2, 2));
    ol_node *lp = sg_node(m->graph, "LpPool", "lp", SG_VALUES(x), 1);
    sg_attr_ints(lp, "kernel_shape", SG_INTS(2, 2));
    ol_value *y = sg_input(m->graph, "y", OL_FLOAT, "n,c,h,w");
    ol_node *global = sg_node(m->graph, "GlobalAveragePool", "gap", SG_VALUES(y), 1);
    ol_node *gmax = sg_node(m->graph, "GlobalMaxPool", "gmp", SG_VALUES(x), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(same, 0), "float32[1,2,5,5]");
    sg_assert_type(sg_out(dilated, 0), "float32[1,2,5,5]");
    sg_assert_type(sg_out(lp, 0), "float32[1,2,8,8]");
    sg_assert_type(sg_out(global, 0), "float32[n,c,1,1]");
    sg_assert_type(sg_out(gmax, 0), "float32[1,2,1,1]");
    ol_model_destroy(m);
}

Test(shape_pool, kernel_shape_is_required)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "1,2,9,9");
    sg_node(m->graph, "MaxPool", "pool", SG_VALUES(x), 1);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'pool' (MaxPool)");
    sg_assert_contains(msg, "'kernel_shape' is required");
    ol_model_destroy(m);
}

Test(shape_norm, batch_norm_inference_and_training)
{
    ol_model *m = sg_model(15);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,4,5");
    ol_value *p = sg_input(m->graph, "p", OL_FLOAT, "3");
    ol_node *bn = sg_node(m->graph, "BatchNormalization", "bn", SG_VALUES(x, p, p, p, p), 3);
    sg_attr_int(bn, "training_mode", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(bn, 0), "float32[batch,3,4,5]");
    sg_assert_type(sg_out(bn, 1), "float32[3]");
    sg_assert_type(sg_out(bn, 2), "float32[3]");
    ol_model_destroy(m);

    m = sg_model(15);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3,4,5");
    p = sg_input(m->graph, "p", OL_FLOAT, "4");
    sg_node(m->graph, "BatchNormalization", "bn", SG_VALUES(x, p, p, p, p), 1);
    sg_assert_contains(sg_infer_fails(m), "scale has 4 elements but X has 3 channels");
    ol_model_destroy(m);
}

Test(shape_norm, layer_instance_and_group_norm)
{
    ol_model *m = sg_model(18);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq,768");
    ol_value *g = sg_input(m->graph, "g", OL_FLOAT, "768");
    ol_node *ln = sg_node(m->graph, "LayerNormalization", "ln", SG_VALUES(x, g, g), 3);
    ol_value *x3 = sg_input(m->graph, "x3", OL_FLOAT, "2,3,5");
    ol_value *g3 = sg_input(m->graph, "g3", OL_FLOAT, "3,5");
    ol_node *ln1 = sg_node(m->graph, "LayerNormalization", "ln1", SG_VALUES(x3, g3), 2);
    sg_attr_int(ln1, "axis", 1);
    ol_value *img = sg_input(m->graph, "img", OL_FLOAT, "n,6,h,w");
    ol_value *c6 = sg_input(m->graph, "c6", OL_FLOAT, "6");
    ol_node *in = sg_node(m->graph, "InstanceNormalization", "in", SG_VALUES(img, c6, c6), 1);
    ol_node *gn = sg_node(m->graph, "GroupNormalization", "gn", SG_VALUES(img, c6, c6), 1);
    sg_attr_int(gn, "num_groups", 3);
    sg_infer_ok(m);
    sg_assert_type(sg_out(ln, 0), "float32[batch,seq,768]");
    sg_assert_type(sg_out(ln, 1), "float32[batch,seq,1]");
    sg_assert_type(sg_out(ln, 2), "float32[batch,seq,1]");
    sg_assert_type(sg_out(ln1, 1), "float32[2,1,1]");
    sg_assert_type(sg_out(in, 0), "float32[n,6,h,w]");
    sg_assert_type(sg_out(gn, 0), "float32[n,6,h,w]");
    ol_model_destroy(m);

    m = sg_model(18);
    img = sg_input(m->graph, "img", OL_FLOAT, "1,6,4,4");
    ol_value *p = sg_input(m->graph, "p", OL_FLOAT, "4");
    gn = sg_node(m->graph, "GroupNormalization", "gn", SG_VALUES(img, p, p), 1);
    sg_attr_int(gn, "num_groups", 4);
    sg_assert_contains(sg_infer_fails(m), "6 channels do not divide into 4 groups");
    ol_model_destroy(m);
}

Test(shape_conv, deform_conv_grid_sample_and_unpool)
{
    ol_model *m = sg_model(22);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "n,4,10,10");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "8,4,3,3");
    ol_value *offset = sg_input(m->graph, "offset", OL_FLOAT, "n,18,8,8");
    ol_node *dc = sg_node(m->graph, "DeformConv", "dc", SG_VALUES(x, w, offset), 1);
    ol_value *grid = sg_input(m->graph, "grid", OL_FLOAT, "n,5,7,2");
    ol_node *gs = sg_node(m->graph, "GridSample", "gs", SG_VALUES(x, grid), 1);
    ol_value *idx = sg_input(m->graph, "idx", OL_INT64, "n,4,10,10");
    ol_node *unpool = sg_node(m->graph, "MaxUnpool", "unpool", SG_VALUES(x, idx), 1);
    sg_attr_ints(unpool, "kernel_shape", SG_INTS(2, 2));
    sg_attr_ints(unpool, "strides", SG_INTS(2, 2));
    sg_infer_ok(m);
    sg_assert_type(sg_out(dc, 0), "float32[n,8,8,8]");
    sg_assert_type(sg_out(gs, 0), "float32[n,4,5,7]");
    sg_assert_type(sg_out(unpool, 0), "float32[n,4,20,20]");
    ol_model_destroy(m);
}
