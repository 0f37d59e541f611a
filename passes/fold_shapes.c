/* fold-shapes: the shape subgraphs of PyTorch exports (Shape -> Gather -> Unsqueeze -> Concat ->
 * Reshape, with Cast/Slice/Squeeze and integer arithmetic in between) are evaluated symbolically.
 * A shape tensor whose elements are all known becomes a constant. A Reshape target that still holds
 * symbolic dims becomes a constant too when each of them is the data's own dim at the same position
 * (written 0, "copy") or when only one remains (written -1, "infer"): the batch-symbolic case. The
 * Shape/Gather/... nodes this disconnects are removed. */
#include <stdlib.h>
#include <string.h>

#include "pass_tensor.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"
#include "shape_eval.h"

/* The Reshape target as constant ints, or false when some element cannot be written as a number, 0
 * or -1. */
static bool reshape_target(const ol_node *node, const sym_vec *vec, int64_t *out)
{
    const ol_value *data = node->inputs[0];
    int rank = data->type.kind == OL_TYPE_TENSOR ? data->type.rank : -1;
    int unresolved = -1, n_infer = 0;
    for (size_t i = 0; i < vec->n; i++) {
        const sym_elem *e = &vec->e[i];
        if (e->kind == SYM_INT) {
            out[i] = e->value;
            n_infer += e->value == -1;
        } else if (e->kind == SYM_DIM && (int)i < rank && sym_elem_is_dim(e, data, (int)i)) {
            out[i] = 0;
        } else {
            unresolved = (int)i;
            n_infer++;
        }
    }
    if (n_infer > 1)
        return false;
    if (unresolved >= 0)
        out[unresolved] = -1;
    return true;
}

static ol_status rewrite_reshape(ol_graph *graph, ol_node *node, const shape_eval *eval, bool *changed,
                                 ol_error *err)
{
    ol_value *shape = pass_input(node, 1);
    if (!pass_is_op(node, "Reshape") || node->opset < 5 || !pass_input(node, 0) || !shape ||
        pass_constant(shape))
        return OL_OK;
    /* With allowzero, 0 is a zero-sized dim, not "copy". */
    if (node->opset >= 14 && ol_node_attr_int(node, "allowzero", 0) != 0)
        return OL_OK;
    const sym_vec *vec = shape_eval_get(eval, shape);
    int64_t target[OL_MAX_RANK];
    if (!vec->known || vec->rank != 1 || sym_vec_static(vec) || !reshape_target(node, vec, target))
        return OL_OK;   /* a fully known target is folded with the other static values */
    int64_t n = (int64_t)vec->n;
    ol_tensor *t = pass_tensor_from_ints(OL_INT64, 1, &n, target, err);
    ol_value *init = t ? pass_add_initializer(graph, shape->name, t, err) : NULL;
    if (!init)
        return OL_ERR_NOMEM;
    ol_status st = ol_node_set_input(node, 1, init, err);
    if (st == OL_OK)
        st = pass_drop_if_unused(graph, shape, err);
    *changed = true;
    return st;
}

/* Replaces the value by a constant when every element is known; consumers first, so only the last
 * value of a chain becomes a constant and the rest of the chain goes with the dead nodes. */
static ol_status fold_static(ol_graph *graph, ol_node *node, const shape_eval *eval, bool *changed,
                             ol_error *err)
{
    if (node->erased || !pass_is_onnx(node) || strcmp(node->op_type, "Constant") == 0 ||
        pass_output_unused(node, 0))
        return OL_OK;
    ol_value *out = node->outputs[0];
    const sym_vec *vec = shape_eval_get(eval, out);
    if (!sym_vec_static(vec))
        return OL_OK;
    int64_t values[OL_MAX_RANK], n = (int64_t)vec->n;
    for (size_t i = 0; i < vec->n; i++)
        values[i] = vec->e[i].value;
    ol_tensor *t = pass_tensor_from_ints(vec->dtype, vec->rank, &n, values, err);
    if (!t)
        return OL_ERR_NOMEM;
    *changed = true;
    return pass_replace_with_constant(graph, out, t, err);
}

static ol_status fold_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    shape_eval eval;
    ol_status st = shape_eval_run(&eval, graph, err);
    for (size_t i = 0; i < graph->n_nodes && st == OL_OK; i++)
        if (!graph->nodes[i]->erased)
            st = rewrite_reshape(graph, graph->nodes[i], &eval, changed, err);
    for (size_t i = graph->n_nodes; i-- > 0 && st == OL_OK;)
        st = fold_static(graph, graph->nodes[i], &eval, changed, err);
    shape_eval_clear(&eval);
    return st;
}

static ol_status run_fold_shapes(ol_model *model, const ol_option_values *options, bool *changed,
                                 ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, fold_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_fold_shapes = {
    OL_PASS_DEF_VERSION,
    .name = "fold-shapes",
    .description = "evaluate Shape/Gather/Unsqueeze/Concat shape computations: static ones become "
                   "constants, batch-symbolic Reshape targets become 0/-1 constants",
    .flags = OL_PASS_LOSSLESS | OL_PASS_NEEDS_SHAPES | OL_PASS_PRESERVES_SHAPES,
    .run = run_fold_shapes,
};
