/* quantize-dynamic: int8 weights for MatMul/Gemm-heavy models (transformers), activations quantized
 * at run time, in the standard operators onnxruntime's quantize_dynamic emits:
 *
 *   MatMul(A, W) / Gemm(A, W, C)  =>  DynamicQuantizeLinear(A) -> (A_q, A_scale, A_zp)
 *                                     MatMulInteger(A_q, W_q, A_zp [, W_zp]) -> Cast(float)
 *                                     -> Mul(A_scale * W_scale) [-> Add(C)]
 *   Gather(table, ids)            =>  Gather(table_q, ids) -> DequantizeLinear   (embeddings)
 *
 * Weights are symmetric int8 (zero point 0, scale max|w| / 127) or asymmetric uint8, with one
 * scale per tensor or per output column. An activation read by several quantized MatMuls (the
 * query, key and value projections) is quantized once. Only constant 2-D float32 weights qualify
 * (a MatMul of two activations stays float), Gemm only with transA=0 and alpha=1; only the main
 * graph is rewritten. Needs opset 11 (DynamicQuantizeLinear); per-column scales on a Gather's table
 * need 13 (per-axis DequantizeLinear) and fall back to one scale otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass/context.h"
#include "pass/text.h"
#include "pass_attrs.h"
#include "pass_util.h"
#include "quant/qparams.h"
#include "quantize.h"

static const ol_pass_option OPTIONS[] = {
    {.name = "per-channel", .type = OL_OPTION_BOOL, .default_value = "false",
     .help = "one weight scale per output column (else one per tensor)"},
    {.name = "weight-type", .type = OL_OPTION_ENUM, .default_value = "int8", .choices = "int8|uint8",
     .help = "int8: symmetric, zero point 0; uint8: asymmetric"},
    {.name = "embeddings", .type = OL_OPTION_BOOL, .default_value = "true",
     .help = "also store constant tables read by Gather (word embeddings) in 8 bits"},
    {.name = "exclude-nodes", .type = OL_OPTION_STRING, .default_value = "",
     .help = "names of nodes kept in float, ';'-separated"},
    {.name = "exclude-ops", .type = OL_OPTION_STRING, .default_value = "",
     .help = "op types kept in float, ';'-separated (\"Gemm;Gather\")"},
};

/* A float weight quantized once, whoever reads it. */
typedef struct dyn_weight {
    const ol_value *source;
    int axis;                /* scale axis in the stored layout, -1 per tensor */
    bool transposed;         /* stored as [K, N] from Gemm's [N, K] */
    ol_value *q, *scale, *zp;   /* zp NULL for int8 (zero) */
} dyn_weight;

typedef struct dyn_ctx {
    ol_graph *graph;
    bool per_channel, embeddings;
    ol_dtype weight_type;
    const char *exclude_nodes, *exclude_ops;
    int64_t opset;
    dyn_weight *weights;
    size_t n_weights, cap_weights;
    size_t n_matmul, n_gemm, n_gather;
    size_t float_bytes, quantized_bytes;
} dyn_ctx;

static bool excluded(const dyn_ctx *c, const ol_node *node)
{
    return pass_list_contains(c->exclude_nodes, node->name) ||
           pass_list_contains(c->exclude_ops, node->op_type);
}

/* A name that matches no node is a typo the user wants to hear about. */
static ol_status check_excluded_names(const dyn_ctx *c, ol_error *err)
{
    for (const char *p = c->exclude_nodes; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        bool found = n == 0;
        for (size_t i = 0; i < c->graph->n_nodes && !found; i++) {
            const char *name = c->graph->nodes[i]->name;
            found = name && strlen(name) == n && memcmp(name, p, n) == 0;
        }
        if (!found)
            return ol_fail(err, OL_ERR_ARG, "exclude-nodes: the main graph has no node named '%.*s'", (int)n, p);
        p = end ? end + 1 : NULL;
    }
    return OL_OK;
}

static ol_status no_memory(ol_error *err)
{
    return ol_fail(err, OL_ERR_NOMEM, "out of memory in quantize-dynamic");
}

static void set_elem(ol_value *v, ol_dtype dtype)
{
    v->type.kind = OL_TYPE_TENSOR;
    v->type.elem = dtype;
    v->type.rank = -1;
}

