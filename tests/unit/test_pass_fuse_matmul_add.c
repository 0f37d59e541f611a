/* fuse-matmul-add: 2-D MatMul + Add into Gemm, only where Gemm's one-way broadcast of C holds. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass_testing.h"

static const ol_pass_def *pass = &ol_pass_fuse_matmul_add;

/* x[M, 4] @ w[4, 3] + c, with M symbolic when `symbolic`. */
static ol_model *matmul_add(const int64_t *c_dims, int c_rank, bool bias_first, bool symbolic)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(2, 4), symbolic ? (const char *const[]){"M",
                           NULL} : NULL);
    ol_node *mm = IRB_NODE(g, "MatMul", "matmul", "p", x, pt_random_weight(g, "w", -1, 1, IRB_DIMS(4, 3)));
    ol_value *c = pt_random_weight(g, "c", -1, 1, c_rank, c_dims);
    ol_node *add = bias_first ? IRB_NODE(g, "Add", "add", "y", c, mm->outputs[0])
                              : IRB_NODE(g, "Add", "add", "y", mm->outputs[0], c);
    irb_output(g, add->outputs[0]);
    return model;
}

static void check(ol_model *model, bool fused)
{
    ol_model *before = pt_clone(model);
    cr_assert_eq(pt_run_settled(pass, model, NULL), fused);
    ol_graph *g = model->graph;
    cr_assert_eq(ptest_count_ops(g, "Gemm"), fused ? 1 : 0);
    cr_assert_eq(ol_graph_live_node_count(g), fused ? 1 : 2);
    if (fused) {
        ol_node *gemm = pt_producer(pt_output(g, "y"));
        cr_assert_str_eq(gemm->op_type, "Gemm");
        cr_assert_str_eq(gemm->name, "matmul");
        cr_assert_str_eq(gemm->inputs[2]->name, "c");
    }
    pt_assert_same_outputs(before, model);
    ol_model_destroy(before);
    ol_model_destroy(model);
}

Test(fuse_matmul_add, row_bias) { check(matmul_add((int64_t[]){3}, 1, false, false), true); }
Test(fuse_matmul_add, bias_first_with_symbolic_rows)
{
    check(matmul_add((int64_t[]){1, 3}, 2, true, true), true);
}
Test(fuse_matmul_add, full_bias) { check(matmul_add((int64_t[]){2, 3}, 2, false, false), true); }
Test(fuse_matmul_add, column_bias) { check(matmul_add((int64_t[]){2, 1}, 2, false, false), true); }
Test(fuse_matmul_add, scalar_bias) { check(matmul_add(NULL, 0, false, false), true); }
/* The Add would broadcast the product up to [5, 2, 3]: Gemm cannot. */
Test(fuse_matmul_add, bias_that_grows_the_product_stays)
{
    check(matmul_add((int64_t[]){5, 1, 3}, 3, false, false), false);
}
/* Rows of the bias cannot be proven equal to a symbolic M. */
Test(fuse_matmul_add, full_bias_with_symbolic_rows_stays)
{
    check(matmul_add((int64_t[]){2, 3}, 2, false, true), false);
}

Test(fuse_matmul_add, batched_matmul_and_shared_product_stay)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 2, 4));
    ol_node *batched = IRB_NODE(g, "MatMul", "batched", "p3", x, pt_random_weight(g, "w", -1, 1,
                                IRB_DIMS(4, 3)));
    irb_output(g, IRB_NODE(g, "Add", "add3", "y3", batched->outputs[0],
                           pt_random_weight(g, "c3", -1, 1, IRB_DIMS(3)))->outputs[0]);
    ol_value *x2 = irb_input(g, "x2", IRB_DIMS(2, 4));
    ol_node *shared = IRB_NODE(g, "MatMul", "shared", "p2", x2, pt_random_weight(g, "w2", -1, 1,
                               IRB_DIMS(4, 3)));
    irb_output(g, IRB_NODE(g, "Add", "add2", "y2", shared->outputs[0],
                           pt_random_weight(g, "c2", -1, 1, IRB_DIMS(3)))->outputs[0]);
    irb_output(g, shared->outputs[0]);
    cr_assert_not(pt_run(pass, model, NULL));
    cr_assert_eq(ptest_count_ops(g, "Gemm"), 0);
    ol_model_destroy(model);
}
