/* Lowering QDQ groups to QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger (see
 * qdq_lower.h for the patterns).
 *
 * Each group is matched around its float op: the DequantizeLinear nodes feeding it (with constant
 * scales and zero points), and the QuantizeLinear that is the only reader of its result (possibly
 * through a Relu or Clip the Q's range makes redundant). The replacement reads the integer tensors
 * the DQs read and produces the Q's output value itself, so whatever read that value (the next
 * group's DQ, a graph output) is untouched; the float op, the DQs and the Q are then dropped where
 * nothing else reads them.
 *
 * The forms emitted are those onnxruntime's CPU provider implements: QLinearConv/QLinearMatMul need
 * the output type to be the activation's type and no int8 activation with uint8 weights;
 * ConvInteger takes one weight zero point (so per-channel zero points must all be equal, which
 * symmetric weights are). Anything else keeps its float form. */
#include "quant/qdq_lower.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The built-in passes' helpers (passes/ is not on the include path of src/). */
#include "../../passes/pass_attrs.h"
#include "../../passes/pass_tensor.h"
#include "../../passes/pass_util.h"

/* A DequantizeLinear with constant parameters: the integer tensor it reads and how. */
typedef struct dq_in {
    ol_node *dq;
    ol_value *q;              /* the integer tensor */
    ol_value *scale;          /* float32 constant */
    ol_value *zp;             /* constant of q's type; NULL means zero */
    ol_dtype type;            /* q's element type */
    int64_t n;                /* number of scales: 1 per tensor, else one per slice along axis */
    int64_t axis;             /* as written (may be negative); meaningful when n > 1 */
} dq_in;

/* The QuantizeLinear that consumes an op's result. */
typedef struct q_out {
    ol_node *q;
    ol_value *scale, *zp;     /* zp NULL means zero of `type` */
    ol_dtype type;
} q_out;

typedef struct lower_ctx {
    ol_qdq_lower_options options;
} lower_ctx;

static bool is_8bit(ol_dtype t)
{
    return t == OL_UINT8 || t == OL_INT8;
}

static int64_t qmin_of(ol_dtype t)
{
    return t == OL_INT8 ? -128 : 0;
}

static int64_t qmax_of(ol_dtype t)
{
    return t == OL_INT8 ? 127 : 255;
}

/* The onnxruntime CPU kernels for QLinearConv/QLinearMatMul/ConvInteger have no int8 activation
 * with uint8 weights. */
static bool ort_weight_pair_ok(ol_dtype x, ol_dtype w)
{
    return is_8bit(x) && is_8bit(w) && !(x == OL_INT8 && w == OL_UINT8);
}

static float scale_at(const dq_in *in, int64_t i)
{
    return (float)pass_tensor_get(pass_constant(in->scale), in->n == 1 ? 0 : i);
}

static int64_t zp_at(const ol_value *zp, int64_t i)
{
    const ol_tensor *t = pass_constant(zp);
    if (!t)
        return 0;
    return (int64_t)pass_tensor_get(t, ol_tensor_numel(t) == 1 ? 0 : i);
}

/* value = DequantizeLinear(q, scale const float32, zp const) with one scale or one per axis
 * slice (not blocked). */
static bool match_dq(ol_value *value, dq_in *out)
{
    ol_node *dq = value ? value->producer : NULL;
    if (!pass_is_op(dq, "DequantizeLinear") || dq->opset < 10 || dq->n_inputs < 2 || !dq->inputs[0] ||
        ol_node_attr_int(dq, "block_size", 0) != 0)
        return false;
    ol_value *scale = dq->inputs[1], *zp = pass_input(dq, 2);
    const ol_tensor *s = pass_constant(scale), *z = pass_constant(zp);
    if (!s || s->dtype != OL_FLOAT || (zp && !z) || s->rank > 1)
        return false;
    *out = (dq_in){.dq = dq, .q = dq->inputs[0], .scale = scale, .zp = zp, .n = ol_tensor_numel(s)};
    ol_dtype data_type = pass_elem_type(out->q);
    out->type = z ? z->dtype : data_type;
    if (out->n < 1 || out->type == OL_UNDEFINED || (data_type != OL_UNDEFINED && data_type != out->type) ||
        (z && ol_tensor_numel(z) != out->n))
        return false;
    out->axis = ol_node_attr_int(dq, "axis", 1);
    return out->n == 1 || dq->opset >= 13;
}

/* One float32 scale and one zero point for the whole tensor. */
static bool per_tensor(const dq_in *in)
{
    return in->n == 1;
}