/* A node reading `inputs` (NULL entries are omitted optional inputs; trailing ones are left out),
 * with new outputs typed `types` named after `out_hint`. It is named `base` (the node it replaces)
 * when suffix is NULL, else a unique "<base>_<suffix>". */
static ol_node *add_node(dyn_ctx *c, const char *op, const char *base, const char *suffix, ol_value *const *inputs,
                         size_t n_inputs, const ol_dtype *types, size_t n_outputs, const char *out_hint,
                         ol_error *err)
{
    while (n_inputs > 0 && !inputs[n_inputs - 1])
        n_inputs--;
    char *name = suffix ? pass_node_name(c->graph, base, suffix) : NULL;
    ol_node *node = ol_graph_add_node(c->graph, op, "", suffix ? name : base, err);
    free(name);
    for (size_t i = 0; node && i < n_inputs; i++)
        if (ol_node_add_input(node, inputs[i], err) != OL_OK)
            return NULL;
    for (size_t o = 0; node && o < n_outputs; o++) {
        char *vname = ol_model_fresh_name(c->graph->model, out_hint);
        ol_value *v = vname ? ol_node_new_output(node, vname, err) : NULL;
        free(vname);
        if (!v) {
            no_memory(err);
            return NULL;
        }
        set_elem(v, types[o]);
        pass_prefer_name(v, out_hint, NULL);
    }
    return node;
}

/* ---- weights ---- */

/* w [rows, cols] transposed to [cols, rows] (float32). */
static ol_tensor *transpose_2d(const ol_tensor *w, ol_error *err)
{
    int64_t rows = w->dims[0], cols = w->dims[1];
    ol_tensor *t = ol_tensor_create(OL_FLOAT, 2, (int64_t[]){cols, rows}, err);
    float *dst = t ? ol_tensor_mutable_data(t, err) : NULL;
    if (!dst) {
        ol_tensor_destroy(t);
        return NULL;
    }
    const char *src = w->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < cols; k++)
            memcpy(&dst[k * rows + r], src + (size_t)(r * cols + k) * sizeof(float), sizeof(float));
    return t;
}

/* Asymmetric uint8 of float32 `w` with one scale and zero point per slice along `axis` (-1: one
 * for the whole tensor). */
static ol_status weight_uint8(const ol_tensor *w, int axis, ol_tensor **q, ol_tensor **scale, ol_tensor **zp,
                              ol_error *err)
{
    int64_t channels = axis < 0 ? 1 : w->dims[axis], inner = 1, outer = 1;
    for (int d = 0; d < w->rank; d++) {
        if (axis < 0 || d > axis)
            inner *= w->dims[d];
        else if (d < axis)
            outer *= w->dims[d];
    }
    *q = ol_tensor_create(OL_UINT8, w->rank, w->dims, err);
    *scale = ol_tensor_create(OL_FLOAT, axis < 0 ? 0 : 1, &channels, err);
    *zp = ol_tensor_create(OL_UINT8, axis < 0 ? 0 : 1, &channels, err);
    uint8_t *qd = *q ? ol_tensor_mutable_data(*q, err) : NULL;
    float *sd = *scale ? ol_tensor_mutable_data(*scale, err) : NULL;
    uint8_t *zd = *zp ? ol_tensor_mutable_data(*zp, err) : NULL;
    if (!qd || !sd || !zd)
        return no_memory(err);
    for (int64_t ch = 0; ch < channels; ch++) {
        double lo = 0, hi = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                float v;
                memcpy(&v, (const char *)w->data + ((o * channels + ch) * inner + i) * 4, 4);
                if (v == v && v - v == 0) {   /* finite */
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
            }
        ol_qparams p = ol_qparams_from_range(lo, hi, OL_UINT8, false);
        sd[ch] = p.scale;
        zd[ch] = (uint8_t)p.zero_point;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t k = (o * channels + ch) * inner + i;
                float v;
                memcpy(&v, (const char *)w->data + k * 4, 4);
                qd[k] = (uint8_t)ol_quantize_value(v, p, 0, 255);
            }
    }
    return OL_OK;
}

/* The quantized form of float weight `w` (scales along `axis` of the stored layout, -1 per
 * tensor; `transpose` stores a 2-D weight transposed), made once and shared. */
