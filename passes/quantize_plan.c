/* Placement of QuantizeLinear/DequantizeLinear pairs, the way onnxruntime's QDQ transformer
 * (qdq_selector_action_transformer.cc, qdq_selectors.cc) fuses them into integer kernels on its
 * CPU provider:
 *
 *  - Conv, MatMul: every input comes out of a DequantizeLinear and the only reader of the output
 *    is a QuantizeLinear (QLinearConv, QLinearMatMul); Conv's bias is int32.
 *  - Gemm: the same, the bias int32 with beta 1; the QuantizeLinear after it may be left out, the
 *    result then stays float (QGemm with a float output): done when nothing but the graph output
 *    reads it, so that class scores keep full precision.
 *  - Add, Mul, Concat, AveragePool, GlobalAveragePool, LeakyRelu, Sigmoid, Softmax: DQ on every
 *    input, Q on the output (QLinearAdd, ...), each with its own output range.
 *  - Data movement (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Gather, Expand, Tile,
 *    Resize, Split, MaxPool from opset 12): DQ -> op -> Q with the same scale and zero point on
 *    both sides is dropped and the op runs on the integers; done only where the input is
 *    quantized anyway, as onnxruntime's quantizer does.
 *  - A Relu or Clip(0, max) right after an op whose output is requantized, and its only reader,
 *    is removed and the op's output quantized with the Relu's range: with asymmetric
 *    activations that range starts at the zero point, so the QuantizeLinear's saturation is the
 *    Relu (onnxruntime drops such a Relu too).
 *
 * A group onnxruntime would not fuse (a BatchNormalization, Pad, LayerNormalization, ... whose
 * input is quantized, a Relu that cannot be folded, a Gemm whose bias cannot be int32) is what a
 * QDQ quantizer wraps and onnxruntime then runs in float between a DequantizeLinear and a
 * QuantizeLinear: slower than no quantization at all. Those are listed in plan->unfused and stay
 * float, unless allow_unfused asks to wrap them anyway. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"
#include "quantize.h"
#include "util/mem.h"

static bool op_in(const ol_node *node, const char *const *ops)
{
    if (!pass_is_onnx(node))
        return false;
    for (; *ops; ops++)
        if (strcmp(node->op_type, *ops) == 0)
            return true;
    return false;
}

static const char *const REQUANT_OPS[] = {"Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool",
                                          "LeakyRelu", "Sigmoid", "Softmax", NULL};
static const char *const SHARED_OPS[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
                                         "Slice", "Gather", "Expand", "Tile", "Resize", "Split",
                                         "MaxPool", NULL};
/* What a QDQ quantizer (onnxruntime's among them) wraps but onnxruntime's CPU provider has no
 * integer kernel or fusion for. */
static const char *const UNFUSED_OPS[] = {"Relu", "Clip", "BatchNormalization", "InstanceNormalization",
                                          "LayerNormalization", "ConvTranspose", "Pad", "TopK", "CumSum",
                                          "LSTM", "GRU", "Attention", NULL};

/* A value that can get a QuantizeLinear: a float32 activation of this graph. A graph input that is
 * also an output cannot be replaced without renaming the interface. */
static bool quantizable(const ol_value *v, const ol_graph *graph)
{
    return v && !v->constant && !v->outer && v->graph == graph && pass_elem_type(v) == OL_FLOAT &&
           !(v->is_input && v->is_output) && !ol_value_constant(v);
}

static const ol_tensor *float_constant(const ol_value *v)
{
    const ol_tensor *c = pass_constant(v);
    return c && c->dtype == OL_FLOAT ? c : NULL;
}

/* Every input present is a quantizable activation or a float32 constant. */
static bool inputs_float(const ol_node *node, const ol_graph *graph)
{
    for (size_t i = 0; i < node->n_inputs; i++)
        if (node->inputs[i] && !quantizable(node->inputs[i], graph) && !float_constant(node->inputs[i]))
            return false;
    return node->n_inputs > 0;
}

