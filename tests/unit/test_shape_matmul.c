/* Shape inference of Gemm, MatMul (numpy rules), their integer/quantized forms and Einsum. */
#include "test_shape_graph.h"

static const char *matmul_type(const char *a_shape, const char *b_shape)
{
    static char result[256];
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, a_shape);
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, b_shape);
    ol_node *n = sg_node(m->graph, "MatMul", "mm", SG_VALUES(a, b), 1);
    sg_infer_ok(m);
    snprintf(result, sizeof result, "%s", sg_type(sg_out(n, 0)));
    ol_model_destroy(m);
    return result;
}

Test(shape_matmul, numpy_rules)
{
    cr_assert_str_eq(matmul_type("3,4", "4,5"), "float32[3,5]");
    cr_assert_str_eq(matmul_type("batch,seq,768", "768,3072"), "float32[batch,seq,3072]");
    cr_assert_str_eq(matmul_type("batch,12,seq,64", "batch,12,64,seq"), "float32[batch,12,seq,seq]");
    cr_assert_str_eq(matmul_type("2,1,3,4", "5,4,6"), "float32[2,5,3,6]");
    /* 1-D operands: promoted, then the added axis is removed */
    cr_assert_str_eq(matmul_type("4", "4,5"), "float32[5]");
    cr_assert_str_eq(matmul_type("7,3,4", "4"), "float32[7,3]");
    cr_assert_str_eq(matmul_type("4", "4"), "float32[]");
    cr_assert_str_eq(matmul_type("n,4", "?,5"), "float32[n,5]");
}

Test(shape_matmul, inner_dimension_mismatch_is_an_error)
{
    ol_model *m = sg_model(17);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "3,4");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "5,6");
    sg_node(m->graph, "MatMul", "proj", SG_VALUES(a, b), 1);
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'proj' (MatMul)");
    sg_assert_contains(msg, "4 vs 5");
    ol_model_destroy(m);
}

Test(shape_gemm, transposes_and_bias)
{
    ol_model *m = sg_model(13);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "batch,512");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "1000,512");
    ol_value *bias = sg_input(m->graph, "bias", OL_FLOAT, "1000");
    ol_node *fc = sg_node(m->graph, "Gemm", "fc", SG_VALUES(a, w, bias), 1);
    sg_attr_int(fc, "transB", 1);
    ol_value *at = sg_input(m->graph, "at", OL_FLOAT, "6,3");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "6,2");
    ol_node *ta = sg_node(m->graph, "Gemm", "ta", SG_VALUES(at, b), 1);
    sg_attr_int(ta, "transA", 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(fc, 0), "float32[batch,1000]");
    sg_assert_type(sg_out(ta, 0), "float32[3,2]");
    ol_model_destroy(m);
}

Test(shape_gemm, bias_must_broadcast_to_the_result)
{
    ol_model *m = sg_model(13);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "2,3");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "3,4");
    ol_value *c = sg_input(m->graph, "c", OL_FLOAT, "5");
    sg_node(m->graph, "Gemm", "fc", SG_VALUES(a, b, c), 1);
    sg_assert_contains(sg_infer_fails(m), "node 'fc' (Gemm)");
    ol_model_destroy(m);
}

Test(shape_matmul, integer_and_quantized)
{
    ol_model *m = sg_model(13);
    ol_value *a = sg_input(m->graph, "a", OL_UINT8, "batch,4");
    ol_value *b = sg_input(m->graph, "b", OL_INT8, "4,8");
    ol_value *s = sg_input(m->graph, "s", OL_FLOAT, "");
    ol_value *az = sg_input(m->graph, "az", OL_UINT8, "");
    ol_value *bz = sg_input(m->graph, "bz", OL_INT8, "");
    ol_node *mi = sg_node(m->graph, "MatMulInteger", "mi", SG_VALUES(a, b, az, bz), 1);
    ol_node *q = sg_node(m->graph, "QLinearMatMul", "q", SG_VALUES(a, s, az, b, s, bz, s, az), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(mi, 0), "int32[batch,8]");
    sg_assert_type(sg_out(q, 0), "uint8[batch,8]");
    ol_model_destroy(m);
}