static ol_status quantized_weight(dyn_ctx *c, ol_value *w, int axis, bool transpose, dyn_weight **out,
                                  ol_error *err)
{
    for (size_t i = 0; i < c->n_weights; i++)
        if (c->weights[i].source == w && c->weights[i].axis == axis && c->weights[i].transposed == transpose) {
            *out = &c->weights[i];
            return OL_OK;
        }
    if (c->n_weights == c->cap_weights) {
        size_t cap = c->cap_weights ? 2 * c->cap_weights : 16;
        dyn_weight *grown = realloc(c->weights, cap * sizeof *grown);
        if (!grown)
            return no_memory(err);
        c->weights = grown;
        c->cap_weights = cap;
    }
    const ol_tensor *source = pass_constant(w);
    ol_tensor *flipped = transpose ? transpose_2d(source, err) : NULL;
    if (transpose && !flipped)
        return err->status;
    const ol_tensor *f = flipped ? flipped : source;
    ol_tensor *q = NULL, *scale = NULL, *zp = NULL;
    ol_status st = c->weight_type == OL_INT8 ? qz_weight_int8(f, axis, &q, &scale, err)
                                             : weight_uint8(f, axis, &q, &scale, &zp, err);
    ol_tensor_destroy(flipped);
    dyn_weight *dw = &c->weights[c->n_weights];
    *dw = (dyn_weight){.source = w, .axis = axis, .transposed = transpose};
    dw->q = st == OL_OK ? pass_add_initializer(c->graph, w->name, q, err) : NULL;
    pass_prefer_name(dw->q, w->name, "_quantized");
    q = NULL;
    dw->scale = dw->q ? pass_add_initializer(c->graph, w->name, scale, err) : NULL;
    pass_prefer_name(dw->scale, w->name, "_scale");
    scale = NULL;
    dw->zp = zp && dw->scale ? pass_add_initializer(c->graph, w->name, zp, err) : NULL;
    pass_prefer_name(dw->zp, w->name, "_zero_point");
    bool ok = dw->scale && (!zp || dw->zp);
    zp = NULL;
    ol_tensor_destroy(q);
    ol_tensor_destroy(scale);
    ol_tensor_destroy(zp);
    if (!ok)
        return st != OL_OK ? st : err->status;
    c->float_bytes += source->nbytes;
    c->quantized_bytes += dw->q->constant->nbytes;
    c->n_weights++;
    *out = dw;
    return OL_OK;
}

/* ---- activations ---- */

/* DynamicQuantizeLinear(x): an existing one reading x (quantized for another MatMul), or a new
 * one. */
static ol_node *dynamic_quantized(dyn_ctx *c, ol_value *x, ol_error *err)
{
    for (size_t u = 0; u < x->n_uses; u++) {
        ol_node *n = x->uses[u].node;
        if (pass_is_op(n, "DynamicQuantizeLinear") && n->n_outputs == 3 && n->outputs[0] && n->outputs[1] &&
            n->outputs[2])
            return n;
    }
    char hint[512];
    snprintf(hint, sizeof hint, "%s_quantized", x->name);
    ol_node *dql = add_node(c, "DynamicQuantizeLinear", x->name, "DynamicQuantizeLinear", &x, 1,
                            (ol_dtype[]){OL_UINT8, OL_FLOAT, OL_UINT8}, 3, hint, err);
    if (dql) {
        pass_prefer_name(dql->outputs[1], x->name, "_scale");
        pass_prefer_name(dql->outputs[2], x->name, "_zero_point");
    }
    return dql;
}

/* ---- MatMul / Gemm ---- */

static bool float_2d_constant(const ol_value *v)
{
    const ol_tensor *t = pass_constant(v);
    return t && t->dtype == OL_FLOAT && t->rank == 2 && ol_tensor_numel(t) > 0;
}