static bool single_output(const ol_node *node)
{
    return node->n_outputs == 1 && node->outputs[0] && pass_elem_type(node->outputs[0]) == OL_FLOAT;
}

static void add_unfused(qz_plan *plan, ol_node *node, const char *fmt, const char *arg)
{
    if (!OL_RESERVE(plan->unfused, plan->cap_unfused, plan->n_unfused + 1))
        return;   /* the report loses a line; the plan itself is unaffected */
    qz_unfused *u = &plan->unfused[plan->n_unfused++];
    u->node = node;
    snprintf(u->reason, sizeof u->reason, fmt, arg);
}

/* The role of a compute node, or QZ_FLOAT; *why is set when a QDQ quantizer would wrap it but
 * onnxruntime would not fuse it. */
static qz_role core_role(const ol_node *node, const ol_graph *graph, const char **why)
{
    *why = NULL;
    if (!pass_is_onnx(node) || !single_output(node) || pass_has_subgraphs(node))
        return QZ_FLOAT;
    if (pass_is_op(node, "Conv")) {
        const ol_tensor *w = float_constant(pass_input(node, 1));
        const ol_value *b = pass_input(node, 2);
        if (!quantizable(node->inputs[0], graph) || !w || w->rank < 3 || (b && (!float_constant(b) ||
            float_constant(b)->rank != 1)))
            return QZ_FLOAT;
        return QZ_CONV;
    }
    if (pass_is_op(node, "MatMul")) {
        const ol_value *a = pass_input(node, 0), *b = pass_input(node, 1);
        const ol_tensor *bc = float_constant(b);
        if (!quantizable(a, graph) || a->type.rank < 2 || (!bc && !quantizable(b, graph)) ||
            (bc ? bc->rank : b->type.rank) < 2)
            return QZ_FLOAT;
        return QZ_MATMUL;
    }
    if (pass_is_op(node, "Gemm")) {
        const ol_tensor *b = float_constant(pass_input(node, 1));
        const ol_value *c = pass_input(node, 2);
        if (!quantizable(pass_input(node, 0), graph) || !b || b->rank != 2)
            return QZ_FLOAT;
        if (c) {
            const ol_tensor *cc = float_constant(c);
            int64_t n = b->dims[ol_node_attr_int(node, "transB", 0) ? 0 : 1];
            if (ol_node_attr_float(node, "beta", 1.0f) != 1.0f) {
                *why = "its bias is scaled (beta != 1): onnxruntime fuses a Gemm only with beta 1";
                return QZ_FLOAT;
            }
            if (!cc || cc->rank != 1 || cc->dims[0] != n) {
                *why = "its bias is not a constant of shape [N]: onnxruntime needs it as int32 [N]";
                return QZ_FLOAT;
            }
        }
        return QZ_GEMM;
    }
    if (op_in(node, REQUANT_OPS)) {
        if (!inputs_float(node, graph))
            return QZ_FLOAT;
        bool any_activation = false;
        for (size_t i = 0; i < node->n_inputs; i++)
            any_activation = any_activation || quantizable(node->inputs[i], graph);
        return any_activation ? QZ_REQUANT : QZ_FLOAT;
    }
    return QZ_FLOAT;
}

/* Whether `role` at `node` reads input `index` through a DequantizeLinear of a planned value
 * (constants are quantized separately, as initializers). */
static bool role_quantizes_input(qz_role role, const ol_node *node, size_t index, const ol_graph *graph)
{
    if (!quantizable(pass_input(node, index), graph))
        return false;
    switch (role) {
    case QZ_CONV:
    case QZ_GEMM:
    case QZ_SHARED:
    case QZ_UNFUSED: return index == 0;
    case QZ_MATMUL: return index <= 1;
    case QZ_REQUANT: return true;
    case QZ_FLOAT:
    case QZ_FOLDED: return false;
    }
    return false;
}

/* Position of `node` in the planned graph's node list, or QZ_NONE. */
static size_t node_index(const qz_plan *plan, const ol_node *node)
{
    if (!node || node->graph != plan->graph || node->id >= plan->n_node_ids)
        return QZ_NONE;
    return plan->node_pos[node->id];
}

