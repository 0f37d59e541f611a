/* Per-channel rewrites of Conv, ConvTranspose and Gemm weights. */
#include "linear_fold.h"

#include <stdlib.h>
#include <string.h>

#include "pass_tensor.h"
#include "pass_util.h"

/* The tensor behind a constant input, writable: an initializer's, or a Constant node's attribute. */
static ol_tensor *owned_tensor(ol_value *value)
{
    if (value->constant)
        return value->constant;
    return (ol_tensor *)ol_value_constant(value);
}

/* A constant float input read only by `node`, of this graph (an outer value may have other readers
 * in the enclosing graph). */
static bool private_constant(const ol_value *value, const ol_node *node, ol_dtype *dtype)
{
    const ol_tensor *t = pass_constant(value);
    if (!t || value->outer || !pass_single_use_by(value, node) || !pass_dtype_is_float(t->dtype))
        return false;
    if (value->producer && value->producer->n_outputs != 1)
        return false;
    if (*dtype != OL_UNDEFINED && t->dtype != *dtype)
        return false;
    *dtype = t->dtype;
    return true;
}

bool linear_layer_match(ol_node *node, linear_layer *out)
{
    if (node->erased || !pass_is_onnx(node) || node->n_outputs != 1)
        return false;
    linear_kind kind;
    if (strcmp(node->op_type, "Conv") == 0)
        kind = LINEAR_CONV;
    else if (strcmp(node->op_type, "ConvTranspose") == 0)
        kind = LINEAR_CONV_TRANSPOSE;
    else if (strcmp(node->op_type, "Gemm") == 0 && node->opset >= 7)   /* C broadcasts since 7 */
        kind = LINEAR_GEMM;
    else
        return false;
    *out = (linear_layer){.node = node, .kind = kind, .dtype = OL_UNDEFINED};
    out->weight = pass_input(node, 1);
    out->bias = pass_input(node, 2);
    if (!out->weight || !private_constant(out->weight, node, &out->dtype) ||
        (out->bias && !private_constant(out->bias, node, &out->dtype)))
        return false;
    const ol_tensor *w = pass_constant(out->weight);
    if (kind == LINEAR_GEMM) {
        if (w->rank != 2)
            return false;
        out->trans_a = ol_node_attr_int(node, "transA", 0) != 0;
        out->trans_b = ol_node_attr_int(node, "transB", 0) != 0;
        out->beta = ol_node_attr_float(node, "beta", 1.0f);
        out->rank = 2;
        out->in_channels = w->dims[out->trans_b ? 1 : 0];
        out->out_channels = w->dims[out->trans_b ? 0 : 1];
        out->group = 1;
        return true;
    }
    out->group = ol_node_attr_int(node, "group", 1);
    if (w->rank < 3 || out->group < 1)
        return false;
    out->rank = w->rank;
    if (kind == LINEAR_CONV) {
        out->out_channels = w->dims[0];
        out->in_channels = w->dims[1] * out->group;
    } else {
        out->in_channels = w->dims[0];
        out->out_channels = w->dims[1] * out->group;
    }
    if (out->out_channels % out->group || out->in_channels % out->group)
        return false;
    const ol_tensor *b = out->bias ? pass_constant(out->bias) : NULL;
    return !b || (b->rank == 1 && b->dims[0] == out->out_channels);
}

/* Element count of one "row" of W below its first two axes (the kernel window). */
static int64_t window_size(const ol_tensor *w)
{
    int64_t n = 1;
    for (int d = 2; d < w->rank; d++)
        n *= w->dims[d];
    return n;
}

/* Factor of W element i for output-channel scales (ConvTranspose's output channel is its W axis 1,
 * offset by the group of input channel W axis 0). */
static double out_factor(const linear_layer *l, const ol_tensor *w, int64_t i, const double *scale)
{
    switch (l->kind) {
    case LINEAR_CONV:
        return scale[i / (w->dims[1] * window_size(w))];
    case LINEAR_CONV_TRANSPOSE: {
        int64_t per_row = w->dims[1] * window_size(w);
        int64_t ic = i / per_row, j = (i % per_row) / window_size(w);
        int64_t group_of_ic = ic / (l->in_channels / l->group);
        return scale[group_of_ic * w->dims[1] + j];
    }
    case LINEAR_GEMM:
        return scale[l->trans_b ? i / w->dims[1] : i % w->dims[1]];
    }
    return 1;
}

