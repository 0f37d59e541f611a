/* Shape inference of the indexing ops (Gather*, OneHot, NonZero, TopK, Scatter*) and reductions
 * (Reduce* with axes as attribute or input by op and opset, ArgMax/ArgMin). */
#include "test_shape_graph.h"

Test(shape_gather, gather_inserts_the_index_shape)
{
    ol_model *m = sg_model(13);
    ol_value *emb = sg_input(m->graph, "emb", OL_FLOAT, "30522,768");
    ol_value *ids = sg_input(m->graph, "ids", OL_INT64, "batch,seq");
    ol_node *g = sg_node(m->graph, "Gather", "lookup", SG_VALUES(emb, ids), 1);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "b,s,h");
    ol_value *i0 = sg_ints(m->graph, "i0", 0, SG_INTS(0));
    ol_node *g1 = sg_node(m->graph, "Gather", "pick", SG_VALUES(x, i0), 1);
    sg_attr_int(g1, "axis", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(g, 0), "float32[batch,seq,768]");
    sg_assert_type(sg_out(g1, 0), "float32[b,h]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_value *f = sg_input(m->graph, "f", OL_FLOAT, "2");
    sg_node(m->graph, "Gather", "g", SG_VALUES(x, f), 1);
    sg_assert_contains(sg_infer_fails(m), "indices must be int32 or int64, not float32");
    ol_model_destroy(m);
}

Test(shape_gather, elements_nd_and_scatter)
{
    ol_model *m = sg_model(13);
    ol_value *data = sg_input(m->graph, "data", OL_FLOAT, "3,4,5");
    ol_value *idx = sg_input(m->graph, "idx", OL_INT64, "3,2,5");
    ol_node *ge = sg_node(m->graph, "GatherElements", "ge", SG_VALUES(data, idx), 1);
    sg_attr_int(ge, "axis", 1);
    ol_value *nd_idx = sg_input(m->graph, "nd_idx", OL_INT64, "7,2");
    ol_node *nd = sg_node(m->graph, "GatherND", "nd", SG_VALUES(data, nd_idx), 1);
    ol_value *b_idx = sg_input(m->graph, "b_idx", OL_INT64, "3,6,1");
    ol_node *bnd = sg_node(m->graph, "GatherND", "bnd", SG_VALUES(data, b_idx), 1);
    sg_attr_int(bnd, "batch_dims", 1);
    ol_value *upd = sg_input(m->graph, "upd", OL_FLOAT, "7,5");
    ol_node *snd = sg_node(m->graph, "ScatterND", "snd", SG_VALUES(data, nd_idx, upd), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(ge, 0), "float32[3,2,5]");
    sg_assert_type(sg_out(nd, 0), "float32[7,5]");
    sg_assert_type(sg_out(bnd, 0), "float32[3,6,5]");
    sg_assert_type(sg_out(snd, 0), "float32[3,4,5]");
    ol_model_destroy(m);
}

Test(shape_gather, one_hot_nonzero_topk)
{
    ol_model *m = sg_model(11);
    ol_value *labels = sg_input(m->graph, "labels", OL_INT64, "batch");
    ol_value *depth = sg_ints(m->graph, "depth", 0, SG_INTS(10));
    ol_value *values = sg_input(m->graph, "values", OL_FLOAT, "2");
    ol_node *oh = sg_node(m->graph, "OneHot", "onehot", SG_VALUES(labels, depth, values), 1);
    ol_node *oh0 = sg_node(m->graph, "OneHot", "onehot0", SG_VALUES(labels, depth, values), 1);
    sg_attr_int(oh0, "axis", 0);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4,batch,7");
    ol_node *nz = sg_node(m->graph, "NonZero", "nz", SG_VALUES(x), 1);
    ol_value *k = sg_ints(m->graph, "k", 1, SG_INTS(3));
    ol_node *topk = sg_node(m->graph, "TopK", "topk", SG_VALUES(x, k), 2);
    sg_infer_ok(m);
    sg_assert_type(sg_out(oh, 0), "float32[batch,10]");
    sg_assert_type(sg_out(oh0, 0), "float32[10,batch]");
    sg_assert_type(sg_out(nz, 0), "int64[3,?]");
    sg_assert_type(sg_out(topk, 0), "float32[4,batch,3]");
    sg_assert_type(sg_out(topk, 1), "int64[4,batch,3]");
    ol_model_destroy(m);

    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "4,5");
    k = sg_ints(m->graph, "k", 1, SG_INTS(6));
    sg_node(m->graph, "TopK", "topk", SG_VALUES(x, k), 2);
    sg_assert_contains(sg_infer_fails(m), "k 6 is larger than axis 1 of size 5");
    ol_model_destroy(m);
}

