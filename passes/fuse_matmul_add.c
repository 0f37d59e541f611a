/* fuse-matmul-add: Add(MatMul(A, B), C) becomes Gemm(A, B, C) where Gemm means the same thing: A and
 * B of rank 2, and C broadcasting to the [M, N] product without growing it (Gemm broadcasts C one
 * way only; Add would broadcast both ways). The MatMul's output must be read by the Add alone. */
#include <string.h>

#include "pass_util.h"
#include "pass/builtin_passes.h"

static bool rank2(const ol_value *v)
{
    return v && v->type.kind == OL_TYPE_TENSOR && v->type.rank == 2;
}

/* Dim `d` of C (size 1 or the same as `product` dim) keeps the product's size. */
static bool dim_fits(const ol_dim *c, const ol_dim *product)
{
    if (c->value == 1)
        return true;
    if (c->value >= 0)
        return c->value == product->value;
    return c->param && product->param && strcmp(c->param, product->param) == 0;
}

/* C broadcasts unidirectionally to the product's [M, N]. */
static bool bias_fits(const ol_value *c, const ol_value *product)
{
    const ol_type *t = &c->type;
    if (t->kind != OL_TYPE_TENSOR || t->rank < 0 || t->rank > 2 || !rank2(product))
        return false;
    for (int d = 0; d < t->rank; d++)
        if (!dim_fits(&t->dims[d], &product->type.dims[2 - t->rank + d]))
            return false;
    return true;
}

static bool gemm_dtype(ol_dtype dtype, int64_t opset)
{
    return dtype == OL_FLOAT || dtype == OL_DOUBLE || dtype == OL_FLOAT16 ||
           (dtype == OL_BFLOAT16 && opset >= 13);
}

static ol_status fuse_add(ol_graph *graph, ol_node *add, bool *changed, ol_error *err)
{
    if (!pass_is_op(add, "Add") || add->n_inputs != 2 || add->n_outputs != 1 || !add->outputs[0] ||
        add->opset < 7)
        return OL_OK;
    for (int k = 0; k < 2; k++) {
        ol_value *product = add->inputs[k], *c = add->inputs[1 - k];
        ol_node *matmul = product ? product->producer : NULL;
        if (!pass_is_op(matmul, "MatMul") || !pass_single_use_by(product, add) || !c || c == product ||
            !rank2(matmul->inputs[0]) || !rank2(matmul->inputs[1]) || !bias_fits(c, product) ||
            !gemm_dtype(pass_elem_type(product), add->opset) ||
            pass_elem_type(c) != pass_elem_type(product))
            continue;
        ol_value *y = add->outputs[0];
        ol_graph_erase_node(graph, add);   /* frees y to be produced by the Gemm */
        ol_node *gemm = ol_graph_add_node(graph, "Gemm", "", matmul->name, err);
        ol_status st = gemm ? OL_OK : OL_ERR_NOMEM;
        if (st == OL_OK)
            st = ol_node_add_input(gemm, matmul->inputs[0], err);
        if (st == OL_OK)
            st = ol_node_add_input(gemm, matmul->inputs[1], err);
        if (st == OL_OK)
            st = ol_node_add_input(gemm, c, err);
        if (st == OL_OK)
            st = ol_node_add_output(gemm, y, err);
        if (st == OL_OK)
            st = pass_erase_node(graph, matmul, err);
        *changed = true;
        return st;
    }
    return OL_OK;
}

static ol_status fuse_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_status st = fuse_add(graph, graph->nodes[i], changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run_fuse_matmul_add(ol_model *model, const ol_option_values *options, bool *changed,
                                     ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, fuse_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_fuse_matmul_add = {
    OL_PASS_DEF_VERSION,
    .name = "fuse-matmul-add",
    .description = "turn Add(MatMul(A, B), C) with 2-D A and B into Gemm(A, B, C)",
    .flags = OL_PASS_LOSSLESS | OL_PASS_NEEDS_SHAPES | OL_PASS_PRESERVES_SHAPES,
    .run = run_fuse_matmul_add,
};