static double in_factor(const linear_layer *l, const ol_tensor *w, int64_t i, const double *scale)
{
    switch (l->kind) {
    case LINEAR_CONV: {
        int64_t per_row = w->dims[1] * window_size(w);
        int64_t m = i / per_row, c = (i % per_row) / window_size(w);
        int64_t group_of_m = m / (l->out_channels / l->group);
        return scale[group_of_m * w->dims[1] + c];
    }
    case LINEAR_CONV_TRANSPOSE:
        return scale[i / (w->dims[1] * window_size(w))];
    case LINEAR_GEMM:
        return scale[l->trans_b ? i % w->dims[1] : i / w->dims[1]];
    }
    return 1;
}

/* W[i] *= factor(i), computed in double and rounded once. */
static ol_status scale_weight(const linear_layer *l, const double *scale, bool per_output, ol_error *err)
{
    ol_tensor *w = owned_tensor(l->weight);
    int64_t n = ol_tensor_numel(w);
    double *values = pass_tensor_to_doubles(w, err);
    if (!values)
        return OL_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        values[i] *= per_output ? out_factor(l, w, i, scale) : in_factor(l, w, i, scale);
    void *data = ol_tensor_mutable_data(w, err);
    if (data)
        for (int64_t i = 0; i < n; i++)
            pass_store(data, w->dtype, i, values[i]);
    free(values);
    return data ? OL_OK : OL_ERR_NOMEM;
}

/* Conv/ConvTranspose bias: b * scale + shift, added when missing. */
static ol_status fold_conv_bias(ol_graph *graph, linear_layer *l, const double *scale, const double *shift,
                                ol_error *err)
{
    if (!l->bias && !shift)
        return OL_OK;
    int64_t m = l->out_channels;
    double *values = calloc((size_t)m, sizeof *values);
    if (!values)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    const ol_tensor *b = l->bias ? pass_constant(l->bias) : NULL;
    for (int64_t c = 0; c < m; c++)
        values[c] = (b ? pass_tensor_get(b, c) : 0) * (scale ? scale[c] : 1) + (shift ? shift[c] : 0);
    ol_status st = OL_OK;
    if (b) {
        ol_tensor *t = owned_tensor(l->bias);
        void *data = ol_tensor_mutable_data(t, err);
        for (int64_t c = 0; data && c < m; c++)
            pass_store(data, t->dtype, c, values[c]);
        st = data ? OL_OK : OL_ERR_NOMEM;
    } else {
        ol_tensor *t = pass_tensor_from_doubles(l->dtype, 1, &m, values, err);
        const char *hint = l->node->name && *l->node->name ? l->node->name : l->node->op_type;
        ol_value *v = t ? pass_add_initializer(graph, hint, t, err) : NULL;
        st = !v ? OL_ERR_NOMEM
             : l->node->n_inputs > 2 ? ol_node_set_input(l->node, 2, v, err)
                                     : ol_node_add_input(l->node, v, err);
        l->bias = v;
    }
    free(values);
    return st;
}

/* Gemm: beta * C becomes beta * (C * scale + shift / beta), or shift with beta 1 when C is absent
 * or disabled. C keeps its broadcast rows; its columns become N. */
static ol_status fold_gemm_bias(ol_graph *graph, linear_layer *l, const double *scale, const double *shift,
                                ol_error *err)
{
    const ol_tensor *c = l->bias ? pass_constant(l->bias) : NULL;
    if (c && l->beta == 0)
        c = NULL;
    if (!c && !shift)
        return OL_OK;
    int64_t n = l->out_channels, rows = c && c->rank == 2 ? c->dims[0] : 1;
    int64_t cols = c && c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    double beta = c ? l->beta : 1;
    double *values = calloc((size_t)(rows * n), sizeof *values);
    if (!values)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < n; j++) {
            double old = c ? pass_tensor_get(c, r * cols + (cols == 1 ? 0 : j)) : 0;
            values[r * n + j] = old * (scale ? scale[j] : 1) + (shift ? shift[j] / beta : 0);
        }
    int64_t dims[2] = {rows, n};
    ol_tensor *t = rows > 1 ? pass_tensor_from_doubles(l->dtype, 2, dims, values, err)
                            : pass_tensor_from_doubles(l->dtype, 1, &n, values, err);
    free(values);
    const char *hint = l->node->name && *l->node->name ? l->node->name : "gemm_c";
    ol_value *v = t ? pass_add_initializer(graph, hint, t, err) : NULL;
    if (!v)
        return OL_ERR_NOMEM;
    ol_value *old = l->bias;
    ol_status st = l->node->n_inputs > 2 ? ol_node_set_input(l->node, 2, v, err)
                                         : ol_node_add_input(l->node, v, err);
    if (st == OL_OK && !c)
        st = ol_node_set_attr_float(l->node, "beta", 1.0f, err);
    if (st == OL_OK && old)
        st = pass_drop_if_unused(graph, old, err);
    l->bias = v;
    l->beta = c ? l->beta : 1;
    return st;
}

