/* fold-constants: a node whose inputs are all constants is run once by the reference executor and
 * replaced by initializers holding its outputs; Constant nodes become initializers.
 *
 * Folding must not blow up the file. A fold frees the constants only the folded node read and adds
 * its outputs; it is made only when that adds at most `size-limit` bytes, so an Expand or
 * ConstantOfShape that materializes a big tensor from a small shape stays a node, and a Transpose of
 * a weight that other nodes also read is not stored twice. The pass manager's report shows the
 * model's weight bytes before and after every pass. An Identity of a constant is not run (that would
 * copy the tensor): its readers read the constant. */
#include <stdlib.h>
#include <string.h>

#include "exec/op.h"
#include "node_eval.h"
#include "pass_attrs.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

typedef struct fold_ctx {
    int64_t size_limit;
} fold_ctx;

/* Ops whose result is not a function of their inputs, or that are better left as they are. */
static bool never_folded(const ol_node *node)
{
    static const char *const ops[] = {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
        "Bernoulli",
        /* Inference Dropout is remove-noops' business; training Dropout is random. */
        "Dropout",
        /* A DequantizeLinear on weights is what makes a QDQ model quantized: folding it would
         * store the weights as float again (and four times larger). */
        "DequantizeLinear",
        "Constant", "Identity",   /* handled on their own */
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(node->op_type, ops[i]) == 0)
            return true;
    return false;
}

/* Bytes of the output's declared static type, or 0 when not known before running. */
static size_t declared_bytes(const ol_value *v)
{
    if (!v || !ol_type_is_static(&v->type) || v->type.elem == OL_UNDEFINED)
        return 0;
    int64_t n = 1;
    for (int d = 0; d < v->type.rank; d++)
        if (v->type.dims[d].value > 0 && n > INT64_MAX / v->type.dims[d].value)
            return SIZE_MAX;
        else
            n *= v->type.dims[d].value;
    return ol_dtype_storage_bytes(v->type.elem, n);
}

/* Bytes of the constants that folding `node` frees: those it alone reads (an outer value may have
 * readers in the enclosing graph, so it is not counted). Each value counts once. */
static size_t freed_bytes(const ol_node *node)
{
    size_t freed = 0;
    for (size_t i = 0; i < node->n_inputs; i++) {
        const ol_value *v = node->inputs[i];
        bool first = true, only_here = v && !v->outer && !v->is_output;
        for (size_t k = 0; k < i && first; k++)
            first = node->inputs[k] != v;
        for (size_t u = 0; only_here && u < v->n_uses; u++)
            only_here = v->uses[u].node == node;
        if (first && only_here)
            freed += pass_constant(v)->nbytes;
    }
    return freed;
}

static bool any_output_used(const ol_node *node)
{
    for (size_t k = 0; k < node->n_outputs; k++)
        if (!pass_output_unused(node, k))
            return true;
    return false;
}

/* The node can be folded, judging by what is known before running it; fills `inputs`. */
static bool foldable(const ol_node *node, const ol_tensor **inputs)
{
    if (!pass_is_onnx(node) || never_folded(node) || pass_has_subgraphs(node) ||
        !any_output_used(node) || !pass_attrs_copyable(node) ||
        !ol_op_lookup(node->op_type, node->domain, node->opset))
        return false;
    for (size_t i = 0; i < node->n_inputs; i++) {
        inputs[i] = NULL;
        if (!node->inputs[i])
            continue;
        if (!(inputs[i] = pass_constant(node->inputs[i])) || inputs[i]->dtype == OL_STRING)
            return false;
    }
    for (size_t k = 0; k < node->n_outputs; k++)
        if (node->outputs[k] && node->outputs[k]->type.kind == OL_TYPE_OTHER)
            return false;   /* sequences and maps: the executor computes dense tensors only */
    return true;
}

/* Output bytes the fold may store: what it frees plus the allowed growth. */
static size_t output_budget(const fold_ctx *ctx, const ol_node *node)
{
    size_t limit = ctx->size_limit > 0 ? (size_t)ctx->size_limit : 0, freed = freed_bytes(node);
    return freed > SIZE_MAX - limit ? SIZE_MAX : freed + limit;
}

