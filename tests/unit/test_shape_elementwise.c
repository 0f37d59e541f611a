/* Shape inference of elementwise ops: unary ops, numpy broadcasting (with symbolic dims), comparisons
 * and logical ops giving bool, variadic ops and Where. */
#include "test_shape_graph.h"

Test(shape_elementwise, unary_ops_keep_type_and_shape)
{
    static const char *const ops[] = {
        "Relu", "Sigmoid", "Tanh", "Gelu", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal",
        "Floor", "Ceil", "Round", "Sign", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Softplus",
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        ol_model *m = sg_model(17);
        ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,?,7");
        ol_node *n = sg_node(m->graph, ops[i], "op", SG_VALUES(x), 1);
        sg_infer_ok(m);
        sg_assert_type(sg_out(n, 0), "float32[batch,3,?,7]");
        ol_model_destroy(m);
    }
}

Test(shape_elementwise, isnan_and_not_give_bool)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_value *b = sg_input(m->graph, "b", OL_BOOL, "4");
    ol_node *isnan = sg_node(m->graph, "IsNaN", "isnan", SG_VALUES(x), 1);
    ol_node *not = sg_node(m->graph, "Not", "not", SG_VALUES(b), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(isnan, 0), "bool[2,3]");
    sg_assert_type(sg_out(not, 0), "bool[4]");
    ol_model_destroy(m);
}

Test(shape_elementwise, binary_broadcasting)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "batch,1,5");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "4,1");
    ol_value *c = sg_input(m->graph, "c", OL_FLOAT, "");
    ol_node *add = sg_node(m->graph, "Add", "add", SG_VALUES(a, b), 1);
    ol_node *mul = sg_node(m->graph, "Mul", "mul", SG_VALUES(sg_out(add, 0), c), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(add, 0), "float32[batch,4,5]");
    sg_assert_type(sg_out(mul, 0), "float32[batch,4,5]");
    ol_model_destroy(m);
}

Test(shape_elementwise, symbolic_dims_broadcast_conservatively)
{
    ol_model *m = sg_model(17);
    /* seq vs 1 -> seq; seq vs seq -> seq; seq vs len -> unknown (either may be 1); seq vs 8 -> 8 */
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "seq,seq,seq,seq");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "1,seq,len,8");
    ol_node *sub = sg_node(m->graph, "Sub", "sub", SG_VALUES(a, b), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(sub, 0), "float32[seq,seq,?,8]");
    ol_model_destroy(m);
}

Test(shape_elementwise, mismatched_broadcast_names_the_node)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "4");
    sg_node(m->graph, "Add", "bad_add", SG_VALUES(a, b), 1);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'bad_add' (Add)");
    sg_assert_contains(msg, "3 with 4");
    ol_model_destroy(m);
}

Test(shape_elementwise, element_types_must_agree)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2");
    ol_value *b = sg_input(m->graph, "b", OL_INT64, "2");
    sg_node(m->graph, "Mul", "mixed", SG_VALUES(a, b), 1);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'mixed' (Mul)");
    sg_assert_contains(msg, "float32 vs int64");
    ol_model_destroy(m);
}

Test(shape_elementwise, comparisons_and_logic_give_bool)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "3,1");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "1,4");
    ol_node *less = sg_node(m->graph, "Less", "less", SG_VALUES(a, b), 1);
    ol_node *eq = sg_node(m->graph, "Equal", "eq", SG_VALUES(a, b), 1);
    ol_node *and = sg_node(m->graph, "And", "and", SG_VALUES(sg_out(less, 0), sg_out(eq, 0)), 1);
    ol_node *xor = sg_node(m->graph, "Xor", "xor", SG_VALUES(sg_out(and, 0), sg_out(eq, 0)), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(less, 0), "bool[3,4]");
    sg_assert_type(sg_out(eq, 0), "bool[3,4]");
    sg_assert_type(sg_out(and, 0), "bool[3,4]");
    sg_assert_type(sg_out(xor, 0), "bool[3,4]");
    ol_model_destroy(m);
}

Test(shape_elementwise, pow_keeps_base_type)
{
    ol_model *m = sg_model(17);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_value *e = sg_input(m->graph, "e", OL_INT64, "");
    ol_node *pow = sg_node(m->graph, "Pow", "pow", SG_VALUES(x, e), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(pow, 0), "float32[2,3]");
    ol_model_destroy(m);
}

Test(shape_elementwise, variadic_ops_broadcast_all_inputs)
{
    static const char *const ops[] = {"Sum", "Mean", "Max", "Min"};
    for (size_t i = 0; i < 4; i++) {
        ol_model *m = sg_model(13);
        ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "5,1,1");
        ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "1,n,1");
        ol_value *c = sg_input(m->graph, "c", OL_FLOAT, "7");
        ol_node *n = sg_node(m->graph, ops[i], "v", SG_VALUES(a, b, c), 1);
        sg_infer_ok(m);
        sg_assert_type(sg_out(n, 0), "float32[5,n,7]");
        ol_model_destroy(m);
    }
}

Test(shape_elementwise, where_broadcasts_three_ways)
{
    ol_model *m = sg_model(16);
    ol_value *cond = sg_input(m->graph, "cond", OL_BOOL, "1,seq");
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,1,1");
    ol_value *y = sg_input(m->graph, "y", OL_FLOAT, "");
    ol_node *w = sg_node(m->graph, "Where", "where", SG_VALUES(cond, x, y), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(w, 0), "float32[batch,1,seq]");
    ol_model_destroy(m);
}

Test(shape_elementwise, where_needs_a_bool_condition)
{
    ol_model *m = sg_model(16);
    ol_value *cond = sg_input(m->graph, "cond", OL_FLOAT, "2");
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2");
    sg_node(m->graph, "Where", "where", SG_VALUES(cond, x, x), 1);
    sg_assert_contains(sg_infer_fails(m), "condition must be bool");
    ol_model_destroy(m);
}

Test(shape_elementwise, prelu_and_clip_keep_x)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,16,8,8");
    ol_value *slope = sg_input(m->graph, "slope", OL_FLOAT, "16,1,1");
    ol_value *lo = sg_input(m->graph, "lo", OL_FLOAT, "");
    ol_node *prelu = sg_node(m->graph, "PRelu", "prelu", SG_VALUES(x, slope), 1);
    ol_node *clip = sg_node(m->graph, "Clip", "clip", SG_VALUES(sg_out(prelu, 0), lo), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(prelu, 0), "float32[batch,16,8,8]");
    sg_assert_type(sg_out(clip, 0), "float32[batch,16,8,8]");
    ol_model_destroy(m);
}

Test(shape_elementwise, softmax_axis_is_checked)
{
    ol_model *m = sg_model(13);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "2,3");
    ol_node *ok = sg_node(m->graph, "Softmax", "ok", SG_VALUES(x), 1);
    ol_node *bad = sg_node(m->graph, "LogSoftmax", "bad_axis", SG_VALUES(sg_out(ok, 0)), 1);
    sg_attr_int(bad, "axis", 2);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'bad_axis' (LogSoftmax)");
    sg_assert_contains(msg, "axis 2 is out of range for rank 2");
    ol_model_destroy(m);
}

Test(shape_elementwise, unknown_rank_input_gives_unknown_rank)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, NULL);
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "3");
    ol_node *add = sg_node(m->graph, "Add", "add", SG_VALUES(a, b), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(add, 0), "float32[*]");
    ol_model_destroy(m);
}
