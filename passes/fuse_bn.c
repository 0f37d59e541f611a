/* fuse-bn: an inference BatchNormalization is the per-channel affine map y = x * s + t with
 * s = scale / sqrt(var + epsilon) and t = B - mean * s. Following a Conv, ConvTranspose or Gemm whose
 * output it alone reads, it is folded into that layer's weights and bias (computed in double, rounded
 * once); failing that, into the Conv (without padding) or Gemm that alone reads its output, whose
 * weights absorb s and whose bias absorbs the weights summed against t. A BatchNormalization with
 * neither stays: as one node it is cheaper than the Mul and Add it equals (the BN of a DenseNet after
 * each Concat). With `decompose` it becomes that Mul and Add anyway, for runtimes without it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linear_fold.h"
#include "pass_tensor.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

typedef struct bn_params {
    int64_t channels;
    double *scale, *shift;
} bn_params;

static void bn_params_free(bn_params *p)
{
    free(p->scale);
    free(p->shift);
}

/* The node is a BatchNormalization computing with its running statistics, and only Y is read. */
static bool inference_bn(const ol_node *node)
{
    if (!pass_is_op(node, "BatchNormalization") || node->opset < 6 || node->n_inputs != 5)
        return false;
    if (node->opset < 7 && ol_node_attr_int(node, "is_test", 0) == 0)
        return false;
    if (node->opset < 9 && ol_node_attr_int(node, "spatial", 1) != 1)
        return false;
    if (node->opset >= 14 && ol_node_attr_int(node, "training_mode", 0) != 0)
        return false;
    if (pass_output_unused(node, 0))
        return false;   /* dead: eliminate-dead's business */
    for (size_t k = 1; k < node->n_outputs; k++)
        if (!pass_output_unused(node, k))
            return false;
    return true;
}

/* s and t from constant scale, B, mean and var (all 1-D of the same length). */
static ol_status read_params(const ol_node *node, bn_params *p, bool *ok, ol_error *err)
{
    *p = (bn_params){0};
    *ok = false;
    const ol_tensor *t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = pass_constant(node->inputs[i + 1]);
        if (!t[i] || t[i]->rank != 1 || !pass_dtype_is_float(t[i]->dtype) ||
            t[i]->dims[0] != t[0]->dims[0])
            return OL_OK;
    }
    p->channels = t[0]->dims[0];
    p->scale = malloc((size_t)(p->channels ? p->channels : 1) * sizeof *p->scale);
    p->shift = malloc((size_t)(p->channels ? p->channels : 1) * sizeof *p->shift);
    if (!p->scale || !p->shift) {
        bn_params_free(p);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    double eps = ol_node_attr_float(node, "epsilon", 1e-5f);
    for (int64_t c = 0; c < p->channels; c++) {
        double s = pass_tensor_get(t[0], c) / sqrt(pass_tensor_get(t[3], c) + eps);
        p->scale[c] = s;
        p->shift[c] = pass_tensor_get(t[1], c) - pass_tensor_get(t[2], c) * s;
    }
    *ok = true;
    return OL_OK;
}

/* Folds into the producing layer; *done false when there is none to fold into. */
static ol_status fold_into_layer(ol_graph *graph, ol_node *bn, const bn_params *p, bool *done,
                                 ol_error *err)
{
    *done = false;
    ol_value *x = bn->inputs[0], *y = bn->outputs[0];
    linear_layer layer;
    if (!x->producer || !pass_single_use_by(x, bn) || !linear_layer_match(x->producer, &layer) ||
        layer.out_channels != p->channels || !pass_can_replace(y, x))
        return OL_OK;
    ol_status st = linear_layer_fold_affine(graph, &layer, p->scale, p->shift, err);
    if (st == OL_OK)
        st = ol_value_replace_all_uses(y, x, err);
    if (st == OL_OK)
        st = pass_erase_node(graph, bn, err);
    *done = true;
    return st;
}

/* Folds into the layer that alone reads Y; *done false when there is none. */
static ol_status fold_into_next(ol_graph *graph, ol_node *bn, const bn_params *p, bool *done, ol_error *err)
{
    *done = false;
    ol_value *x = bn->inputs[0], *y = bn->outputs[0];
    linear_layer layer;
    if (y->n_uses != 1 || y->is_output || y->uses[0].index != 0 ||
        !linear_layer_match(y->uses[0].node, &layer) || !linear_layer_takes_input_affine(&layer) ||
        layer.in_channels != p->channels || x->type.kind != OL_TYPE_TENSOR || x->type.rank != layer.rank)
        return OL_OK;
    ol_status st = linear_layer_fold_input_affine(graph, &layer, p->scale, p->shift, err);
    if (st == OL_OK)
        st = ol_node_set_input(layer.node, 0, x, err);
    if (st == OL_OK)
        st = pass_erase_node(graph, bn, err);
    *done = true;
    return st;
}

