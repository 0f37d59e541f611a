/* fold-scale-into-conv: Mul, Add, Sub and Div by a per-channel constant next to a Conv,
 * ConvTranspose or Gemm are folded into its weights and bias.
 *
 * After the layer, y * c, y / c, y + c, y - c and c - y are per-output-channel affine maps (see
 * linear_fold.h). Before it, x * c and x / c scale input channels, which the weights absorb even with
 * zero padding (a zero stays zero); x + c before a padded layer does not commute with the padding and
 * is left alone. The constant must not broadcast the tensor to a bigger shape. */
#include <stdlib.h>
#include <string.h>

#include "linear_fold.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

typedef enum scale_op { OP_NONE, OP_MUL, OP_ADD, OP_SUB, OP_DIV } scale_op;

static scale_op op_of(const ol_node *node)
{
    if (!pass_is_onnx(node) || node->n_inputs != 2 || node->n_outputs != 1 || !node->outputs[0])
        return OP_NONE;
    static const char *const names[] = {"Mul", "Add", "Sub", "Div"};
    for (int i = 0; i < 4; i++)
        if (strcmp(node->op_type, names[i]) == 0)
            return (scale_op)(i + 1);
    return OP_NONE;
}

/* The index (0 or 1) of the operand `node` may fold into a layer it reads from / feeds, with the
 * constant at the other index; -1 when neither works for `op`. */
static int tensor_operand(const ol_node *node, scale_op op)
{
    bool c0 = pass_constant(node->inputs[0]) != NULL, c1 = pass_constant(node->inputs[1]) != NULL;
    if (c1 && !c0)
        return 0;
    if (c0 && !c1 && op != OP_DIV)
        return 1;
    return -1;
}

/* y op c after the layer that produces y. */
static ol_status fold_after(ol_graph *graph, ol_node *node, scale_op op, bool *changed, ol_error *err)
{
    int k = tensor_operand(node, op);
    ol_value *y = k >= 0 ? node->inputs[k] : NULL, *z = node->outputs[0];
    linear_layer layer;
    if (!y || !y->producer || !pass_single_use_by(y, node) || !linear_layer_match(y->producer, &layer) ||
        !pass_can_replace(z, y))
        return OL_OK;
    int64_t n = layer.out_channels;
    double *c = malloc((size_t)(n ? n : 1) * sizeof *c), *scale = NULL, *shift = NULL;
    if (!c)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    bool ok = channel_values(pass_constant(node->inputs[1 - k]), layer.rank, 1, n, c);
    for (int64_t i = 0; ok && i < n; i++) {
        if (op == OP_DIV)
            ok = c[i] != 0;
        if (op == OP_DIV && ok)
            c[i] = 1 / c[i];
        else if (op == OP_SUB && k == 0)
            c[i] = -c[i];   /* y - c */
    }
    double *minus_one = NULL;
    if (ok && op == OP_SUB && k == 1) {   /* c - y = -1 * y + c */
        if (!(minus_one = malloc((size_t)(n ? n : 1) * sizeof *minus_one))) {
            free(c);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
        for (int64_t i = 0; i < n; i++)
            minus_one[i] = -1;
    }
    scale = op == OP_MUL || op == OP_DIV ? c : minus_one;
    shift = op == OP_ADD || op == OP_SUB ? c : NULL;
    ol_status st = OL_OK;
    if (ok) {
        st = linear_layer_fold_affine(graph, &layer, scale, shift, err);
        if (st == OL_OK)
            st = ol_value_replace_all_uses(z, y, err);
        if (st == OL_OK)
            st = pass_erase_node(graph, node, err);
        *changed = true;
    }
    free(c);
    free(minus_one);
    return st;
}

/* x * c or x / c read only by the layer, as its data input. */
static ol_status fold_before(ol_node *node, scale_op op, bool *changed, ol_error *err)
{
    int k = tensor_operand(node, op);
    ol_value *x = k >= 0 ? node->inputs[k] : NULL, *z = node->outputs[0];
    linear_layer layer;
    if (!x || (op != OP_MUL && op != OP_DIV) || z->n_uses != 1 || z->is_output ||
        z->uses[0].index != 0 || !linear_layer_match(z->uses[0].node, &layer))
        return OL_OK;
    /* x must already have the shape the layer reads: the constant may not broadcast it. */
    int axis = layer.kind == LINEAR_GEMM && layer.trans_a ? 0 : 1;
    if (x->type.kind != OL_TYPE_TENSOR || x->type.rank != layer.rank ||
        x->type.dims[axis].value != layer.in_channels)
        return OL_OK;
    int64_t n = layer.in_channels;
    double *c = malloc((size_t)(n ? n : 1) * sizeof *c);
    if (!c)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    bool ok = channel_values(pass_constant(node->inputs[1 - k]), layer.rank, axis, n, c);
    for (int64_t i = 0; ok && op == OP_DIV && i < n; i++)
        if ((ok = c[i] != 0))
            c[i] = 1 / c[i];
    ol_status st = OL_OK;
    if (ok) {
        st = linear_layer_scale_inputs(&layer, c, err);
        if (st == OL_OK)
            st = ol_node_set_input(layer.node, 0, x, err);
        if (st == OL_OK)
            st = pass_erase_node(node->graph, node, err);
        *changed = true;
    }
    free(c);
    return st;
}

static ol_status fold_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        scale_op op = node->erased ? OP_NONE : op_of(node);
        if (op == OP_NONE)
            continue;
        ol_status st = fold_after(graph, node, op, changed, err);
        if (st == OL_OK && !node->erased)
            st = fold_before(node, op, changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run_fold_scale(ol_model *model, const ol_option_values *options, bool *changed,
                                ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, fold_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_fold_scale_into_conv = {
    OL_PASS_DEF_VERSION,
    .name = "fold-scale-into-conv",
    .description = "fold Mul/Add/Sub/Div by per-channel constants into the weights of the adjacent "
                   "Conv/ConvTranspose/Gemm",
    .flags = OL_PASS_LOSSLESS | OL_PASS_NEEDS_SHAPES | OL_PASS_FIXPOINT | OL_PASS_PRESERVES_SHAPES,
    .run = run_fold_scale,
};