/* Per-slice parameters along `axis` of a constant of rank `rank` with `len` slices. */
static bool per_axis(const dq_in *in, int rank, int axis, int64_t len)
{
    int64_t a = in->axis < 0 ? in->axis + rank : in->axis;
    return in->n == len && a == axis;
}

static bool zero_points_uniform(const dq_in *in)
{
    for (int64_t i = 1; in->zp && i < in->n; i++)
        if (zp_at(in->zp, i) != zp_at(in->zp, 0))
            return false;
    return true;
}

/* Q(v) as QuantizeLinear computes it, before saturation. */
static double quantize_unsaturated(float v, float scale, int64_t zp)
{
    if (isinf(v))
        return v;
    return (double)nearbyintf(v / scale) + (double)zp;
}

static bool read_q_params(ol_node *q, q_out *out)
{
    ol_value *scale = pass_input(q, 1), *zp = pass_input(q, 2);
    const ol_tensor *s = pass_constant(scale), *z = pass_constant(zp);
    if (!s || s->dtype != OL_FLOAT || ol_tensor_numel(s) != 1 || s->rank > 1 || (zp && !z) ||
        (z && (ol_tensor_numel(z) != 1 || z->rank > 1)) || q->n_outputs != 1 || !q->outputs[0])
        return false;
    ol_dtype type = z ? z->dtype : (ol_dtype)ol_node_attr_int(q, "output_dtype", OL_UINT8);
    if (!is_8bit(type) || (z && (ol_dtype)ol_node_attr_int(q, "output_dtype", type) != type))
        return false;
    *out = (q_out){.q = q, .scale = scale, .zp = zp, .type = type};
    return true;
}

/* The Q's range already clips where `act` (Relu, or Clip with constant bounds) clips: Q is
 * monotonic, so Q(clip(y, lo, hi)) = clamp(Q(y), Q(lo), Q(hi)), which is Q(y) when Q(lo) <= qmin
 * and Q(hi) >= qmax. */
static bool activation_redundant(const ol_node *act, const q_out *q)
{
    float lo = -INFINITY, hi = INFINITY;
    if (pass_is_op(act, "Relu")) {
        lo = 0;
    } else if (pass_is_op(act, "Clip") && act->opset >= 11) {
        for (size_t i = 1; i < 3; i++) {
            ol_value *b = pass_input(act, i);
            const ol_tensor *t = pass_constant(b);
            if (b && (!t || t->dtype != OL_FLOAT || ol_tensor_numel(t) != 1))
                return false;
            if (t)
                *(i == 1 ? &lo : &hi) = (float)pass_tensor_get(t, 0);
        }
    } else if (pass_is_op(act, "Clip")) {
        lo = ol_node_attr_float(act, "min", -INFINITY);
        hi = ol_node_attr_float(act, "max", INFINITY);
    } else {
        return false;
    }
    float s = (float)pass_tensor_get(pass_constant(q->scale), 0);
    int64_t zp = zp_at(q->zp, 0);
    return quantize_unsaturated(lo, s, zp) <= (double)qmin_of(q->type) &&
           quantize_unsaturated(hi, s, zp) >= (double)qmax_of(q->type);
}

/* The QuantizeLinear that is the only reader of `y`, directly or through a redundant activation. */
static bool match_q(ol_value *y, q_out *out)
{
    if (!y || y->is_output || y->n_uses != 1 || y->uses[0].index == OL_IMPLICIT_USE)
        return false;
    ol_node *next = y->uses[0].node;
    if (y->uses[0].index != 0)
        return false;
    if (pass_is_op(next, "QuantizeLinear"))
        return next->opset >= 10 && read_q_params(next, out);
    if ((pass_is_op(next, "Relu") || pass_is_op(next, "Clip")) && next->n_outputs == 1) {
        ol_value *a = next->outputs[0];
        if (!a || a->is_output || a->n_uses != 1 || a->uses[0].index != 0)
            return false;
        ol_node *q = a->uses[0].node;
        return pass_is_op(q, "QuantizeLinear") && q->opset >= 10 && read_q_params(q, out) &&
               activation_redundant(next, out);
    }
    return false;
}

/* ---- building ---- */

static ol_status no_memory(ol_error *err)
{
    return ol_fail(err, OL_ERR_NOMEM, "out of memory lowering QDQ groups");
}

/* New values are named "<base><suffix>" where that name is free, else a fresh name derived from it. */
static char *derived_name(ol_model *model, const char *base, const char *suffix)
{
    char hint[512];
    snprintf(hint, sizeof hint, "%s%s", base, suffix);
    return ol_model_fresh_name(model, hint);
}