static const char *einsum_type(const char *equation, const char *a_shape, const char *b_shape)
{
    static char result[256];
    ol_model *m = sg_model(12);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, a_shape);
    ol_node *n;
    if (b_shape) {
        ol_value *b = sg_input(m->graph, "b", OL_FLOAT, b_shape);
        n = sg_node(m->graph, "Einsum", "e", SG_VALUES(a, b), 1);
    } else {
        n = sg_node(m->graph, "Einsum", "e", SG_VALUES(a), 1);
    }
    sg_attr_string(n, "equation", equation);
    sg_infer_ok(m);
    snprintf(result, sizeof result, "%s", sg_type(sg_out(n, 0)));
    ol_model_destroy(m);
    return result;
}

Test(shape_einsum, common_patterns)
{
    cr_assert_str_eq(einsum_type("ij,jk->ik", "3,4", "4,5"), "float32[3,5]");
    cr_assert_str_eq(einsum_type("bhqd,bhkd->bhqk", "b,12,q,64", "b,12,k,64"), "float32[b,12,q,k]");
    cr_assert_str_eq(einsum_type("ij->ji", "3,4", NULL), "float32[4,3]");
    cr_assert_str_eq(einsum_type("ii->i", "5,5", NULL), "float32[5]");
    cr_assert_str_eq(einsum_type("ij->", "5,6", NULL), "float32[]");
    cr_assert_str_eq(einsum_type("...ij,...jk->...ik", "2,1,3,4", "7,4,5"), "float32[2,7,3,5]");
    cr_assert_str_eq(einsum_type("ij,jk", "3,4", "4,5"), "float32[3,5]");  /* implicit output */
    cr_assert_str_eq(einsum_type("ba", "3,4", NULL), "float32[4,3]");      /* implicit: sorted */
    cr_assert_str_eq(einsum_type("i,j->ij", "3", "4"), "float32[3,4]");
}

Test(shape_einsum, inconsistent_labels_and_bad_equations_are_errors)
{
    ol_model *m = sg_model(12);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "3,4");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "5,6");
    ol_node *n = sg_node(m->graph, "Einsum", "e", SG_VALUES(a, b), 1);
    sg_attr_string(n, "equation", "ij,jk->ik");
    sg_assert_contains(sg_infer_fails(m), "label 'j' has inconsistent sizes");
    ol_model_destroy(m);

    m = sg_model(12);
    a = sg_input(m->graph, "a", OL_FLOAT, "3,4");
    n = sg_node(m->graph, "Einsum", "e", SG_VALUES(a), 1);
    sg_attr_string(n, "equation", "ijk->i");
    sg_assert_contains(sg_infer_fails(m), "rank 2 but its equation term has 3 labels");
    ol_model_destroy(m);

    m = sg_model(12);
    a = sg_input(m->graph, "a", OL_FLOAT, "3,4");
    n = sg_node(m->graph, "Einsum", "e", SG_VALUES(a), 1);
    sg_attr_string(n, "equation", "ij->iz");
    sg_assert_contains(sg_infer_fails(m), "output label 'z' does not appear");
    ol_model_destroy(m);
}

Test(shape_matmul, det_needs_square_matrices)
{
    ol_model *m = sg_model(11);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,3,3");
    ol_node *det = sg_node(m->graph, "Det", "det", SG_VALUES(x), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(det, 0), "float32[batch]");
    ol_model_destroy(m);

    m = sg_model(11);
    x = sg_input(m->graph, "x", OL_FLOAT, "3,4");
    sg_node(m->graph, "Det", "det", SG_VALUES(x), 1);
    sg_assert_contains(sg_infer_fails(m), "matrices must be square: 3 vs 4");
    ol_model_destroy(m);
}

Test(shape_gemm, bias_fixes_unknown_result_dims)
{
    ol_model *m = sg_model(13);
    ol_value *a = sg_input(m->graph, "a", OL_FLOAT, "?,?");
    ol_value *b = sg_input(m->graph, "b", OL_FLOAT, "?,?");
    ol_value *c = sg_input(m->graph, "c", OL_FLOAT, "1,10");
    ol_node *fc = sg_node(m->graph, "Gemm", "fc", SG_VALUES(a, b, c), 1);
    sg_infer_ok(m);
    sg_assert_type(sg_out(fc, 0), "float32[?,10]");
    ol_model_destroy(m);
}