/* The Gemm's C times beta as an Add operand, or NULL (with *skip) when it cannot be. */
static ol_value *gemm_bias(dyn_ctx *c, ol_node *gemm, bool *skip, ol_error *err)
{
    ol_value *bias = pass_input(gemm, 2);
    float beta = ol_node_attr_float(gemm, "beta", 1.0f);
    *skip = false;
    if (!bias || beta == 1.0f)
        return bias;
    const ol_tensor *t = pass_constant(bias);
    if (!t || t->dtype != OL_FLOAT) {
        *skip = true;
        return NULL;
    }
    ol_tensor *scaled = ol_tensor_clone(t, err);
    float *d = scaled ? ol_tensor_mutable_data(scaled, err) : NULL;
    if (!d) {
        ol_tensor_destroy(scaled);
        return NULL;
    }
    for (int64_t i = 0, n = ol_tensor_numel(scaled); i < n; i++)
        d[i] *= beta;
    ol_value *v = pass_add_initializer(c->graph, bias->name, scaled, err);
    pass_prefer_name(v, bias->name, "_beta");
    return v;
}

static ol_status quantize_matmul(dyn_ctx *c, ol_node *op, ol_error *err)
{
    bool gemm = pass_is_op(op, "Gemm");
    if ((!gemm && !pass_is_op(op, "MatMul")) || excluded(c, op) || op->n_inputs < 2 || op->n_outputs != 1 ||
        !op->outputs[0] || !op->inputs[0] || pass_elem_type(op->inputs[0]) != OL_FLOAT ||
        !float_2d_constant(op->inputs[1]))
        return OL_OK;
    bool trans_b = gemm && ol_node_attr_int(op, "transB", 0) != 0;
    if (gemm && (ol_node_attr_int(op, "transA", 0) != 0 || ol_node_attr_float(op, "alpha", 1.0f) != 1.0f))
        return OL_OK;
    bool skip = false;
    ol_value *bias = gemm ? gemm_bias(c, op, &skip, err) : NULL;
    if (skip)
        return OL_OK;
    if (gemm && pass_input(op, 2) && !bias)
        return err->status;
    dyn_weight *w;
    ol_status st = quantized_weight(c, op->inputs[1], c->per_channel ? 1 : -1, trans_b, &w, err);
    if (st != OL_OK)
        return st;
    ol_node *dql = dynamic_quantized(c, op->inputs[0], err);
    if (!dql)
        return err->status;
    ol_value *y = op->outputs[0];
    const char *name = op->name;
    char hint[512];
    snprintf(hint, sizeof hint, "%s_int32", y->name);
    ol_node *mm = add_node(c, "MatMulInteger", name, NULL,
                           (ol_value *[]){dql->outputs[0], w->q, dql->outputs[2], w->zp}, 4,
                           (ol_dtype[]){OL_INT32}, 1, hint, err);
    ol_node *cast = mm ? add_node(c, "Cast", name, "Cast", mm->outputs, 1, (ol_dtype[]){OL_FLOAT}, 1, hint, err)
                       : NULL;
    if (!cast || ol_node_set_attr_int(cast, "to", OL_FLOAT, err) != OL_OK)
        return err->status;
    pass_prefer_name(cast->outputs[0], y->name, "_int32_float");
    snprintf(hint, sizeof hint, "%s_scale", y->name);
    ol_node *scale = add_node(c, "Mul", name, "scale", (ol_value *[]){dql->outputs[1], w->scale}, 2,
                              (ol_dtype[]){OL_FLOAT}, 1, hint, err);
    if (!scale)
        return err->status;
    /* The last node takes over y (the op goes first to free it), so the model's interface and y's
     * readers stay as they were. */
    ol_graph_erase_node(c->graph, op);
    snprintf(hint, sizeof hint, "%s_unbiased", y->name);
    ol_node *last = add_node(c, "Mul", name, "Mul", (ol_value *[]){cast->outputs[0], scale->outputs[0]}, 2,
                             (ol_dtype[]){OL_FLOAT}, bias ? 1 : 0, hint, err);
    if (last && bias)
        last = add_node(c, "Add", name, "Add", (ol_value *[]){last->outputs[0], bias}, 2, NULL, 0, NULL, err);
    st = last ? ol_node_add_output(last, y, err) : err->status;
    if (st == OL_OK)
        st = pass_drop_unused_inputs(c->graph, op, err);
    *(gemm ? &c->n_gemm : &c->n_matmul) += 1;
    return st;
}

/* ---- Gather (embeddings) ---- */