/* Clip whose lower bound is 0 (so that a zero point at the bottom of the range clips the same). */
static bool clip_at_zero(const ol_node *node)
{
    if (node->opset < 11)
        return ol_node_attr_float(node, "min", -1.0f) == 0.0f;
    const ol_tensor *lo = float_constant(pass_input(node, 1));
    const ol_value *hi = pass_input(node, 2);
    float bound = -1;
    if (lo && ol_tensor_numel(lo) == 1)
        memcpy(&bound, lo->data, sizeof bound);   /* may sit unaligned */
    return bound == 0.0f && (!hi || float_constant(hi));
}

/* A Relu/Clip that the quantization of its input can stand for. */
static bool foldable(const qz_plan *plan, const ol_node *node, const qz_options *options,
                     const bool *keep_float, size_t index)
{
    if (options->symmetric || (keep_float && keep_float[index]) || !single_output(node) ||
        !(pass_is_op(node, "Relu") || (pass_is_op(node, "Clip") && clip_at_zero(node))))
        return false;
    const ol_value *in = node->inputs[0];
    const ol_node *producer = in ? in->producer : NULL;
    if (!producer || !pass_single_use_by(in, node) || in->graph != plan->graph)
        return false;
    size_t p = node_index(plan, producer);
    return p != QZ_NONE && qz_role_is_layer(plan->roles[p]);
}

qz_role qz_plan_role(const qz_plan *plan, const ol_node *node)
{
    size_t i = node_index(plan, node);
    return i == QZ_NONE ? QZ_FLOAT : plan->roles[i];
}

qz_value *qz_plan_value(const qz_plan *plan, const ol_value *value)
{
    /* The output of a folded Relu/Clip is its input, quantized with its range. */
    size_t p = value ? node_index(plan, value->producer) : QZ_NONE;
    if (p != QZ_NONE && plan->roles[p] == QZ_FOLDED)
        value = value->producer->inputs[0];
    if (!value || value->graph != plan->graph || value->id >= plan->n_ids)
        return NULL;
    size_t k = plan->value_index[value->id];
    return k == QZ_NONE ? NULL : &plan->values[k];
}

static ol_status add_value(qz_plan *plan, ol_value *v, ol_value *range_of, size_t shares, ol_error *err)
{
    if (qz_plan_value(plan, v))
        return OL_OK;
    if (!OL_RESERVE(plan->values, plan->cap_values, plan->n_values + 1))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory planning quantization");
    size_t k = plan->n_values++;
    plan->values[k] = (qz_value){.value = v, .range_of = range_of, .shares = shares == QZ_NONE ? k : shares};
    plan->value_index[v->id] = k;
    return OL_OK;
}

/* Some node of a planned role reads `v` through a DequantizeLinear. */
static bool demanded(const qz_plan *plan, const ol_value *v)
{
    for (size_t u = 0; u < v->n_uses; u++) {
        const ol_use *use = &v->uses[u];
        if (use->index < 0)
            continue;
        size_t i = node_index(plan, use->node);
        if (i != QZ_NONE && role_quantizes_input(plan->roles[i], use->node, (size_t)use->index, plan->graph))
            return true;
    }
    return false;
}

/* The role of a node that only moves input 0's integers, or QZ_FLOAT. */
static bool shared_ok(const ol_node *node, const char **why)
{
    *why = NULL;
    if (!op_in(node, SHARED_OPS) || !quantizable(node->inputs[0], node->graph))
        return false;
    for (size_t o = 0; o < node->n_outputs; o++)
        if (node->outputs[o] && pass_elem_type(node->outputs[o]) != OL_FLOAT) {
            if (pass_is_op(node, "MaxPool"))
                *why = "its Indices output is used: onnxruntime's integer MaxPool has none";
            return false;
        }
    if (pass_is_op(node, "MaxPool") && node->opset < 12) {
        *why = "onnxruntime runs MaxPool on integers from opset 12";
        return false;
    }
    return true;
}