/* A new output of `node` named after `base` + `suffix`, typed `dtype` (rank unknown). */
static ol_value *new_output(ol_node *node, const char *base, const char *suffix, ol_dtype dtype, ol_error *err)
{
    char *name = derived_name(node->graph->model, base, suffix);
    if (!name) {
        no_memory(err);
        return NULL;
    }
    ol_value *v = ol_node_new_output(node, name, err);
    free(name);
    if (v) {
        v->type.kind = OL_TYPE_TENSOR;
        v->type.elem = dtype;
        v->type.rank = -1;
        pass_prefer_name(v, base, suffix);
    }
    return v;
}

/* An initializer holding `t` (taken, also on failure) named after `base` + `suffix`. */
static ol_value *new_initializer(ol_graph *graph, const char *base, const char *suffix, ol_tensor *t,
                                 ol_error *err)
{
    if (!t)
        return NULL;
    ol_value *v = pass_add_initializer(graph, base, t, err);
    pass_prefer_name(v, base, suffix);
    return v;
}

/* A node of type `op` reading `inputs` (trailing NULLs, omitted optional inputs, left out). It takes
 * the name of `origin`, the node it replaces, or with `helper` a unique name derived from it
 * ("conv1_DequantizeLinear"). */
static ol_node *add_node(ol_graph *graph, const char *op, const ol_node *origin, bool helper,
                         ol_value *const *inputs, size_t n, ol_error *err)
{
    while (n > 0 && !inputs[n - 1])
        n--;
    char *name = helper ? pass_node_name(graph, origin->name, op) : NULL;
    ol_node *node = ol_graph_add_node(graph, op, "", helper ? name : origin->name, err);
    free(name);
    if (!node)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (ol_node_add_input(node, inputs[i], err) != OL_OK)
            return NULL;
    return node;
}

/* The zero point to give an integer op: the DQ's/Q's own, or a new zero scalar of `type`. */
static ol_value *zero_point_or_zero(ol_graph *graph, ol_value *zp, ol_dtype type, const char *base,
                                    ol_error *err)
{
    if (zp)
        return zp;
    return new_initializer(graph, base, "_zero_point", ol_tensor_create(type, 0, NULL, err), err);
}

/* A one-element zero point for ConvInteger (the DQ's per-channel ones are all equal), or NULL in
 * *out when it is zero and can be left out. */
static ol_status scalar_zero_point(ol_graph *graph, const dq_in *in, const char *hint, ol_value **out,
                                   ol_error *err)
{
    int64_t zp = zp_at(in->zp, 0);
    *out = zp == 0 ? NULL : in->n == 1 ? in->zp : NULL;
    if (zp == 0 || *out)
        return OL_OK;
    ol_tensor *t = pass_tensor_from_ints(in->type, 0, NULL, &zp, err);
    *out = new_initializer(graph, hint, "_zero_point_scalar", t, err);
    return *out ? OL_OK : err->status;
}

static ol_value *float_initializer(ol_graph *graph, const char *base, const char *suffix, int rank,
                                   const int64_t *dims, const double *values, ol_error *err)
{
    return new_initializer(graph, base, suffix, pass_tensor_from_doubles(OL_FLOAT, rank, dims, values, err), err);
}

/* x_scale * w_scale[c] for c < n (n = 1 when both are per tensor). */
static double *product_scales(const dq_in *x, const dq_in *w, int64_t n, ol_error *err)
{
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) {
        no_memory(err);
        return NULL;
    }
    for (int64_t c = 0; c < n; c++)
        s[c] = (double)(scale_at(x, 0) * scale_at(w, c));
    return s;
}

/* ---- bias ---- */

/* The float values of a constant bias of `n` elements (or one, broadcast) in *out (malloc'ed): a
 * DequantizeLinear of a constant, or a float constant. *out is NULL when `b` is not such a bias.
 * *as_int32 is set to the DQ's int32 constant when there is one (it can be reused as is). */
static ol_status read_bias(ol_value *b, int64_t n, double **out, ol_value **as_int32, ol_error *err)
{
    *out = NULL;
    *as_int32 = NULL;
    dq_in dq;
    const ol_tensor *t;
    bool quantized = match_dq(b, &dq);
    if (quantized) {
        t = pass_constant(dq.q);
        if (!t || (dq.n != 1 && !(t->rank == 1 && per_axis(&dq, 1, 0, n))))
            return OL_OK;
    } else {
        t = pass_constant(b);
        if (!t || !pass_dtype_is_float(t->dtype))
            return OL_OK;
    }
    int64_t numel = ol_tensor_numel(t);
    for (int d = 0; d + 1 < t->rank; d++)   /* [n], [1, n] or a single element */
        if (t->dims[d] != 1)
            return OL_OK;
    if (numel != n && numel != 1)
        return OL_OK;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return no_memory(err);
    for (int64_t c = 0; c < n; c++) {
        int64_t i = numel == 1 ? 0 : c;
        v[c] = quantized ? (pass_tensor_get(t, i) - (double)zp_at(dq.zp, i)) * (double)scale_at(&dq, i)
                         : pass_tensor_get(t, i);
    }
    if (quantized && t->dtype == OL_INT32 && t->rank == 1 && numel == n)
        *as_int32 = dq.q;
    *out = v;
    return OL_OK;
}

