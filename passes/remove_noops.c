/* remove-noops: nodes whose output equals their first input are removed and their readers read the
 * input instead: Identity, inference Dropout (when its mask is unused), Concat, Sum, Mean, Max and
 * Min of a single input (DenseNet exports open each block with a one-input Concat), and Reshape,
 * Transpose, Cast, Pad, Slice and Expand that do not change their input. "Does not change" is proven from
 * constant parameters and the input's inferred shape; where a dim is symbolic, only forms that hold
 * for every value of it count (Reshape to 0 or -1 there, Slice to INT64_MAX, Expand by 1). */
#include <string.h>

#include "pass_tensor.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

/* The constant ints of node input i, or of attribute `attr` in the opsets before it became an
 * input (attr NULL: it never was one). */
static bool param_ints(const ol_node *node, size_t i, const char *attr, int64_t input_since,
                       int64_t *out, size_t *n)
{
    if (attr && node->opset < input_since) {
        size_t count;
        const int64_t *v = ol_node_attr_ints(node, attr, &count);
        if (!v || count > OL_MAX_RANK * 2)
            return false;
        memcpy(out, v, count * sizeof *v);
        *n = count;
        return true;
    }
    return pass_tensor_ints(pass_constant(pass_input(node, i)), out, OL_MAX_RANK * 2, n);
}

/* Rank and dims of the first input; dims[d] is -1 where unknown or symbolic. */
static bool input_dims(const ol_node *node, int *rank, int64_t *dims)
{
    const ol_value *in = pass_input(node, 0);
    if (!in)
        return false;
    const ol_tensor *c = pass_constant(in);
    if (c) {
        *rank = c->rank;
        memcpy(dims, c->dims, (size_t)c->rank * sizeof *dims);
        return true;
    }
    if (in->type.kind != OL_TYPE_TENSOR || in->type.rank < 0 || in->type.rank > OL_MAX_RANK)
        return false;
    *rank = in->type.rank;
    for (int d = 0; d < *rank; d++)
        dims[d] = in->type.dims[d].value;
    return true;
}

/* Input and output have the same fully static shape: whatever the op, it moved nothing. */
static bool same_static_shape(const ol_node *node)
{
    int r_in, r_out;
    int64_t d_in[OL_MAX_RANK], d_out[OL_MAX_RANK];
    if (!pass_static_shape(pass_input(node, 0), &r_in, d_in) ||
        !pass_static_shape(node->outputs[0], &r_out, d_out) || r_in != r_out)
        return false;
    return memcmp(d_in, d_out, (size_t)r_in * sizeof *d_in) == 0;
}

static bool dropout_noop(const ol_node *node)
{
    if (!pass_output_unused(node, 1))
        return false;   /* the mask is read */
    if (node->opset < 7)
        return ol_node_attr_int(node, "is_test", 0) != 0;
    if (node->opset < 12 || !pass_input(node, 2))
        return true;
    const ol_tensor *training = pass_constant(pass_input(node, 2));
    return training && ol_tensor_numel(training) == 1 && pass_tensor_get(training, 0) == 0;
}

static bool cast_noop(const ol_node *node)
{
    ol_dtype from = pass_elem_type(pass_input(node, 0));
    return from != OL_UNDEFINED && ol_node_attr_int(node, "to", 0) == (int64_t)from;
}

static bool transpose_noop(const ol_node *node)
{
    size_t n;
    const int64_t *perm = ol_node_attr_ints(node, "perm", &n);
    if (!perm) {   /* reversed dims: the identity only up to rank 1 */
        int rank;
        int64_t dims[OL_MAX_RANK];
        return input_dims(node, &rank, dims) && rank <= 1;
    }
    for (size_t i = 0; i < n; i++)
        if (perm[i] != (int64_t)i)
            return false;
    return true;
}

static bool reshape_noop(const ol_node *node)
{
    if (same_static_shape(node))
        return true;
    int rank;
    int64_t dims[OL_MAX_RANK], shape[OL_MAX_RANK * 2];
    size_t n;
    if (node->opset < 5 || !input_dims(node, &rank, dims) || !param_ints(node, 1, NULL, 0, shape, &n) ||
        n != (size_t)rank)
        return false;
    bool allowzero = node->opset >= 14 && ol_node_attr_int(node, "allowzero", 0) != 0;
    int inferred = -1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 0 && !allowzero)
            continue;   /* copies the input dim */
        if (shape[d] == -1 && inferred < 0)
            inferred = d;
        else if (shape[d] < 0 || dims[d] != shape[d])
            return false;
    }
    /* Every other dim is kept, so the one inferred from the element count is the input's too;
     * unless a kept dim may be 0, where -1 is ambiguous and the runtime refuses. */
    for (int d = 0; inferred >= 0 && d < rank; d++)
        if (d != inferred && dims[d] == 0)
            return false;
    return true;
}