static const char *unfused_reason(const ol_node *node, const qz_options *options)
{
    if (pass_is_op(node, "Relu") || pass_is_op(node, "Clip"))
        return options->symmetric
                   ? "with symmetric activations a %s does not clip where the quantization does, and "
                     "onnxruntime has no integer kernel for it"
                   : "a %s is folded only right after an op whose output is requantized and that it "
                     "alone reads; onnxruntime has no integer kernel for it";
    if (pass_is_op(node, "BatchNormalization"))
        return "onnxruntime has no integer %s (fold it into the Conv before it first: fuse-bn)";
    return "onnxruntime has no integer kernel or QDQ fusion for %s";
}

/* Sweep 1: the compute nodes and the Relu/Clip folded into them. */
static void plan_layers(qz_plan *plan, const qz_options *options, const bool *keep_float)
{
    ol_graph *g = plan->graph;
    for (size_t i = 0; i < plan->n_nodes; i++) {
        ol_node *node = g->nodes[i];
        const char *why = NULL;
        if (node->erased || (keep_float && keep_float[i]))
            continue;
        plan->roles[i] = core_role(node, g, &why);
        if (why) {
            add_unfused(plan, node, "%s", why);
            if (options->allow_unfused)
                plan->roles[i] = QZ_UNFUSED;
        }
    }
    for (size_t i = 0; i < plan->n_nodes; i++)
        if (!g->nodes[i]->erased && plan->roles[i] == QZ_FLOAT && foldable(plan, g->nodes[i], options, keep_float, i))
            plan->roles[i] = QZ_FOLDED;
}

/* The value an output's parameters come from: after a folded Relu/Clip, that node's output. */
static ol_value *range_source(const qz_plan *plan, ol_value *out)
{
    if (out->n_uses == 1 && out->uses[0].index == 0) {
        size_t r = node_index(plan, out->uses[0].node);
        if (r != QZ_NONE && plan->roles[r] == QZ_FOLDED)
            return out->uses[0].node->outputs[0];
    }
    return out;
}

/* Sweep 2, in topological order: the values, and the data movement and unfused nodes, which
 * depend on whether their input is quantized. */
static ol_status plan_values(qz_plan *plan, const qz_options *options, const bool *keep_float, ol_error *err)
{
    ol_graph *g = plan->graph;
    ol_status st = OL_OK;
    for (size_t i = 0; i < g->n_inputs && st == OL_OK; i++)
        if (quantizable(g->inputs[i], g) && demanded(plan, g->inputs[i]))
            st = add_value(plan, g->inputs[i], g->inputs[i], QZ_NONE, err);
    for (size_t i = 0; i < plan->n_nodes && st == OL_OK; i++) {
        ol_node *node = g->nodes[i];
        if (node->erased || (keep_float && keep_float[i]))
            continue;
        const char *why = NULL;
        qz_value *in = node->n_inputs ? qz_plan_value(plan, node->inputs[0]) : NULL;
        if (plan->roles[i] == QZ_FLOAT && in) {
            if (shared_ok(node, &why)) {
                plan->roles[i] = QZ_SHARED;
            } else if (why || op_in(node, UNFUSED_OPS)) {
                if (!why) {
                    add_unfused(plan, node, unfused_reason(node, options), node->op_type);
                } else {
                    add_unfused(plan, node, "%s", why);
                }
                if (options->allow_unfused)
                    plan->roles[i] = QZ_UNFUSED;
            }
        }
        size_t shares = plan->roles[i] == QZ_SHARED ? (size_t)(in - plan->values) : QZ_NONE;
        /* A folded node's output is its input's value, planned with its producer. */
        for (size_t o = 0; o < node->n_outputs && st == OL_OK && plan->roles[i] != QZ_FOLDED; o++) {
            ol_value *out = node->outputs[o];
            if (!quantizable(out, g))
                continue;
            bool q;
            switch (plan->roles[i]) {
            case QZ_CONV:
            case QZ_MATMUL:
            case QZ_REQUANT:
            case QZ_SHARED:
            case QZ_UNFUSED: q = true; break;
            case QZ_GEMM: q = out->n_uses > 0; break;
            case QZ_FLOAT:
            case QZ_FOLDED:
            default: q = demanded(plan, out); break;
            }
            if (q)
                st = add_value(plan, out, shares == QZ_NONE ? range_source(plan, out) : out, shares, err);
        }
    }
    return st;
}