/* The bias in int32 at the accumulator's scale (x_scale * w_scale[c]); false when it does not fit. */
static bool bias_to_int32(const double *bias, const double *acc_scale, int64_t n, int64_t *out)
{
    for (int64_t c = 0; c < n; c++) {
        double q = acc_scale[c] > 0 ? nearbyint(bias[c] / acc_scale[c]) : 0;
        if (!(fabs(q) <= 2147483647.0) || (acc_scale[c] <= 0 && bias[c] != 0))
            return false;
        out[c] = (int64_t)q;
    }
    return true;
}

/* The int32 bias `values` as an initializer: `existing` when it holds exactly them. */
static ol_value *int32_bias_initializer(ol_graph *graph, ol_value *existing, const char *base,
                                        const int64_t *values, int64_t n, ol_error *err)
{
    const ol_tensor *old = pass_constant(existing);
    bool same = old != NULL;
    for (int64_t i = 0; same && i < n; i++)
        same = (int64_t)pass_tensor_get(old, i) == values[i];
    if (same)
        return existing;
    ol_tensor *t = pass_tensor_from_ints(OL_INT32, 1, (int64_t[]){n}, values, err);
    return new_initializer(graph, base, "_quantized", t, err);
}

/* ---- finishing a rewrite ---- */

/* `last` takes over `y` (the Q's output, or the float op's output) from `old`, its producer, and
 * what `old` read is dropped where nothing else reads it. */
static ol_status take_over(ol_graph *graph, ol_node *old, ol_node *last, ol_value *y, ol_error *err)
{
    ol_graph_erase_node(graph, old);
    ol_status st = ol_node_add_output(last, y, err);
    return st == OL_OK ? pass_drop_unused_inputs(graph, old, err) : st;
}

/* ---- float result: ConvInteger / MatMulInteger -> DequantizeLinear [-> Add bias] ---- */

typedef struct float_tail {
    const double *scales;      /* x_scale * w_scale, n_scales of them */
    int64_t n_scales;
    int64_t axis;              /* DequantizeLinear axis of a per-channel scale */
    const double *bias;        /* float bias or NULL */
    int bias_rank;
    const int64_t *bias_dims;
} float_tail;

/* int32 `acc` (from `head`) -> DequantizeLinear(scales) [-> Add(bias)] -> op's output `y`. */
static ol_status finish_float(ol_graph *graph, ol_node *op, ol_value *acc, const float_tail *ft, ol_error *err)
{
    ol_value *y = op->outputs[0];
    ol_value *scale = float_initializer(graph, y->name, "_acc_scale", ft->n_scales > 1 ? 1 : 0,
                                        (int64_t[]){ft->n_scales},
                                        ft->scales, err);
    if (!scale)
        return err->status;
    ol_node *dq = add_node(graph, "DequantizeLinear", op, true, (ol_value *[]){acc, scale}, 2, err);
    if (!dq || (ft->n_scales > 1 && ol_node_set_attr_int(dq, "axis", ft->axis, err) != OL_OK))
        return err->status;
    ol_node *last = dq;
    if (ft->bias) {
        ol_value *d = new_output(dq, y->name, "_unbiased", OL_FLOAT, err);
        ol_value *b = d ? float_initializer(graph, y->name, "_bias", ft->bias_rank, ft->bias_dims, ft->bias, err)
                        : NULL;
        if (!b || !(last = add_node(graph, "Add", op, true, (ol_value *[]){d, b}, 2, err)))
            return err->status;
    }
    return take_over(graph, op, last, y, err);
}

/* ---- Conv ---- */

