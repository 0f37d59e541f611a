/* fuse-pad-conv: a Pad in constant mode with value 0 that pads only spatial axes, read by a Conv
 * alone, becomes part of the Conv's own (zero) padding. TensorFlow exports write "valid" convolutions
 * after an explicit Pad this way. Reflect/edge modes, non-zero values, negative pads (crops) and
 * padding of the batch or channel axes stay as they are. */
#include <string.h>

#include "pass_tensor.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

#define MAX_PADS (2 * OL_MAX_RANK)

/* The Pad's begin/end amounts for every axis of a rank-`rank` input, or false when it is not a
 * zero-valued constant pad. */
static bool zero_pad_amounts(const ol_node *pad, int rank, int64_t *pads)
{
    size_t len;
    const char *mode = ol_node_attr_string(pad, "mode", &len);
    if (mode && !(len == 8 && memcmp(mode, "constant", 8) == 0))
        return false;
    int64_t given[MAX_PADS], axes[OL_MAX_RANK];
    size_t n_given, n_axes = (size_t)rank;
    if (pad->opset < 11) {
        const int64_t *attr = ol_node_attr_ints(pad, pad->opset < 2 ? "paddings" : "pads", &n_given);
        if (!attr || n_given > MAX_PADS || ol_node_attr_float(pad, "value", 0.0f) != 0.0f)
            return false;
        memcpy(given, attr, n_given * sizeof *attr);
    } else {
        if (!pass_tensor_ints(pass_constant(pass_input(pad, 1)), given, MAX_PADS, &n_given))
            return false;
        const ol_value *value = pass_input(pad, 2);
        const ol_tensor *v = pass_constant(value);
        if (value && (!v || ol_tensor_numel(v) != 1 || pass_tensor_get(v, 0) != 0))
            return false;
    }
    if (pad->opset >= 18 && pass_input(pad, 3)) {
        if (!pass_tensor_ints(pass_constant(pass_input(pad, 3)), axes, OL_MAX_RANK, &n_axes))
            return false;
    } else {
        for (int d = 0; d < rank; d++)
            axes[d] = d;
    }
    if (n_given != 2 * n_axes)
        return false;
    memset(pads, 0, 2 * (size_t)rank * sizeof *pads);
    for (size_t i = 0; i < n_axes; i++) {
        int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (axis < 0 || axis >= rank)
            return false;
        pads[axis] = given[i];
        pads[rank + axis] = given[n_axes + i];
    }
    return true;
}

static ol_status fuse_conv(ol_graph *graph, ol_node *conv, bool *changed, ol_error *err)
{
    ol_value *padded = pass_input(conv, 0), *w = pass_input(conv, 1);
    ol_node *pad = padded ? padded->producer : NULL;
    if (!pass_is_op(conv, "Conv") || !pass_is_op(pad, "Pad") || !pass_single_use_by(padded, conv) ||
        !w || !pass_input(pad, 0))
        return OL_OK;
    /* The Conv's input has the rank of its weights. */
    const ol_tensor *wt = pass_constant(w);
    int rank = wt ? wt->rank : (w->type.kind == OL_TYPE_TENSOR ? w->type.rank : -1);
    int64_t pads[MAX_PADS];
    if (rank < 3 || rank > OL_MAX_RANK || !zero_pad_amounts(pad, rank, pads))
        return OL_OK;
    for (int d = 0; d < 2 * rank; d++)
        if (pads[d] < 0 || ((d % rank) < 2 && pads[d] != 0))
            return OL_OK;
    size_t len;
    const char *auto_pad = ol_node_attr_string(conv, "auto_pad", &len);
    bool valid = auto_pad && len == 5 && memcmp(auto_pad, "VALID", 5) == 0;
    if (auto_pad && !valid && !(len == 6 && memcmp(auto_pad, "NOTSET", 6) == 0))
        return OL_OK;   /* SAME_*: the padding depends on the input size */
    int spatial = rank - 2;
    int64_t conv_pads[MAX_PADS] = {0};
    size_t n;
    const int64_t *old = valid ? NULL : ol_node_attr_ints(conv, "pads", &n);
    if (old && n != 2 * (size_t)spatial)
        return OL_OK;
    for (int i = 0; i < 2 * spatial; i++)
        conv_pads[i] = (old ? old[i] : 0) + pads[(i / spatial) * rank + 2 + i % spatial];
    ol_status st = ol_node_set_attr_ints(conv, "pads", conv_pads, 2 * (size_t)spatial, err);
    if (st == OL_OK && auto_pad)
        st = ol_node_set_attr_string(conv, "auto_pad", "NOTSET", err);
    if (st == OL_OK)
        st = ol_node_set_input(conv, 0, pad->inputs[0], err);
    if (st == OL_OK)
        st = pass_drop_if_unused(graph, padded, err);
    *changed = true;
    return st;
}

static ol_status fuse_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_status st = fuse_conv(graph, graph->nodes[i], changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run_fuse_pad_conv(ol_model *model, const ol_option_values *options, bool *changed,
                                   ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, fuse_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_fuse_pad_conv = {
    OL_PASS_DEF_VERSION,
    .name = "fuse-pad-conv",
    .description = "merge a zero-valued constant-mode Pad of spatial axes into the following Conv's pads",
    .flags = OL_PASS_LOSSLESS | OL_PASS_PRESERVES_SHAPES,
    .run = run_fuse_pad_conv,
};