ol_status qz_plan_build(ol_graph *graph, const qz_options *options, const bool *keep_float, qz_plan *plan,
                        ol_error *err)
{
    *plan = (qz_plan){.graph = graph, .n_nodes = graph->n_nodes, .n_ids = graph->next_value_id,
                      .n_node_ids = graph->next_node_id};
    plan->roles = calloc(plan->n_nodes + 1, sizeof *plan->roles);
    plan->value_index = malloc((plan->n_ids + 1) * sizeof *plan->value_index);
    plan->node_pos = malloc((plan->n_node_ids + 1) * sizeof *plan->node_pos);
    if (!plan->roles || !plan->value_index || !plan->node_pos) {
        qz_plan_clear(plan);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory planning quantization");
    }
    for (size_t i = 0; i < plan->n_ids; i++)
        plan->value_index[i] = QZ_NONE;
    for (size_t i = 0; i < plan->n_node_ids; i++)
        plan->node_pos[i] = QZ_NONE;
    for (size_t i = 0; i < plan->n_nodes; i++)
        plan->node_pos[graph->nodes[i]->id] = i;
    plan_layers(plan, options, keep_float);
    ol_status st = plan_values(plan, options, keep_float, err);
    if (st != OL_OK)
        qz_plan_clear(plan);
    return st;
}

void qz_plan_clear(qz_plan *plan)
{
    free(plan->roles);
    free(plan->values);
    free(plan->value_index);
    free(plan->node_pos);
    free(plan->unfused);
    *plan = (qz_plan){0};
}

bool qz_role_is_layer(qz_role role)
{
    return role == QZ_CONV || role == QZ_GEMM || role == QZ_MATMUL || role == QZ_REQUANT;
}

const char *qz_role_name(qz_role role)
{
    switch (role) {
    case QZ_FLOAT: return "float";
    case QZ_CONV: return "conv";
    case QZ_GEMM: return "gemm";
    case QZ_MATMUL: return "matmul";
    case QZ_REQUANT: return "requantize";
    case QZ_SHARED: return "data movement";
    case QZ_UNFUSED: return "unfused";
    case QZ_FOLDED: return "folded";
    }
    return "?";
}

/* ---------------------------------------------------------------------------------------------- */
/* Parameters */

bool qz_ranges_find(const qz_ranges *ranges, const char *name, double *lo, double *hi)
{
    for (size_t i = 0; i < ranges->n; i++)
        if (strcmp(ranges->names[i], name) == 0) {
            *lo = ranges->lo[i];
            *hi = ranges->hi[i];
            return true;
        }
    return false;
}

void qz_ranges_clear(qz_ranges *ranges)
{
    for (size_t i = 0; ranges->names && i < ranges->n; i++)
        free(ranges->names[i]);
    free(ranges->names);
    free(ranges->lo);
    free(ranges->hi);
    *ranges = (qz_ranges){0};
}

ol_status qz_plan_set_params(qz_plan *plan, const qz_options *options, const qz_ranges *ranges,
                             ol_error *err)
{
    /* Shared values point at earlier ones (their inputs), so one pass in order suffices. */
    for (size_t k = 0; k < plan->n_values; k++) {
        qz_value *v = &plan->values[k];
        if (v->shares != k) {
            v->params = plan->values[v->shares].params;
            continue;
        }
        double lo, hi;
        if (!qz_ranges_find(ranges, v->range_of->name, &lo, &hi))
            return ol_fail(err, OL_ERR_INTERNAL, "tensor '%s' was not calibrated", v->range_of->name);
        v->params = ol_qparams_from_range(lo, hi, options->activations, options->symmetric);
    }
    return OL_OK;
}