/* QLinearConv(x, w, bias in int32) producing the Q's output. */
static ol_status conv_to_qlinear(ol_graph *graph, ol_node *conv, const dq_in *x, const dq_in *w, const q_out *q,
                                 const int64_t *bias_i32, ol_value *old_bias, int64_t m, ol_error *err)
{
    ol_value *y = q->q->outputs[0];
    ol_value *b = NULL;
    if (bias_i32) {
        if (!(b = int32_bias_initializer(graph, old_bias, conv->inputs[2]->name, bias_i32, m, err)))
            return err->status;
    }
    ol_value *x_zp = zero_point_or_zero(graph, x->zp, x->type, x->q->name, err);
    ol_value *w_zp = x_zp ? zero_point_or_zero(graph, w->zp, w->type, w->q->name, err) : NULL;
    ol_value *y_zp = w_zp ? zero_point_or_zero(graph, q->zp, q->type, y->name, err) : NULL;
    ol_node *node = y_zp ? add_node(graph, "QLinearConv", conv, false,
                                    (ol_value *[]){x->q, x->scale, x_zp, w->q, w->scale, w_zp, q->scale, y_zp, b},
                                    9, err)
                         : NULL;
    if (!node)
        return err->status;
    ol_status st = pass_copy_attrs(node, conv, err);
    return st == OL_OK ? take_over(graph, q->q, node, y, err) : st;
}

/* ConvInteger -> DequantizeLinear(x_scale * w_scale) [-> Add bias] producing the Conv's output. */
static ol_status conv_to_integer(ol_graph *graph, ol_node *conv, const dq_in *x, const dq_in *w, int rank,
                                 int64_t m, const double *scales, const double *bias, ol_error *err)
{
    ol_value *x_zp, *w_zp;
    ol_status st = scalar_zero_point(graph, x, x->q->name, &x_zp, err);
    if (st != OL_OK || (st = scalar_zero_point(graph, w, w->q->name, &w_zp, err)) != OL_OK)
        return st;
    ol_node *node = add_node(graph, "ConvInteger", conv, false, (ol_value *[]){x->q, w->q, x_zp, w_zp}, 4, err);
    if (!node || (st = pass_copy_attrs(node, conv, err)) != OL_OK)
        return err->status;
    ol_value *acc = new_output(node, conv->outputs[0]->name, "_int32", OL_INT32, err);
    if (!acc)
        return err->status;
    /* Per-channel scales and the bias broadcast along axis 1 of [N, M, spatial...]: [M, 1, ...]. */
    int64_t bias_dims[OL_MAX_RANK];
    bias_dims[0] = m;
    for (int d = 1; d < rank - 1; d++)
        bias_dims[d] = 1;
    float_tail ft = {.scales = scales, .n_scales = per_tensor(w) ? 1 : m, .axis = 1, .bias = bias,
                     .bias_rank = rank - 1, .bias_dims = bias_dims};
    return finish_float(graph, conv, acc, &ft, err);
}

static ol_status lower_conv(lower_ctx *c, ol_graph *graph, ol_node *conv, bool *changed, ol_error *err)
{
    dq_in x, w;
    if (!pass_is_op(conv, "Conv") || conv->n_inputs < 2 || conv->n_outputs != 1 || !conv->outputs[0] ||
        !pass_attrs_copyable(conv) || !match_dq(conv->inputs[0], &x) || !match_dq(conv->inputs[1], &w))
        return OL_OK;
    const ol_tensor *wt = pass_constant(w.q);
    if (!wt || wt->rank < 3 || !per_tensor(&x) || !ort_weight_pair_ok(x.type, w.type) ||
        !zero_points_uniform(&w))
        return OL_OK;
    int64_t m = wt->dims[0];
    if (!per_tensor(&w) && !per_axis(&w, wt->rank, 0, m))
        return OL_OK;
    double *bias = NULL;
    ol_value *old_bias = NULL;
    ol_status st = pass_input(conv, 2) ? read_bias(conv->inputs[2], m, &bias, &old_bias, err) : OL_OK;
    if (st != OL_OK || (pass_input(conv, 2) && !bias))
        return st;
    q_out q;
    bool requant = match_q(conv->outputs[0], &q) && q.type == x.type;
    double *scales = product_scales(&x, &w, m, err);
    int64_t *bias_i32 = bias && requant ? malloc((size_t)m * sizeof *bias_i32) : NULL;
    if (!scales || (bias && requant && !bias_i32)) {
        st = scales ? no_memory(err) : err->status;
    } else if (requant) {
        /* A bias beyond int32 at the accumulator's scale leaves the group in float. */
        if (!bias || bias_to_int32(bias, scales, m, bias_i32)) {
            st = conv_to_qlinear(graph, conv, &x, &w, &q, bias_i32, old_bias, m, err);
            *changed = true;
        }
    } else if (!c->options.skip_float_outputs) {
        st = conv_to_integer(graph, conv, &x, &w, wt->rank, m, scales, bias, err);
        *changed = true;
    }
    free(bias);
    free(bias_i32);
    free(scales);
    return st;
}

/* ---- MatMul and Gemm ---- */

