/* The rewrite that emits a quantization plan:
 *
 *   1. each folded Relu/Clip is removed (its readers read its input);
 *   2. weights become int8 initializers read through a DequantizeLinear (per-channel scales along
 *      the output channel axis), biases int32 at input_scale * weight_scale, and float constants of
 *      requantizing ops (Add, Mul, Concat) integers of the activation type; the DequantizeLinear's
 *      output takes the float initializer's name, so the layers read what they read before;
 *   3. every planned activation x with its own parameters gets x -> QuantizeLinear, and a data
 *      movement op that shares them (MaxPool, Reshape, ...) reads those integers directly: its
 *      output is the integer tensor, as onnxruntime runs it once it has dropped the DequantizeLinear
 *      -> op -> QuantizeLinear around it, without the two nodes per op that would say so. Every
 *      other reader of x (graph outputs and subgraphs included) reads a DequantizeLinear of the
 *      integers.
 *
 * Weights go before activations because a bias's scale is that of the layer's input, looked up by
 * the value the layer reads before step 3 rewires it. New names derive from the original ones
 * ("conv1.weight_quantized", "x_Q", "x_DQ"), with a numbered suffix only when taken; node names
 * are short because a small model's names are a visible part of its file. New
 * values are left untyped: shape inference types them when a later pass needs it, and the file
 * does not carry a value_info for each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"
#include "quantize.h"
#include "util/mem.h"

typedef struct rewriter {
    const qz_plan *plan;
    const qz_options *options;
    ol_graph *graph;
    ol_value **scales, **zero_points;   /* by plan value: the parameters its Q and DQ read */
    ol_value **integers;                /* by plan value: the tensor holding its integers */
    ol_value **zps;                     /* zero points made so far, each distinct once */
    size_t n_zps, cap_zps;
    size_t clamped;                     /* bias values beyond int32 */
} rewriter;

static ol_value *initializer(rewriter *rw, const char *base, const char *suffix, ol_tensor *tensor,
                             ol_error *err)
{
    ol_value *v = pass_add_initializer(rw->graph, base, tensor, err);
    if (v)
        pass_prefer_name(v, base, suffix);
    return v;
}

/* A zero point holding `tensor` (ownership taken, also on failure). Zero points repeat (all
 * zeros, mostly), so each distinct one is stored once: named after `base` when it is not all
 * zeros, else by its type and length ("zero_point_uint8", "zero_point_int8_64"). */