ol_status linear_layer_fold_affine(ol_graph *graph, linear_layer *layer, const double *scale,
                                   const double *shift, ol_error *err)
{
    ol_status st = scale ? scale_weight(layer, scale, true, err) : OL_OK;
    if (st != OL_OK)
        return st;
    return layer->kind == LINEAR_GEMM ? fold_gemm_bias(graph, layer, scale, shift, err)
                                      : fold_conv_bias(graph, layer, scale, shift, err);
}

ol_status linear_layer_scale_inputs(linear_layer *layer, const double *scale, ol_error *err)
{
    return scale_weight(layer, scale, false, err);
}

bool linear_layer_takes_input_affine(const linear_layer *layer)
{
    if (layer->kind == LINEAR_GEMM)
        return !layer->trans_a;
    if (layer->kind != LINEAR_CONV)
        return false;
    size_t len = 0;
    const char *auto_pad = ol_node_attr_string(layer->node, "auto_pad", &len);
    if (auto_pad && !(len == 6 && memcmp(auto_pad, "NOTSET", 6) == 0) &&
        !(len == 5 && memcmp(auto_pad, "VALID", 5) == 0))
        return false;
    size_t n = 0;
    const int64_t *pads = ol_node_attr_ints(layer->node, "pads", &n);
    for (size_t i = 0; pads && i < n; i++)
        if (pads[i] != 0)
            return false;
    return true;
}

/* What the layer adds to each output channel when its input channels are shifted by shift[]: the
 * weights summed against the shift (with the weights as they are, before any input scaling). */
static double *shift_response(const linear_layer *l, const double *shift, ol_error *err)
{
    const ol_tensor *w = pass_constant(l->weight);
    int64_t n = ol_tensor_numel(w), m = l->out_channels;
    double *delta = calloc((size_t)(m ? m : 1), sizeof *delta);
    if (!delta) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t out;
        if (l->kind == LINEAR_GEMM)
            out = l->trans_b ? i / w->dims[1] : i % w->dims[1];
        else
            out = i / (w->dims[1] * window_size(w));
        delta[out] += pass_tensor_get(w, i) * in_factor(l, w, i, shift);
    }
    return delta;
}

ol_status linear_layer_fold_input_affine(ol_graph *graph, linear_layer *layer, const double *scale,
                                         const double *shift, ol_error *err)
{
    double *delta = NULL;
    if (shift && !(delta = shift_response(layer, shift, err)))
        return OL_ERR_NOMEM;
    ol_status st = scale ? scale_weight(layer, scale, false, err) : OL_OK;
    if (st == OL_OK && delta)
        st = layer->kind == LINEAR_GEMM ? fold_gemm_bias(graph, layer, NULL, delta, err)
                                        : fold_conv_bias(graph, layer, NULL, delta, err);
    free(delta);
    return st;
}

bool channel_values(const ol_tensor *c, int rank, int axis, int64_t channels, double *out)
{
    if (!c || c->rank > rank || !pass_dtype_is_float(c->dtype))
        return false;
    int64_t along = 1;
    for (int d = 0; d < c->rank; d++) {
        int tensor_axis = d + rank - c->rank;
        if (tensor_axis == axis && (c->dims[d] == channels || c->dims[d] == 1))
            along = c->dims[d];
        else if (c->dims[d] != 1)
            return false;
    }
    for (int64_t i = 0; i < channels; i++)
        out[i] = pass_tensor_get(c, along == 1 ? 0 : i);
    return true;
}
