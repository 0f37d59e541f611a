/* merge-reshapes: a Reshape, Flatten, Squeeze or Unsqueeze of the output of another one only moves
 * the same elements again, so the outer one may read the inner one's input directly: a Reshape keeps
 * its target when that target means the same thing applied to the original input, and any of them
 * becomes a Reshape to its output's static shape. The inner node goes when nothing else reads it. */
#include <string.h>

#include "pass_tensor.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

static bool shape_only(const ol_node *node)
{
    if (!node || node->erased || !pass_is_onnx(node) || node->n_outputs != 1 || !node->outputs[0] ||
        !pass_input(node, 0))
        return false;
    const char *op = node->op_type;
    return (strcmp(op, "Reshape") == 0 && node->opset >= 5) || strcmp(op, "Flatten") == 0 ||
           strcmp(op, "Squeeze") == 0 || strcmp(op, "Unsqueeze") == 0;
}

static bool allows_zero(const ol_node *reshape)
{
    return reshape->opset >= 14 && ol_node_attr_int(reshape, "allowzero", 0) != 0;
}

/* A Reshape's constant target (false when not constant). */
static bool target_of(const ol_node *reshape, int64_t *shape, size_t *n)
{
    return pass_tensor_ints(pass_constant(pass_input(reshape, 1)), shape, OL_MAX_RANK, n);
}

/* The outer Reshape's constant target rewritten to mean the same when applied to the inner node's
 * input: a 0 ("copy dim i of my input") is replaced by what dim i of the intermediate is. */
static bool retarget(const ol_node *outer, const ol_node *inner, int64_t *shape, size_t *n)
{
    if (!target_of(outer, shape, n))
        return false;
    if (allows_zero(outer))
        return true;   /* 0 is a literal zero-sized dim */
    const ol_value *mid = inner->outputs[0];
    int64_t inner_shape[OL_MAX_RANK];
    size_t n_inner = 0;
    bool inner_reshape = strcmp(inner->op_type, "Reshape") == 0 && !allows_zero(inner) &&
                         target_of(inner, inner_shape, &n_inner);
    for (size_t i = 0; i < *n; i++) {
        if (shape[i] != 0)
            continue;
        if (mid->type.kind == OL_TYPE_TENSOR && (int)i < mid->type.rank && mid->type.dims[i].value > 0)
            shape[i] = mid->type.dims[i].value;
        else if (inner_reshape && i < n_inner && inner_shape[i] > 0)
            shape[i] = inner_shape[i];
        else if (!(inner_reshape && i < n_inner && inner_shape[i] == 0))
            return false;   /* unknown; a 0 over a 0 copies the same input dim and stays */
    }
    return true;
}

/* The outer node's output as a static target without zeros (a 0 would mean "copy"). */
static bool static_target(const ol_node *outer, int64_t *shape, size_t *n)
{
    int rank;
    if (!pass_static_shape(outer->outputs[0], &rank, shape))
        return false;
    for (int d = 0; d < rank; d++)
        if (shape[d] == 0)
            return false;
    *n = (size_t)rank;
    return true;
}

static ol_status merge(ol_graph *graph, ol_node *outer, bool *changed, ol_error *err)
{
    if (!shape_only(outer))
        return OL_OK;
    ol_value *mid = outer->inputs[0];
    ol_node *inner = mid->producer;
    if (!shape_only(inner))
        return OL_OK;
    bool is_reshape = strcmp(outer->op_type, "Reshape") == 0;
    int64_t shape[OL_MAX_RANK];
    size_t n;
    bool same_target = is_reshape && retarget(outer, inner, shape, &n);
    if (!same_target && (!static_target(outer, shape, &n) || outer->opset < 5))
        return OL_OK;
    ol_value *target = pass_input(outer, 1);
    int64_t old[OL_MAX_RANK];
    size_t n_old;
    bool keep_target = is_reshape && target_of(outer, old, &n_old) && n_old == n &&
                       memcmp(old, shape, n * sizeof *shape) == 0;
    if (!keep_target) {
        int64_t len = (int64_t)n;
        ol_tensor *t = pass_tensor_from_ints(OL_INT64, 1, &len, shape, err);
        target = t ? pass_add_initializer(graph, outer->outputs[0]->name, t, err) : NULL;
        if (!target)
            return OL_ERR_NOMEM;
    }
    ol_status st = OL_OK;
    ol_value *source = inner->inputs[0];
    if (!is_reshape) {   /* Flatten/Squeeze/Unsqueeze: a Reshape takes over its output */
        ol_graph_erase_node(graph, outer);
        ol_node *reshape = ol_graph_add_node(graph, "Reshape", "", outer->name, err);
        st = !reshape ? OL_ERR_NOMEM : ol_node_add_input(reshape, source, err);
        if (st == OL_OK)
            st = ol_node_add_input(reshape, target, err);
        if (st == OL_OK)
            st = ol_node_add_output(reshape, outer->outputs[0], err);
        if (st == OL_OK)
            st = pass_drop_unused_inputs(graph, outer, err);   /* the intermediate, axes */
    } else {
        ol_value *old_target = outer->inputs[1];
        st = ol_node_set_input(outer, 0, source, err);
        if (st == OL_OK && !keep_target)
            st = ol_node_set_input(outer, 1, target, err);
        if (st == OL_OK)
            st = pass_drop_if_unused(graph, old_target, err);
        if (st == OL_OK)
            st = pass_drop_if_unused(graph, mid, err);
    }
    *changed = true;
    return st;
}

static ol_status merge_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_status st = merge(graph, graph->nodes[i], changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run_merge_reshapes(ol_model *model, const ol_option_values *options, bool *changed,
                                    ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, merge_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_merge_reshapes = {
    OL_PASS_DEF_VERSION,
    .name = "merge-reshapes",
    .description = "let a Reshape/Flatten/Squeeze/Unsqueeze of another one read the original input",
    .flags = OL_PASS_LOSSLESS | OL_PASS_NEEDS_SHAPES | OL_PASS_FIXPOINT | OL_PASS_PRESERVES_SHAPES,
    .run = run_merge_reshapes,
};