/* B of a matrix product as the integer ops read it: [K, N] with per-column parameters. */
typedef struct mm_b {
    dq_in in;
    ol_value *q;     /* w.q, or its transpose for Gemm with transB */
    int64_t n;       /* columns (N) when known from a constant, else 1 */
} mm_b;

/* A 2-D constant transposed: Gemm's B with transB=1 as MatMul reads it. */
static ol_value *transposed(ol_graph *graph, const ol_value *v, ol_error *err)
{
    const ol_tensor *t = pass_constant(v);
    int64_t rows = t->dims[0], cols = t->dims[1];
    size_t es = ol_dtype_bits(t->dtype) / 8;
    ol_tensor *out = ol_tensor_create(t->dtype, 2, (int64_t[]){cols, rows}, err);
    uint8_t *dst = out ? ol_tensor_mutable_data(out, err) : NULL;
    if (!dst) {
        ol_tensor_destroy(out);
        return NULL;
    }
    const uint8_t *src = t->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < cols; k++)
            memcpy(dst + (size_t)(k * rows + r) * es, src + (size_t)(r * cols + k) * es, es);
    return new_initializer(graph, v->name, "_transposed", out, err);
}

/* B's parameters: per tensor (B constant or not), or per column of a constant 2-D B, whose output
 * axis is `out_axis` (1 for MatMul, 0 for Gemm with transB). */
static bool match_b(ol_value *value, int out_axis, mm_b *out)
{
    if (!match_dq(value, &out->in))
        return false;
    const ol_tensor *t = pass_constant(out->in.q);
    out->q = out->in.q;
    out->n = 1;
    if (t && t->rank == 2) {
        out->n = t->dims[out_axis];
        return per_tensor(&out->in) || per_axis(&out->in, 2, out_axis, out->n);
    }
    return per_tensor(&out->in) && (out_axis == 1 || !t);
}

/* QLinearMatMul producing the Q's output. */
static ol_status mm_to_qlinear(ol_graph *graph, ol_node *op, const dq_in *a, const mm_b *b, const q_out *q,
                               ol_error *err)
{
    ol_value *y = q->q->outputs[0];
    ol_value *a_zp = zero_point_or_zero(graph, a->zp, a->type, a->q->name, err);
    ol_value *b_zp = a_zp ? zero_point_or_zero(graph, b->in.zp, b->in.type, b->in.q->name, err) : NULL;
    ol_value *y_zp = b_zp ? zero_point_or_zero(graph, q->zp, q->type, y->name, err) : NULL;
    ol_node *node = y_zp ? add_node(graph, "QLinearMatMul", op, false,
                                    (ol_value *[]){a->q, a->scale, a_zp, b->q, b->in.scale, b_zp, q->scale, y_zp},
                                    8, err)
                         : NULL;
    return node ? take_over(graph, q->q, node, y, err) : err->status;
}

/* What the MatMulInteger form needs beyond the operands. */
typedef struct mm_tail {
    const double *scales;   /* a_scale * b_scale: one, or one per column */
    int64_t n_scales;
    const double *bias;     /* float bias per column, or NULL */
    const int64_t *bias_i32;   /* the same at the accumulator's scale (requantized output only) */
    ol_value *old_bias;     /* the model's int32 bias, reused when it holds bias_i32 */
    const q_out *q;         /* the Q of a requantized output, or NULL */
} mm_tail;

/* MatMulInteger [-> Add int32 bias] -> DequantizeLinear -> the existing Q (requantized output), or
 * MatMulInteger -> DequantizeLinear [-> Add float bias] producing the op's float output. */
static ol_status mm_to_integer(ol_graph *graph, ol_node *op, const dq_in *a, const mm_b *b, const mm_tail *t,
                               ol_error *err)
{
    ol_value *y = t->q ? t->q->q->outputs[0] : op->outputs[0];
    ol_node *mm = add_node(graph, "MatMulInteger", op, false, (ol_value *[]){a->q, b->q, a->zp, b->in.zp}, 4, err);
    ol_value *acc = mm ? new_output(mm, y->name, "_int32", OL_INT32, err) : NULL;
    if (!acc)
        return err->status;
    if (!t->q) {
        float_tail ft = {.scales = t->scales, .n_scales = t->n_scales, .axis = -1, .bias = t->bias,
                         .bias_rank = 1, .bias_dims = &b->n};
        return finish_float(graph, op, acc, &ft, err);
    }
    if (t->bias_i32) {
        ol_value *bv = int32_bias_initializer(graph, t->old_bias, op->inputs[2]->name, t->bias_i32, b->n, err);
        ol_node *add = bv ? add_node(graph, "Add", op, true, (ol_value *[]){acc, bv}, 2, err) : NULL;
        if (!add || !(acc = new_output(add, y->name, "_int32_biased", OL_INT32, err)))
            return err->status;
    }
    ol_value *scale = float_initializer(graph, y->name, "_acc_scale", t->n_scales > 1 ? 1 : 0,
                                        (int64_t[]){t->n_scales},
                                        t->scales, err);
    ol_node *dq = scale ? add_node(graph, "DequantizeLinear", op, true, (ol_value *[]){acc, scale}, 2, err) : NULL;
    ol_value *f = dq && (t->n_scales == 1 || ol_node_set_attr_int(dq, "axis", -1, err) == OL_OK)
                      ? new_output(dq, op->outputs[0]->name, "", OL_FLOAT, err)
                      : NULL;
    if (!f)
        return err->status;
    /* The Q stays and reads the dequantized accumulator; the float op (and a redundant activation
     * between it and the Q) lose their reader and go. */
    ol_value *old_input = t->q->q->inputs[0];
    ol_status st = ol_node_set_input(t->q->q, 0, f, err);
    return st == OL_OK ? pass_drop_if_unused(graph, old_input, err) : st;
}