static ol_value *zero_point(rewriter *rw, const char *base, ol_tensor *tensor, ol_error *err)
{
    if (!tensor)
        return NULL;
    for (size_t i = 0; i < rw->n_zps; i++)
        if (ol_tensor_equal(rw->zps[i]->constant, tensor)) {
            ol_tensor_destroy(tensor);
            return rw->zps[i];
        }
    if (!OL_RESERVE(rw->zps, rw->cap_zps, rw->n_zps + 1)) {
        ol_tensor_destroy(tensor);
        ol_fail(err, OL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    bool zeros = true;
    for (size_t b = 0; b < tensor->nbytes && zeros; b++)
        zeros = ((const uint8_t *)tensor->data)[b] == 0;
    char name[64];
    if (tensor->rank == 0)
        snprintf(name, sizeof name, "zero_point_%s", ol_dtype_name(tensor->dtype));
    else
        snprintf(name, sizeof name, "zero_point_%s_%lld", ol_dtype_name(tensor->dtype),
                 (long long)ol_tensor_numel(tensor));
    ol_value *v = zeros ? initializer(rw, name, "", tensor, err) : initializer(rw, base, "_zero_point", tensor, err);
    if (v)
        rw->zps[rw->n_zps++] = v;
    return v;
}

static ol_tensor *scalar(ol_dtype dtype, double value, ol_error *err)
{
    ol_tensor *t = ol_tensor_create(dtype, 0, NULL, err);
    void *data = t ? ol_tensor_mutable_data(t, err) : NULL;
    if (!data) {
        ol_tensor_destroy(t);
        return NULL;
    }
    switch (dtype) {
    case OL_FLOAT: *(float *)data = (float)value; break;
    case OL_UINT8: *(uint8_t *)data = (uint8_t)value; break;
    case OL_INT8: *(int8_t *)data = (int8_t)value; break;
    default: *(int32_t *)data = (int32_t)value; break;
    }
    return t;
}

/* A DequantizeLinear of (q, scale[, zero point]) along `axis` (-1: per tensor), named after `base`;
 * returns its float output. */
static ol_value *dequantize(rewriter *rw, const char *base, ol_value *q, ol_value *scale, ol_value *zp, int axis,
                            ol_error *err)
{
    char *name = pass_node_name(rw->graph, base, "DQ");
    ol_node *dq = ol_graph_add_node(rw->graph, "DequantizeLinear", "", name, err);
    free(name);
    ol_value *out = NULL;
    ol_status st = dq ? OL_OK : OL_ERR_NOMEM;
    if (st == OL_OK)
        st = ol_node_add_input(dq, q, err);
    if (st == OL_OK)
        st = ol_node_add_input(dq, scale, err);
    if (st == OL_OK && zp)
        st = ol_node_add_input(dq, zp, err);
    if (st == OL_OK && axis >= 0)
        st = ol_node_set_attr_int(dq, "axis", axis, err);
    if (st == OL_OK && (out = ol_node_new_output(dq, NULL, err)))
        pass_prefer_name(out, base, "_dequantized");
    return st == OL_OK ? out : NULL;
}

/* Input `index` of `node`, a float constant, becomes `dq`; once nothing reads the constant any
 * more, the DequantizeLinear's output takes its name. */
static ol_status replace_constant(rewriter *rw, ol_node *node, size_t index, ol_value *dq, const char *name,
                                  ol_error *err)
{
    ol_value *c = node->inputs[index];
    ol_status st = ol_node_set_input(node, index, dq, err);
    if (st == OL_OK)
        st = pass_drop_if_unused(rw->graph, c, err);
    if (st == OL_OK && c->erased)
        pass_prefer_name(dq, name, NULL);
    return st;
}

/* Input `index` of `node` (a float32 weight) becomes int8 through a DequantizeLinear. Returns the
 * scales in *scale_out (borrowed from the new initializer). The zero point is 0, the
 * DequantizeLinear's default, so it is left out (`with_zero_point` false) where onnxruntime fuses
 * the group without it: Conv and MatMul do; a Gemm (QGemm) is only fused when the weight's
 * DequantizeLinear has its three inputs. */
static ol_status quantize_weight(rewriter *rw, ol_node *node, size_t index, int axis, bool with_zero_point,
                                 const ol_tensor **scale_out, ol_error *err)
{
    ol_value *w = node->inputs[index];
    const ol_tensor *wt = pass_constant(w);
    ol_tensor *q, *scale;
    ol_status st = qz_weight_int8(wt, axis, &q, &scale, err);
    if (st != OL_OK)
        return st;
    ol_tensor *zp = with_zero_point ? ol_tensor_create(OL_INT8, scale->rank, scale->dims, err) : NULL;
    char *base = strdup(w->name);
    ol_value *qv = base ? initializer(rw, base, "_quantized", q, err) : (ol_tensor_destroy(q), NULL);
    ol_value *sv = qv ? initializer(rw, base, "_scale", scale, err) : (ol_tensor_destroy(scale), NULL);
    ol_value *zv = sv && with_zero_point ? zero_point(rw, base, zp, err) : (ol_tensor_destroy(zp), NULL);
    ol_value *out = sv && (zv || !with_zero_point) ? dequantize(rw, base, qv, sv, zv, axis, err) : NULL;
    st = out ? replace_constant(rw, node, index, out, base, err)
             : (err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory"));
    free(base);
    *scale_out = sv ? sv->constant : NULL;
    return st;
}

/* The bias input `index` of `node` becomes int32 at input_scale * weight_scale. */
static ol_status quantize_bias(rewriter *rw, ol_node *node, size_t index, float input_scale,
                               const ol_tensor *weight_scale, ol_error *err)
{
    ol_value *b = node->inputs[index];
    const ol_tensor *bt = pass_constant(b);
    ol_tensor *q, *scale;
    ol_status st = qz_bias_int32(bt, input_scale, weight_scale, &q, &scale, &rw->clamped, err);
    if (st != OL_OK)
        return st;
    char *base = strdup(b->name);
    ol_value *qv = base ? initializer(rw, base, "_quantized", q, err) : (ol_tensor_destroy(q), NULL);
    ol_value *sv = qv ? initializer(rw, base, "_scale", scale, err) : (ol_tensor_destroy(scale), NULL);
    ol_value *out = sv ? dequantize(rw, base, qv, sv, NULL, sv->constant->rank == 1 ? 0 : -1, err) : NULL;
    st = out ? replace_constant(rw, node, index, out, base, err)
             : (err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory"));
    free(base);
    return st;
}

/* A float constant read by a requantizing op becomes integers of the activation type. */
static ol_status quantize_constant(rewriter *rw, ol_node *node, size_t index, ol_error *err)
{
    ol_value *c = node->inputs[index];
    const ol_tensor *ct = pass_constant(c);
    ol_tensor *q;
    ol_qparams p;
    ol_status st = qz_constant_activation(ct, rw->options, &q, &p, err);
    if (st != OL_OK)
        return st;
    ol_tensor *scale = scalar(OL_FLOAT, p.scale, err), *zp = scalar(rw->options->activations, p.zero_point, err);
    char *base = strdup(c->name);
    ol_value *qv = base ? initializer(rw, base, "_quantized", q, err) : (ol_tensor_destroy(q), NULL);
    ol_value *sv = qv && scale ? initializer(rw, base, "_scale", scale, err) : (ol_tensor_destroy(scale), NULL);
    ol_value *zv = sv ? zero_point(rw, base, zp, err) : (ol_tensor_destroy(zp), NULL);
    ol_value *out = zv ? dequantize(rw, base, qv, sv, zv, -1, err) : NULL;
    st = out ? replace_constant(rw, node, index, out, base, err)
             : (err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory"));
    free(base);
    return st;
}

/* Scale of the planned value `node` reads as input `index`. */
static float input_scale(const rewriter *rw, const ol_node *node, size_t index)
{
    const qz_value *v = qz_plan_value(rw->plan, node->inputs[index]);
    return v ? v->params.scale : 1.0f;
}

static ol_status rewrite_layer(rewriter *rw, ol_node *node, qz_role role, ol_error *err)
{
    bool per_channel = rw->options->per_channel;
    const ol_tensor *ws = NULL;
    ol_status st = OL_OK;
    switch (role) {
    case QZ_CONV:
        st = quantize_weight(rw, node, 1, per_channel ? 0 : -1, false, &ws, err);
        if (st == OL_OK && pass_input(node, 2))
            st = quantize_bias(rw, node, 2, input_scale(rw, node, 0), ws, err);
        return st;
    case QZ_GEMM: {
        int axis = ol_node_attr_int(node, "transB", 0) ? 0 : 1;
        st = quantize_weight(rw, node, 1, per_channel ? axis : -1, true, &ws, err);
        if (st == OL_OK && pass_input(node, 2))
            st = quantize_bias(rw, node, 2, input_scale(rw, node, 0), ws, err);
        return st;
    }
    case QZ_MATMUL: {
        const ol_tensor *b = pass_constant(node->inputs[1]);
        if (b)
            st = quantize_weight(rw, node, 1, per_channel && b->rank == 2 ? 1 : -1, false, &ws, err);
        return st;
    }
    case QZ_REQUANT:
        for (size_t i = 0; i < node->n_inputs && st == OL_OK; i++)
            if (node->inputs[i] && pass_constant(node->inputs[i]))
                st = quantize_constant(rw, node, i, err);
        return st;
    default: return OL_OK;
    }
}

/* The reader takes the integers themselves: a data movement op sharing the value's parameters. */
static bool reads_integers(const rewriter *rw, const ol_use *use)
{
    return use->index == 0 && qz_plan_role(rw->plan, use->node) == QZ_SHARED;
}

/* Value k's integers: a QuantizeLinear of x, or x itself when a data movement op that shares its
 * parameters computes it from integers. */
static ol_status integers_of(rewriter *rw, size_t k, const char *base, ol_error *err)
{
    const qz_value *qv = &rw->plan->values[k];
    ol_value *x = qv->value;
    const qz_options *o = rw->options;
    if (qv->shares != k) {
        rw->scales[k] = rw->scales[qv->shares];
        rw->zero_points[k] = rw->zero_points[qv->shares];
        rw->integers[k] = x;
        x->type.elem = o->activations;   /* its producer now reads integers */
        return OL_OK;
    }
    ol_tensor *scale = scalar(OL_FLOAT, qv->params.scale, err);
    ol_tensor *zp = scalar(o->activations, qv->params.zero_point, err);
    rw->scales[k] = scale ? initializer(rw, base, "_scale", scale, err) : NULL;
    rw->zero_points[k] = zero_point(rw, base, zp, err);
    char *name = pass_node_name(rw->graph, base, "Q");
    ol_node *q = rw->scales[k] && rw->zero_points[k] ? ol_graph_add_node(rw->graph, "QuantizeLinear", "", name, err)
                                                     : NULL;
    free(name);
    ol_status st = q ? OL_OK : (err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory"));
    if (st == OL_OK)
        st = ol_node_add_input(q, x, err);
    if (st == OL_OK)
        st = ol_node_add_input(q, rw->scales[k], err);
    if (st == OL_OK)
        st = ol_node_add_input(q, rw->zero_points[k], err);
    if (st == OL_OK && !(rw->integers[k] = ol_node_new_output(q, NULL, err)))
        st = err->status ? err->status : OL_ERR_NOMEM;
    if (st == OL_OK)
        pass_prefer_name(rw->integers[k], base, "_quantized");
    return st;
}

/* Plan value k: its integers, read directly by the data movement ops sharing its parameters and
 * through a DequantizeLinear by every other reader. */
static ol_status quantize_value(rewriter *rw, size_t k, ol_error *err)
{
    ol_value *x = rw->plan->values[k].value;
    char *base = strdup(x->name);
    ol_status st = base ? integers_of(rw, k, base, err) : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_value *ints = rw->integers[k];
    const ol_node *q = ints && ints != x ? ints->producer : NULL;   /* the QuantizeLinear, if any */
    /* Who reads x now: the QuantizeLinear (stays), data movement ops (to the integers), the rest. */
    size_t n_uses = x->n_uses;
    ol_use *uses = st == OL_OK ? malloc((n_uses + 1) * sizeof *uses) : NULL;
    if (st == OL_OK && !uses)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    bool float_readers = x->is_output;
    for (size_t u = 0; st == OL_OK && u < n_uses; u++) {
        uses[u] = x->uses[u];
        float_readers = float_readers || (uses[u].node != q && !reads_integers(rw, &uses[u]));
    }
    if (st == OL_OK && float_readers) {
        /* Everything to the DequantizeLinear (graph outputs and subgraphs too), then the
         * QuantizeLinear and the data movement ops back. */
        bool was_output = x->is_output;
        ol_value *dq = dequantize(rw, base, ints, rw->scales[k], rw->zero_points[k], -1, err);
        st = dq ? OL_OK : (err->status ? err->status : OL_ERR_NOMEM);
        if (st == OL_OK && was_output) {
            /* A graph output keeps its declared type. */
            if (ol_type_copy(&dq->type, &x->type) != 0)
                st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            dq->type.elem = OL_FLOAT;
        }
        if (st == OL_OK)
            st = ol_value_replace_all_uses(x, dq, err);
        if (st == OL_OK && ints == x)   /* the DequantizeLinear itself read x */
            st = ol_node_set_input(dq->producer, 0, ints, err);
        if (st == OL_OK && was_output)   /* x handed its name to the DequantizeLinear's output */
            pass_prefer_name(x, base, ints == x ? "_quantized" : "_float");
        for (size_t u = 0; st == OL_OK && u < n_uses; u++)
            if (uses[u].node == q)
                st = ol_node_set_input(uses[u].node, (size_t)uses[u].index, x, err);
            else if (reads_integers(rw, &uses[u]))
                st = ol_node_set_input(uses[u].node, 0, ints, err);
    } else {
        for (size_t u = 0; st == OL_OK && u < n_uses; u++)
            if (uses[u].node != q && ints != x)
                st = ol_node_set_input(uses[u].node, 0, ints, err);
    }
    /* x is now an intermediate the rewrite rewired (or retyped): like the new values, it is left
     * untyped, so the file carries no value_info the shape inference before the pass made up. */
    if (st == OL_OK && x->producer && !x->is_output)
        ol_type_clear(&x->type);
    free(uses);
    free(base);
    return st;
}

/* A folded Relu/Clip: its readers read its input, whose quantization clips the same. */
static ol_status remove_folded(rewriter *rw, ol_node *node, ol_error *err)
{
    ol_value *in = node->inputs[0], *out = node->outputs[0];
    ol_graph_erase_node(rw->graph, node);
    ol_status st = ol_value_replace_all_uses(out, in, err);
    if (st == OL_OK)
        st = pass_drop_unused_inputs(rw->graph, node, err);
    if (st == OL_OK && !out->is_output && !out->n_uses)
        st = ol_graph_erase_value(rw->graph, out, err);
    return st;
}

ol_status qz_rewrite(const qz_plan *plan, const qz_options *options, qz_note_fn note, void *note_user,
                     ol_error *err)
{
    rewriter rw = {.plan = plan, .options = options, .graph = plan->graph};
    rw.scales = calloc(plan->n_values + 1, sizeof *rw.scales);
    rw.zero_points = calloc(plan->n_values + 1, sizeof *rw.zero_points);
    rw.integers = calloc(plan->n_values + 1, sizeof *rw.integers);
    ol_status st = rw.scales && rw.zero_points && rw.integers ? OL_OK : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    /* The plan indexes the node list as it was; new nodes are appended after it. */
    for (size_t i = 0; i < plan->n_nodes && st == OL_OK; i++)
        if (plan->roles[i] == QZ_FOLDED)
            st = remove_folded(&rw, plan->graph->nodes[i], err);
    for (size_t i = 0; i < plan->n_nodes && st == OL_OK; i++)
        if (qz_role_is_layer(plan->roles[i]))
            st = rewrite_layer(&rw, plan->graph->nodes[i], plan->roles[i], err);
    for (size_t k = 0; k < plan->n_values && st == OL_OK; k++)
        st = quantize_value(&rw, k, err);
    if (st == OL_OK)
        st = ol_graph_toposort(plan->graph, err);
    if (st == OL_OK && rw.clamped && note) {
        char message[200];
        snprintf(message, sizeof message, "%zu bias value(s) exceeded the int32 range at input_scale * "
                 "weight_scale and were clamped", rw.clamped);
        note(note_user, true, message);
    }
    free(rw.scales);
    free(rw.zero_points);
    free(rw.integers);
    free(rw.zps);
    return st;
}