Test(shape_gather, topk_opset_1_attribute)
{
    ol_model *m = sg_model(1);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "4,5");
    ol_node *topk = sg_node(m->graph, "TopK", "topk", SG_VALUES(x), 2);
    sg_attr_int(topk, "k", 2);
    sg_attr_int(topk, "axis", 0);
    sg_infer_ok(m);
    sg_assert_type(sg_out(topk, 0), "float32[2,5]");
    ol_model_destroy(m);
}

Test(shape_reduce, reduce_mean_13_takes_the_attribute)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq,768");
    ol_node *keep = sg_node(m->graph, "ReduceMean", "keep", SG_VALUES(x), 1);
    sg_attr_ints(keep, "axes", SG_INTS(-1));
    ol_node *drop = sg_node(m->graph, "ReduceMean", "drop", SG_VALUES(x), 1);
    sg_attr_ints(drop, "axes", SG_INTS(1));
    sg_attr_int(drop, "keepdims", 0);
    ol_node *all = sg_node(m->graph, "ReduceMean", "all", SG_VALUES(x), 1);
    sg_attr_int(all, "keepdims", 0);
    sg_infer_ok(m);
    sg_assert_type(sg_out(keep, 0), "float32[batch,seq,1]");
    sg_assert_type(sg_out(drop, 0), "float32[batch,768]");
    sg_assert_type(sg_out(all, 0), "float32[]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(1));
    sg_node(m->graph, "ReduceMean", "r", SG_VALUES(x, axes), 1);
    sg_assert_contains(sg_infer_fails(m), "takes axes as an attribute before opset 18");
    ol_model_destroy(m);
}

Test(shape_reduce, reduce_mean_18_takes_the_input)
{
    ol_model *m = sg_model(18);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq,768");
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(-1));
    ol_node *keep = sg_node(m->graph, "ReduceMean", "keep", SG_VALUES(x, axes), 1);
    ol_node *all = sg_node(m->graph, "ReduceMax", "all", SG_VALUES(x), 1);
    ol_node *noop = sg_node(m->graph, "ReduceL2", "noop", SG_VALUES(x), 1);
    sg_attr_int(noop, "noop_with_empty_axes", 1);
    ol_value *computed = sg_input(m->graph, "computed", OL_INT64, "2");
    ol_node *unk = sg_node(m->graph, "ReduceSumSquare", "unk", SG_VALUES(x, computed), 1);
    sg_attr_int(unk, "keepdims", 0);
    sg_infer_ok(m);
    sg_assert_type(sg_out(keep, 0), "float32[batch,seq,1]");
    sg_assert_type(sg_out(all, 0), "float32[1,1,1]");
    sg_assert_type(sg_out(noop, 0), "float32[batch,seq,768]");
    sg_assert_type(sg_out(unk, 0), "float32[?]");
    ol_model_destroy(m);

    m = sg_model(18);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_node *r = sg_node(m->graph, "ReduceMean", "r", SG_VALUES(x), 1);
    sg_attr_ints(r, "axes", SG_INTS(1));
    sg_assert_contains(sg_infer_fails(m), "takes axes as input 1 from opset 18");
    ol_model_destroy(m);
}