static ol_status quantize_gather(dyn_ctx *c, ol_node *op, ol_error *err)
{
    if (!c->embeddings || !pass_is_op(op, "Gather") || excluded(c, op) || op->n_inputs != 2 ||
        op->n_outputs != 1 ||
        !op->outputs[0] || !float_2d_constant(op->inputs[0]) || !pass_attrs_copyable(op))
        return OL_OK;
    /* Per column of the table when the gathered rows keep the columns as their last axis. */
    int64_t axis = ol_node_attr_int(op, "axis", 0);
    bool per_column = c->per_channel && c->opset >= 13 && (axis == 0 || axis == -2);
    dyn_weight *w;
    ol_status st = quantized_weight(c, op->inputs[0], per_column ? 1 : -1, false, &w, err);
    if (st != OL_OK)
        return st;
    ol_value *y = op->outputs[0];
    char hint[512];
    snprintf(hint, sizeof hint, "%s_quantized", y->name);
    ol_node *gather = add_node(c, "Gather", op->name, NULL, (ol_value *[]){w->q, op->inputs[1]}, 2,
                               (ol_dtype[]){c->weight_type}, 1, hint, err);
    if (!gather || pass_copy_attrs(gather, op, err) != OL_OK)
        return err->status;
    ol_node *dq = add_node(c, "DequantizeLinear", op->name, "DQ",
                           (ol_value *[]){gather->outputs[0], w->scale, w->zp}, 3, NULL, 0, NULL, err);
    if (!dq || (per_column && ol_node_set_attr_int(dq, "axis", -1, err) != OL_OK))
        return err->status;
    ol_graph_erase_node(c->graph, op);
    st = ol_node_add_output(dq, y, err);
    if (st == OL_OK)
        st = pass_drop_unused_inputs(c->graph, op, err);
    c->n_gather++;
    return st;
}

static ol_status run_quantize_dynamic(ol_model *model, const ol_option_values *options, bool *changed,
                                      ol_error *err)
{
    dyn_ctx c = {.graph = model->graph,
                 .per_channel = ol_option_bool(options, "per-channel"),
                 .embeddings = ol_option_bool(options, "embeddings"),
                 .weight_type = strcmp(ol_option_string(options, "weight-type"), "uint8") == 0 ? OL_UINT8
                                                                                               : OL_INT8,
                 .exclude_nodes = ol_option_string(options, "exclude-nodes"),
                 .exclude_ops = ol_option_string(options, "exclude-ops"),
                 .opset = ol_model_opset(model, "")};
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    if (c.opset < 11)
        return ol_fail(err, OL_ERR_UNSUPPORTED,
                       "the model imports opset %lld of the default domain; DynamicQuantizeLinear needs 11 "
                       "or later", (long long)c.opset);
    ol_status st = check_excluded_names(&c, err);
    /* New nodes are appended and never match, so one pass in order sees every original node. */
    size_t n = model->graph->n_nodes;
    for (size_t i = 0; i < n && st == OL_OK; i++) {
        ol_node *node = model->graph->nodes[i];
        if (node->erased)
            continue;
        st = quantize_matmul(&c, node, err);
        if (st == OL_OK && !node->erased)
            st = quantize_gather(&c, node, err);
    }
    free(c.weights);
    if (st == OL_OK && (st = ol_graph_toposort(model->graph, err)) != OL_OK)
        return st;
    *changed = c.n_matmul + c.n_gemm + c.n_gather > 0;
    ol_pass_context *context = ol_pass_context_of(options);
    if (context && st == OL_OK)
        ol_pass_context_note(context, OL_NOTE_INFO,
                             "%zu MatMul, %zu Gemm and %zu Gather weights in %s (%s): %zu -> %zu bytes",
                             c.n_matmul, c.n_gemm, c.n_gather, c.weight_type == OL_INT8 ? "int8" : "uint8",
                             c.per_channel ? "per column" : "per tensor", c.float_bytes, c.quantized_bytes);
    return st;
}

const ol_pass_def ol_pass_quantize_dynamic = {
    OL_PASS_DEF_VERSION,
    .name = "quantize-dynamic",
    .description = "int8 weights for MatMul/Gemm/Gather, activations quantized at run time "
                   "(DynamicQuantizeLinear + MatMulInteger)",
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .flags = OL_PASS_NEEDS_SHAPES,
    .run = run_quantize_dynamic,
};