/* A [C, 1, ..., 1] constant of `dtype` broadcasting along axis 1 of a rank-`rank` tensor. */
static ol_value *channel_constant(ol_graph *graph, const char *hint, ol_dtype dtype, int rank,
                                  const bn_params *p, const double *values, ol_error *err)
{
    int64_t dims[OL_MAX_RANK];
    dims[0] = p->channels;
    for (int d = 1; d < rank - 1; d++)
        dims[d] = 1;
    ol_tensor *t = pass_tensor_from_doubles(dtype, rank - 1, dims, values, err);
    return t ? pass_add_initializer(graph, hint, t, err) : NULL;
}

static ol_node *binary_node(ol_graph *graph, const char *op, const char *name, ol_value *a, ol_value *b,
                            ol_error *err)
{
    ol_node *node = ol_graph_add_node(graph, op, "", name, err);
    if (!node || ol_node_add_input(node, a, err) != OL_OK || ol_node_add_input(node, b, err) != OL_OK)
        return NULL;
    return node;
}

/* Y = X * s + t as two nodes; the Add produces Y itself, so names and types stay. */
static ol_status decompose(ol_graph *graph, ol_node *bn, const bn_params *p, bool *changed, ol_error *err)
{
    ol_value *x = bn->inputs[0], *y = bn->outputs[0];
    int rank = x->type.kind == OL_TYPE_TENSOR ? x->type.rank : -1;
    ol_dtype dtype = pass_elem_type(x);
    if (rank < 2 || !pass_dtype_is_float(dtype) || (x->type.dims[1].value >= 0 &&
                                                   x->type.dims[1].value != p->channels))
        return OL_OK;
    const char *base = bn->name && *bn->name ? bn->name : y->name;
    size_t len = strlen(base) + 8;
    char *name = malloc(len);
    if (!name)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_status st = OL_ERR_NOMEM;
    snprintf(name, len, "%s_scale", base);
    ol_value *s = channel_constant(graph, name, dtype, rank, p, p->scale, err);
    snprintf(name, len, "%s_shift", base);
    ol_value *t = s ? channel_constant(graph, name, dtype, rank, p, p->shift, err) : NULL;
    if (t) {
        ol_graph_erase_node(graph, bn);   /* frees y to be produced by the Add */
        snprintf(name, len, "%s_scale", base);
        ol_node *mul = binary_node(graph, "Mul", name, x, s, err);
        ol_value *scaled = mul ? ol_node_new_output(mul, NULL, err) : NULL;
        snprintf(name, len, "%s_shift", base);
        ol_node *add = scaled ? binary_node(graph, "Add", name, scaled, t, err) : NULL;
        st = add ? ol_node_add_output(add, y, err) : OL_ERR_NOMEM;
        if (st == OL_OK && ol_type_copy(&scaled->type, &y->type) != 0)
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        if (st == OL_OK)
            st = pass_erase_node(graph, bn, err);   /* drops its unused outputs and parameters */
    }
    free(name);
    *changed = true;
    return st;
}

static ol_status fuse_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    const bool *decompose_rest = ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *bn = graph->nodes[i];
        if (!inference_bn(bn))
            continue;
        bn_params p;
        bool ok, done = false;
        ol_status st = read_params(bn, &p, &ok, err);
        if (st == OL_OK && ok)
            st = fold_into_layer(graph, bn, &p, &done, err);
        if (st == OL_OK && ok && !done)
            st = fold_into_next(graph, bn, &p, &done, err);
        if (st == OL_OK && ok && !done && *decompose_rest)
            st = decompose(graph, bn, &p, changed, err);
        *changed |= done;
        bn_params_free(&p);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static const ol_pass_option fuse_bn_options[] = {
    {"decompose", OL_OPTION_BOOL, "false",
     "rewrite a BatchNormalization with no layer to fold into as Mul and Add (one node more)", NULL},
};

static ol_status run_fuse_bn(ol_model *model, const ol_option_values *options, bool *changed,
                             ol_error *err)
{
    bool decompose_rest = ol_option_bool(options, "decompose");
    return pass_for_each_graph(model, fuse_graph, &decompose_rest, changed, err);
}

const ol_pass_def ol_pass_fuse_bn = {
    OL_PASS_DEF_VERSION,
    .name = "fuse-bn",
    .description = "fold inference BatchNormalization into the preceding Conv/ConvTranspose/Gemm "
                   "or the following unpadded Conv/Gemm",
    .options = fuse_bn_options,
    .n_options = sizeof fuse_bn_options / sizeof *fuse_bn_options,
    .flags = OL_PASS_LOSSLESS | OL_PASS_NEEDS_SHAPES | OL_PASS_PRESERVES_SHAPES,
    .run = run_fuse_bn,
};