static ol_status lower_matmul_like(lower_ctx *c, ol_graph *graph, ol_node *op, bool *changed, ol_error *err)
{
    bool gemm = pass_is_op(op, "Gemm");
    if ((!gemm && !pass_is_op(op, "MatMul")) || op->n_inputs < 2 || op->n_outputs != 1 || !op->outputs[0])
        return OL_OK;
    dq_in a;
    mm_b b;
    bool trans_b = gemm && ol_node_attr_int(op, "transB", 0) != 0;
    if (!match_dq(op->inputs[0], &a) || !per_tensor(&a) || !is_8bit(a.type) ||
        !match_b(op->inputs[1], trans_b ? 0 : 1, &b) || !is_8bit(b.in.type))
        return OL_OK;
    if (gemm && (ol_node_attr_int(op, "transA", 0) != 0 || ol_node_attr_float(op, "alpha", 1.0f) != 1.0f ||
                 (trans_b && !pass_constant(b.in.q)) ||
                 (pass_input(op, 2) && ol_node_attr_float(op, "beta", 1.0f) != 1.0f)))
        return OL_OK;
    double *bias = NULL;
    ol_value *old_bias = NULL;
    ol_status st = gemm && pass_input(op, 2) ? read_bias(op->inputs[2], b.n, &bias, &old_bias, err) : OL_OK;
    if (st != OL_OK || (gemm && pass_input(op, 2) && !bias))
        return st;
    q_out q;
    bool requant = match_q(op->outputs[0], &q);
    bool qlinear = requant && !bias && q.type == a.type && ort_weight_pair_ok(a.type, b.in.type);
    int64_t n = per_tensor(&b.in) ? 1 : b.n;
    double *scales = product_scales(&a, &b.in, b.n, err);   /* b.n of them, equal when per tensor */
    int64_t *bias_i32 = bias && requant ? malloc((size_t)b.n * sizeof *bias_i32) : NULL;
    if (!scales || (bias && requant && !bias_i32)) {
        st = scales ? no_memory(err) : err->status;
        goto done;
    }
    /* Leave the group alone: float result not wanted, or a bias beyond int32 at the accumulator's
     * scale. */
    if ((!requant && c->options.skip_float_outputs) || (bias_i32 && !bias_to_int32(bias, scales, b.n, bias_i32)))
        goto done;
    if (trans_b && !(b.q = transposed(graph, b.in.q, err))) {
        st = err->status;
        goto done;
    }
    if (qlinear) {
        st = mm_to_qlinear(graph, op, &a, &b, &q, err);
    } else {
        mm_tail t = {.scales = scales, .n_scales = n, .bias = bias, .bias_i32 = bias_i32, .old_bias = old_bias,
                     .q = requant ? &q : NULL};
        st = mm_to_integer(graph, op, &a, &b, &t, err);
    }
    *changed = true;
done:
    free(bias);
    free(bias_i32);
    free(scales);
    return st;
}

/* ---- data movement on the integer tensor ---- */

/* Ops that only move or select elements (MaxPool: selects the largest, which an increasing affine
 * map preserves), with the opset from which ONNX allows them on 8-bit integers. */
static const struct {
    const char *op;
    int64_t min_opset;
} DATA_MOVEMENT[] = {
    {"MaxPool", 12}, {"Reshape", 5}, {"Transpose", 1}, {"Flatten", 9},
    {"Squeeze", 1},  {"Unsqueeze", 1}, {"Concat", 4},
};