static bool pad_noop(const ol_node *node)
{
    int64_t pads[OL_MAX_RANK * 2];
    size_t n;
    const char *attr = node->opset < 2 ? "paddings" : "pads";
    if (!param_ints(node, 1, attr, 11, pads, &n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (pads[i] != 0)
            return false;
    return true;
}

static bool slice_noop(const ol_node *node)
{
    int rank;
    int64_t dims[OL_MAX_RANK], starts[OL_MAX_RANK * 2], ends[OL_MAX_RANK * 2], axes[OL_MAX_RANK * 2],
        steps[OL_MAX_RANK * 2];
    size_t n_starts, n_ends, n_axes, n_steps;
    if (!input_dims(node, &rank, dims) || !param_ints(node, 1, "starts", 10, starts, &n_starts) ||
        !param_ints(node, 2, "ends", 10, ends, &n_ends) || n_starts != n_ends)
        return false;
    bool has_axes = node->opset < 10 ? ol_node_attr(node, "axes") != NULL : pass_input(node, 3) != NULL;
    if (has_axes && (!param_ints(node, 3, "axes", 10, axes, &n_axes) || n_axes != n_starts))
        return false;
    bool has_steps = node->opset >= 10 && pass_input(node, 4);
    if (has_steps && (!param_ints(node, 4, NULL, 0, steps, &n_steps) || n_steps != n_starts))
        return false;
    for (size_t i = 0; i < n_starts; i++) {
        int64_t axis = has_axes ? axes[i] : (int64_t)i;
        if (axis < 0)
            axis += rank;
        if (axis < 0 || axis >= rank || (has_steps && steps[i] != 1))
            return false;
        int64_t dim = dims[axis];
        bool starts_at_zero = starts[i] == 0 || (dim >= 0 && starts[i] <= -dim);
        bool ends_at_dim = ends[i] == INT64_MAX || (dim >= 0 && ends[i] >= dim);
        if (!starts_at_zero || !ends_at_dim)
            return false;
    }
    return true;
}

static bool expand_noop(const ol_node *node)
{
    if (same_static_shape(node))
        return true;
    int rank;
    int64_t dims[OL_MAX_RANK], shape[OL_MAX_RANK * 2];
    size_t n;
    if (!input_dims(node, &rank, dims) || !param_ints(node, 1, NULL, 0, shape, &n) || n > (size_t)rank)
        return false;
    for (size_t j = 0; j < n; j++) {
        int64_t dim = dims[(size_t)rank - n + j];
        if (shape[j] != 1 && !(dim >= 0 && shape[j] == dim))
            return false;
    }
    return true;
}

static bool is_noop(const ol_node *node)
{
    if (!pass_is_onnx(node) || node->n_outputs < 1 || !node->outputs[0] || !pass_input(node, 0))
        return false;
    const char *op = node->op_type;
    if (strcmp(op, "Identity") == 0)
        return node->n_outputs == 1;
    if (strcmp(op, "Dropout") == 0)
        return dropout_noop(node);
    if (node->n_outputs != 1)
        return false;
    static const char *const variadic[] = {"Concat", "Sum", "Mean", "Max", "Min"};
    for (size_t i = 0; i < sizeof variadic / sizeof *variadic; i++)
        if (strcmp(op, variadic[i]) == 0)
            return node->n_inputs == 1;
    if (strcmp(op, "Cast") == 0)
        return cast_noop(node);
    if (strcmp(op, "Transpose") == 0)
        return transpose_noop(node);
    if (strcmp(op, "Reshape") == 0)
        return reshape_noop(node);
    if (strcmp(op, "Pad") == 0)
        return pad_noop(node);
    if (strcmp(op, "Slice") == 0)
        return slice_noop(node);
    if (strcmp(op, "Expand") == 0)
        return node->opset >= 8 && expand_noop(node);
    return false;
}

static ol_status remove_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        if (node->erased || !is_noop(node))
            continue;
        ol_value *in = node->inputs[0], *out = node->outputs[0];
        if (!pass_can_replace(out, in))
            continue;   /* a graph output fed straight from an input or constant keeps its node */
        /* A graph output taken over by the input keeps the type it declared. */
        if (out->is_output && in->type.kind == OL_TYPE_UNKNOWN && ol_type_copy(&in->type, &out->type) != 0)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        ol_status st = ol_value_replace_all_uses(out, in, err);
        if (st == OL_OK)
            st = pass_erase_node(graph, node, err);
        if (st != OL_OK)
            return st;
        *changed = true;
    }
    return OL_OK;
}

static ol_status run_remove_noops(ol_model *model, const ol_option_values *options, bool *changed,
                                  ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, remove_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_remove_noops = {
    OL_PASS_DEF_VERSION,
    .name = "remove-noops",
    .description = "remove Identity, inference Dropout, one-input Concat/Sum/Mean/Max/Min, and "
                   "Reshape/Transpose/Cast/Pad/Slice/Expand that leave their input unchanged",
    .flags = OL_PASS_LOSSLESS | OL_PASS_NEEDS_SHAPES | OL_PASS_PRESERVES_SHAPES,
    .run = run_remove_noops,
};