static ol_status fold_node(ol_graph *graph, ol_node *node, const fold_ctx *ctx, bool *changed,
                           ol_error *err)
{
    const ol_tensor **inputs = calloc(node->n_inputs + 1, sizeof *inputs);
    ol_tensor **outputs = calloc(node->n_outputs + 1, sizeof *outputs);
    if (!inputs || !outputs) {
        free(inputs);
        free(outputs);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    ol_status st = OL_OK;
    bool fits = foldable(node, inputs), ran = false;
    size_t budget = fits ? output_budget(ctx, node) : 0, total = 0;
    for (size_t k = 0; fits && k < node->n_outputs; k++)   /* refuse big outputs before making them */
        if (!pass_output_unused(node, k)) {
            size_t bytes = declared_bytes(node->outputs[k]);
            fits = bytes <= budget - total;
            total += fits ? bytes : 0;
        }
    if (fits)
        st = pass_eval_node(node, inputs, outputs, &ran, err);
    total = 0;
    for (size_t k = 0; ran && k < node->n_outputs; k++)
        if (outputs[k] && !pass_output_unused(node, k)) {
            ran = outputs[k]->nbytes <= budget - total;
            total += ran ? outputs[k]->nbytes : 0;
        }
    /* Every output is replaced (or was unused) before the node goes, so nothing is half done. */
    for (size_t k = 0; st == OL_OK && ran && k < node->n_outputs; k++) {
        ol_value *out = node->outputs[k];
        if (!out || pass_output_unused(node, k)) {
            ol_tensor_destroy(outputs[k]);
        } else {
            st = pass_replace_with_constant(graph, out, outputs[k], err);
            *changed = true;
        }
        outputs[k] = NULL;
    }
    if (st == OL_OK && ran && !node->erased)
        st = pass_erase_node(graph, node, err);   /* only unused outputs were left */
    for (size_t k = 0; k < node->n_outputs; k++)
        ol_tensor_destroy(outputs[k]);
    free(inputs);
    free(outputs);
    return st;
}

/* A Constant node's tensor, from whichever value_* attribute it has; NULL for the string and sparse
 * forms, which stay nodes. */
static ol_tensor *constant_node_tensor(const ol_node *node, ol_error *err)
{
    if (node->n_attrs != 1)
        return NULL;
    const ol_attr *a = &node->attrs[0];
    if (a->opaque.size)
        return NULL;
    if (strcmp(a->name, "value") == 0 && a->type == OL_ATTR_TENSOR && a->t)
        return ol_tensor_clone(a->t, err);
    ol_tensor *t = NULL;
    int64_t n = (int64_t)a->n;
    if (strcmp(a->name, "value_float") == 0 && a->type == OL_ATTR_FLOAT) {
        if ((t = ol_tensor_create(OL_FLOAT, 0, NULL, err)))
            memcpy((void *)t->data, &a->f, sizeof a->f);
    } else if (strcmp(a->name, "value_int") == 0 && a->type == OL_ATTR_INT) {
        if ((t = ol_tensor_create(OL_INT64, 0, NULL, err)))
            memcpy((void *)t->data, &a->i, sizeof a->i);
    } else if (strcmp(a->name, "value_floats") == 0 && a->type == OL_ATTR_FLOATS) {
        if ((t = ol_tensor_create(OL_FLOAT, 1, &n, err)) && n)
            memcpy((void *)t->data, a->floats, a->n * sizeof *a->floats);
    } else if (strcmp(a->name, "value_ints") == 0 && a->type == OL_ATTR_INTS) {
        if ((t = ol_tensor_create(OL_INT64, 1, &n, err)) && n)
            memcpy((void *)t->data, a->ints, a->n * sizeof *a->ints);
    }
    return t;
}

/* Constant node -> initializer. A Constant producing a graph output stays: an initializer cannot be
 * one under the same name. */
static ol_status constant_to_initializer(ol_graph *graph, ol_node *node, bool *changed, ol_error *err)
{
    ol_value *out = node->n_outputs == 1 ? node->outputs[0] : NULL;
    if (!out || out->is_output || out->n_uses == 0)
        return OL_OK;
    ol_error local = {0};
    ol_tensor *t = constant_node_tensor(node, &local);
    if (!t)
        return local.status == OL_ERR_NOMEM ? ol_fail(err, OL_ERR_NOMEM, "%s", local.message) : OL_OK;
    *changed = true;
    return pass_replace_with_constant(graph, out, t, err);
}

/* Identity of a constant: its readers read the constant itself. Running it would store a second
 * copy of the tensor (the input often has other readers). A graph output keeps its Identity. */
static ol_status forward_identity(ol_graph *graph, ol_node *node, bool *changed, ol_error *err)
{
    ol_value *in = pass_input(node, 0), *out = node->n_outputs == 1 ? node->outputs[0] : NULL;
    if (!out || !pass_constant(in) || !pass_can_replace(out, in))
        return OL_OK;
    *changed = true;
    ol_status st = ol_value_replace_all_uses(out, in, err);
    return st == OL_OK ? pass_erase_node(graph, node, err) : st;
}

static ol_status fold_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    /* Topological order: a fold makes its consumers' inputs constant before they are visited. */
    size_t n = graph->n_nodes;
    for (size_t i = 0; i < n; i++) {
        ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        ol_status st = pass_is_op(node, "Constant") ? constant_to_initializer(graph, node, changed, err)
                       : pass_is_op(node, "Identity") ? forward_identity(graph, node, changed, err)
                                                      : fold_node(graph, node, ctx, changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static const ol_pass_option fold_options[] = {
    {"size-limit", OL_OPTION_INT, "16384",
     "bytes one fold may add to the model (its outputs less the constants it frees)", NULL},
};

static ol_status run_fold_constants(ol_model *model, const ol_option_values *options, bool *changed,
                                    ol_error *err)
{
    fold_ctx ctx = {.size_limit = ol_option_int(options, "size-limit")};
    *changed = false;
    return pass_for_each_graph(model, fold_graph, &ctx, changed, err);
}

const ol_pass_def ol_pass_fold_constants = {
    OL_PASS_DEF_VERSION,
    .name = "fold-constants",
    .description = "run nodes whose inputs are all constants once and store their outputs as "
                   "initializers (within a size cap)",
    .options = fold_options,
    .n_options = sizeof fold_options / sizeof *fold_options,
    .flags = OL_PASS_LOSSLESS | OL_PASS_PRESERVES_SHAPES,
    .run = run_fold_constants,
};