Test(shape_reduce, reduce_sum_moved_at_13)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3,4");
    ol_node *r11 = sg_node(m->graph, "ReduceSum", "r11", SG_VALUES(x), 1);
    sg_attr_ints(r11, "axes", SG_INTS(0, 2));
    sg_infer_ok(m);
    sg_assert_type(sg_out(r11, 0), "float32[1,3,1]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3,4");
    ol_value *axes = sg_ints(m->graph, "axes", 1, SG_INTS(0, 2));
    ol_node *r13 = sg_node(m->graph, "ReduceSum", "r13", SG_VALUES(x, axes), 1);
    sg_attr_int(r13, "keepdims", 0);
    ol_value *empty = sg_ints(m->graph, "empty", 1, 0, NULL);
    ol_node *noop = sg_node(m->graph, "ReduceSum", "noop", SG_VALUES(x, empty), 1);
    sg_attr_int(noop, "noop_with_empty_axes", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(r13, 0), "float32[3]");
    sg_assert_type(sg_out(noop, 0), "float32[2,3,4]");
    ol_model_destroy(m);

    m = sg_model(13);
    x = sg_input(m->graph, "x", OL_FLOAT, "2,3,4");
    axes = sg_ints(m->graph, "axes", 1, SG_INTS(3));
    sg_node(m->graph, "ReduceSum", "r", SG_VALUES(x, axes), 1);
    sg_assert_contains(sg_infer_fails(m), "axes 3 is out of range for rank 3");
    ol_model_destroy(m);
}

Test(shape_reduce, arg_max_and_min)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,10");
    ol_node *amax = sg_node(m->graph, "ArgMax", "amax", SG_VALUES(x), 1);
    sg_attr_int(amax, "axis", 1);
    sg_attr_int(amax, "keepdims", 0);
    ol_node *amin = sg_node(m->graph, "ArgMin", "amin", SG_VALUES(x), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(amax, 0), "int64[batch]");
    sg_assert_type(sg_out(amin, 0), "int64[1,10]");
    ol_model_destroy(m);
}

Test(shape_gather, selection_ops_have_data_dependent_lengths)
{
    ol_model *m = sg_model(11);
    ol_value *boxes = sg_input(m->graph, "boxes", OL_FLOAT, "1,100,4");
    ol_value *scores = sg_input(m->graph, "scores", OL_FLOAT, "1,3,100");
    ol_node *nms = sg_node(m->graph, "NonMaxSuppression", "nms", SG_VALUES(boxes, scores), 1);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "3,4");
    ol_value *cond = sg_input(m->graph, "cond", OL_BOOL, "4");
    ol_node *comp = sg_node(m->graph, "Compress", "comp", SG_VALUES(x, cond), 1);
    sg_attr_int(comp, "axis", 1);
    ol_node *flat = sg_node(m->graph, "Compress", "flat", SG_VALUES(x, cond), 1);
    ol_node *uniq = sg_node(m->graph, "Unique", "uniq", SG_VALUES(x), 4);
    ol_node *uniq0 = sg_node(m->graph, "Unique", "uniq0", SG_VALUES(x), 3);
    sg_attr_int(uniq0, "axis", 0);
    sg_infer_ok(m);
    sg_assert_type(sg_out(nms, 0), "int64[?,3]");
    sg_assert_type(sg_out(comp, 0), "float32[3,?]");
    sg_assert_type(sg_out(flat, 0), "float32[?]");
    sg_assert_type(sg_out(uniq, 0), "float32[?]");
    sg_assert_type(sg_out(uniq, 2), "int64[12]");
    sg_assert_type(sg_out(uniq, 3), "int64[?]");
    sg_assert_type(sg_out(uniq0, 0), "float32[?,4]");
    sg_assert_type(sg_out(uniq0, 2), "int64[3]");
    ol_model_destroy(m);
}

Test(shape_reduce, losses_by_reduction)
{
    ol_model *m = sg_model(13);
    ol_value *scores = sg_input(m->graph, "scores", OL_FLOAT, "batch,10,7");
    ol_value *labels = sg_input(m->graph, "labels", OL_INT64, "batch,7");
    ol_node *mean = sg_node(m->graph, "SoftmaxCrossEntropyLoss", "mean", SG_VALUES(scores, labels), 2);
    ol_node *none = sg_node(m->graph, "NegativeLogLikelihoodLoss", "none", SG_VALUES(scores, labels), 1);
    sg_attr_string(none, "reduction", "none");
    sg_infer_ok(m);
    sg_assert_type(sg_out(mean, 0), "float32[]");
    sg_assert_type(sg_out(mean, 1), "float32[batch,10,7]");
    sg_assert_type(sg_out(none, 0), "float32[batch,7]");
    ol_model_destroy(m);
}