static bool same_params(const dq_in *a, const ol_value *scale, const ol_value *zp, ol_dtype type)
{
    return a->type == type && scale_at(a, 0) == (float)pass_tensor_get(pass_constant(scale), 0) &&
           zp_at(a->zp, 0) == zp_at(zp, 0);
}

static ol_status lower_data_movement(ol_graph *graph, ol_node *op, bool *changed, ol_error *err)
{
    size_t k = 0, n_kinds = sizeof DATA_MOVEMENT / sizeof *DATA_MOVEMENT;
    while (k < n_kinds && !pass_is_op(op, DATA_MOVEMENT[k].op))
        k++;
    if (k == n_kinds || op->opset < DATA_MOVEMENT[k].min_opset || op->n_inputs < 1 || !op->outputs ||
        !op->outputs[0] || !pass_attrs_copyable(op))
        return OL_OK;
    for (size_t i = 1; i < op->n_outputs; i++)   /* MaxPool's Indices */
        if (!pass_output_unused(op, i))
            return OL_OK;
    bool concat = pass_is_op(op, "Concat");
    q_out q;
    if (!match_q(op->outputs[0], &q) || q.q->inputs[0] != op->outputs[0])
        return OL_OK;   /* (no activation in between: it would not commute with every op here) */
    size_t n_data = concat ? op->n_inputs : 1;
    ol_value **inputs = malloc(op->n_inputs * sizeof *inputs);
    if (!inputs)
        return no_memory(err);
    memcpy(inputs, op->inputs, op->n_inputs * sizeof *inputs);
    for (size_t i = 0; i < n_data; i++) {
        dq_in x;
        if (!match_dq(op->inputs[i], &x) || !per_tensor(&x) || !is_8bit(x.type) ||
            !same_params(&x, q.scale, q.zp, q.type)) {
            free(inputs);
            return OL_OK;
        }
        inputs[i] = x.q;
    }
    ol_node *node = add_node(graph, op->op_type, op, false, inputs, op->n_inputs, err);
    free(inputs);
    ol_status st = node ? pass_copy_attrs(node, op, err) : err->status;
    if (st == OL_OK && (st = take_over(graph, q.q, node, q.q->outputs[0], err)) == OL_OK)
        *changed = true;
    return st;
}

/* ---- driver ---- */

static ol_status lower_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    lower_ctx *c = ctx;
    /* Nodes appended by a rewrite are visited too; none of them matches a pattern. */
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        ol_status st = lower_conv(c, graph, node, changed, err);
        if (st == OL_OK && !node->erased)
            st = lower_matmul_like(c, graph, node, changed, err);
        if (st == OL_OK && !node->erased && !c->options.skip_data_movement)
            st = lower_data_movement(graph, node, changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

ol_status ol_qdq_lower_to_qoperator(ol_model *model, const ol_qdq_lower_options *options, bool *changed,
                                    ol_error *err)
{
    lower_ctx c = {.options = options ? *options : (ol_qdq_lower_options){0}};
    bool any = false;
    ol_status st = pass_for_each_graph(model, lower_graph, &c, &any, err);
    if (changed)
        *changed = any;
    return st;
}

/* A node that may head a group: a Conv/MatMul/Gemm reading a DequantizeLinear output first (a
 * float activation with dequantized weights is weight-only quantization, nothing to lower), or a
 * data-movement op between a DequantizeLinear and a QuantizeLinear. */
static bool may_lower(const ol_node *node)
{
    const ol_value *in = node->n_inputs > 0 ? node->inputs[0] : NULL;
    if (!in || !pass_is_op(in->producer, "DequantizeLinear"))
        return false;
    if (pass_is_op(node, "Conv") || pass_is_op(node, "MatMul") || pass_is_op(node, "Gemm"))
        return true;
    bool moves = false;
    for (size_t k = 0; k < sizeof DATA_MOVEMENT / sizeof *DATA_MOVEMENT; k++)
        moves = moves || pass_is_op(node, DATA_MOVEMENT[k].op);
    const ol_value *out = node->n_outputs > 0 ? node->outputs[0] : NULL;
    return moves && out && out->n_uses == 1 && pass_is_op(out->uses[0].node, "QuantizeLinear");
}

static bool graph_applies(const ol_graph *graph, int depth)
{
    if (depth > 64)
        return false;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        if (may_lower(node))
            return true;
        for (size_t a = 0; a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            if (attr->g && graph_applies(attr->g, depth + 1))
                return true;
            for (size_t k = 0; attr->graphs && k < attr->n; k++)
                if (graph_applies(attr->graphs[k], depth + 1))
                    return true;
        }
    }
    return false;
}

bool ol_qdq_lower_applies(const ol_model *model)
{
    return model->graph && graph_applies(model->graph, 0);
}
