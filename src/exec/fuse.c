/* Compile-time fusion: finds chains of nodes the executor runs as one step, without changing the
 * model. Each pass over an activation tensor costs about as much as a cheap convolution, so:
 *   Conv -> activation                         (Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid,
 *                                               HardSwish, x * Sigmoid(x), x * HardSigmoid(x))
 *   Conv -> Add(residual) [-> activation]      (the residual may be computed before or after Conv)
 *   Pad(zeros) -> Conv                         (the padding becomes Conv's; TensorFlow exports)
 *   Conv -> Mul(c) [-> Add(c)] -> ...          (per-channel constants: a BatchNormalization left
 *                                               unfolded, folded into the weights when run)
 *   x -> Sigmoid -> Mul(x, .)                  (SiLU as one Swish step)
 *   BatchNormalization -> Relu or Clip         (one pass; DenseNet)
 * A chain's step runs at its last node, where every input of the chain exists. Intermediate values
 * must have exactly one reader inside the chain (SiLU's x: the Sigmoid and the Mul) and must not
 * be graph outputs or read by subgraphs. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

static bool is_op(const ol_node *n, const char *op_type)
{
    return n && !n->erased && n->domain[0] == '\0' && strcmp(n->op_type, op_type) == 0;
}

/* The node reading v, when v has exactly that one (explicit) reader and is not a graph output. */
static const ol_node *sole_reader(const ol_value *v)
{
    if (!v || v->is_output || v->n_uses != 1 || v->uses[0].index < 0)
        return NULL;
    return v->uses[0].node;
}

/* A one-output node whose output exists. */
static const ol_value *single_output(const ol_node *n)
{
    return n->n_outputs == 1 ? n->outputs[0] : NULL;
}

/* A Clip bound: an omitted input, or a fixed float32 scalar (an initializer the caller cannot
 * override, or a Constant node's value). */
static bool clip_bound(const ol_node *n, size_t i, float missing, float *out)
{
    const ol_value *v = i < n->n_inputs ? n->inputs[i] : NULL;
    *out = missing;
    if (!v)
        return true;
    const ol_tensor *c = ol_exec_fixed_constant(v);
    if (!c || c->dtype != OL_FLOAT || c->nbytes != sizeof(float) || !c->data)
        return false;
    memcpy(out, c->data, sizeof *out);
    return true;
}

/* Whether node n (reading the fused value as input 0) is an activation the conv epilogue applies. */
static bool match_activation(const ol_node *n, ol_op_fusion *f)
{
    if (!n || n->erased || n->domain[0] != '\0' || n->n_inputs < 1 || !single_output(n))
        return false;
    const char *op = n->op_type;
    if (strcmp(op, "Relu") == 0) {
        f->activation = OL_FUSED_RELU;
    } else if (strcmp(op, "Sigmoid") == 0) {
        f->activation = OL_FUSED_SIGMOID;
    } else if (strcmp(op, "Tanh") == 0) {
        f->activation = OL_FUSED_TANH;
    } else if (strcmp(op, "HardSwish") == 0) {
        f->activation = OL_FUSED_HARD_SWISH;
        f->alpha = 1.0f / 6;
        f->beta = 0.5f;
    } else if (strcmp(op, "LeakyRelu") == 0) {
        f->activation = OL_FUSED_LEAKY_RELU;
        f->alpha = ol_node_attr_float(n, "alpha", 0.01f);
    } else if (strcmp(op, "HardSigmoid") == 0) {
        f->activation = OL_FUSED_HARD_SIGMOID;
        f->alpha = ol_node_attr_float(n, "alpha", 0.2f);
        f->beta = ol_node_attr_float(n, "beta", 0.5f);
    } else if (strcmp(op, "Clip") == 0) {
        f->activation = OL_FUSED_CLIP;
        if (n->opset < 11) {
            f->alpha = ol_node_attr_float(n, "min", -FLT_MAX);
            f->beta = ol_node_attr_float(n, "max", FLT_MAX);
        } else if (!clip_bound(n, 1, -INFINITY, &f->alpha) || !clip_bound(n, 2, INFINITY, &f->beta)) {
            return false;
        }
    } else {
        return false;
    }
    return true;
}

/* y = Mul(x, s) with s = gate(x) (Sigmoid, or HardSigmoid when `hard`), where s is read only by
 * that Mul: the Mul, else NULL. */
static const ol_node *gate_mul(const ol_node *gate, const ol_value *x, bool hard)
{
    if (!is_op(gate, hard ? "HardSigmoid" : "Sigmoid") || gate->n_inputs != 1 || gate->inputs[0] != x)
        return NULL;
    const ol_value *s = single_output(gate);
    const ol_node *mul = sole_reader(s);
    if (!is_op(mul, "Mul") || mul->opset < 7 || mul->n_inputs != 2 || !single_output(mul))
        return NULL;
    const ol_value *other = mul->inputs[0] == s ? mul->inputs[1] : mul->inputs[0];
    return other == x ? mul : NULL;
}

/* Label suffixes of the activations, for profiles ("Conv+Add+Relu"). */
static const char *const ACTIVATION_LABELS[] = {
    [OL_FUSED_NONE] = "", [OL_FUSED_RELU] = "+Relu", [OL_FUSED_CLIP] = "+Clip",
    [OL_FUSED_LEAKY_RELU] = "+LeakyRelu", [OL_FUSED_SIGMOID] = "+Sigmoid", [OL_FUSED_TANH] = "+Tanh",
    [OL_FUSED_HARD_SIGMOID] = "+HardSigmoid", [OL_FUSED_HARD_SWISH] = "+HardSwish", [OL_FUSED_SWISH] = "+SiLU",
};

/* The activation reading v (its sole reader, or x * Sigmoid(x)): fills f and returns the last
 * node, recording the values it makes disappear; NULL when v is not activated. */
static const ol_node *match_tail(const ol_value *v, ol_op_fusion *f, exec_chain *c)
{
    const ol_node *act = sole_reader(v);
    if (act && act->inputs[0] == v && match_activation(act, f))
        return act;
    /* SiLU (HardSwish): v read exactly twice, by a Sigmoid (HardSigmoid) and by the Mul of its
     * result. */
    if (!v || v->is_output || v->n_uses != 2 || v->uses[0].index < 0 || v->uses[1].index < 0)
        return NULL;
    for (int k = 0; k < 2; k++)
        for (int hard = 0; hard < 2; hard++) {
            const ol_node *gate = v->uses[k].node, *mul = gate_mul(gate, v, hard);
            if (!mul || v->uses[1 - k].node != mul)
                continue;
            f->activation = hard ? OL_FUSED_HARD_SWISH : OL_FUSED_SWISH;
            if (hard) {
                f->alpha = ol_node_attr_float(gate, "alpha", 0.2f);
                f->beta = ol_node_attr_float(gate, "beta", 0.5f);
            }
            c->inner[c->n_inner++] = gate->outputs[0];
            return mul;
        }
    return NULL;
}

/* A fixed float32 constant that broadcasts along the output channels of a rank-`rank` Conv result
 * with M channels and nowhere else: one value, or M values on axis 1. */
static bool channel_constant(const ol_value *v, int rank, int64_t M)
{
    const ol_tensor *t = v ? ol_exec_fixed_constant(v) : NULL;
    if (!t || t->dtype != OL_FLOAT || t->rank > rank || !t->data)
        return false;
    int64_t n = ol_tensor_numel(t);
    if (t->nbytes != (size_t)n * sizeof(float))
        return false;
    if (n == 1)
        return true;
    for (int j = 0; j < t->rank; j++)
        if (t->dims[j] != 1 && rank - t->rank + j != 1)
            return false;
    return n == M;
}

/* The node reading v when it is a Mul/Add (op_type) of v and a per-channel constant, which goes to
 * *constant; else NULL. */
static const ol_node *channel_op(const ol_value *v, const char *op_type, int rank, int64_t M,
                                 const ol_value **constant)
{
    const ol_node *n = sole_reader(v);
    if (!is_op(n, op_type) || n->opset < 7 || n->n_inputs != 2 || !single_output(n))
        return NULL;
    const ol_value *other = n->inputs[0] == v ? n->inputs[1] : n->inputs[0];
    if (!channel_constant(other, rank, M))
        return NULL;
    *constant = other;
    return n;
}

/* A Pad of zeros (constant mode, fixed pads, non-negative and on spatial axes only) whose output
 * only `conv` reads, when Conv's pads are explicit: the Pad, with its padding in f->pads. */
static const ol_node *match_pad(const ol_node *conv, int rank, ol_op_fusion *f)
{
    const ol_value *x = conv->inputs[0];
    const ol_node *pad = x ? x->producer : NULL;
    if (!is_op(pad, "Pad") || sole_reader(x) != conv || !single_output(pad) || pad->n_inputs < 1 ||
        !pad->inputs[0] || pad->n_inputs > 3)
        return NULL;
    size_t len;
    const char *mode = ol_node_attr_string(pad, "mode", &len);
    if (mode && !(len == 8 && memcmp(mode, "constant", 8) == 0))
        return NULL;
    const char *auto_pad = ol_node_attr_string(conv, "auto_pad", &len);
    if (auto_pad && !(len == 6 && memcmp(auto_pad, "NOTSET", 6) == 0))
        return NULL;
    const int64_t *pads;
    size_t n;
    if (pad->opset < 11) {
        pads = ol_node_attr_ints(pad, "pads", &n);
        if (ol_node_attr_float(pad, "value", 0.0f) != 0.0f)
            return NULL;
    } else {
        const ol_tensor *t = pad->n_inputs > 1 && pad->inputs[1] ? ol_exec_fixed_constant(pad->inputs[1]) : NULL;
        if (!t || t->dtype != OL_INT64 || !t->data || t->nbytes % sizeof(int64_t) != 0)
            return NULL;
        pads = t->data;
        n = t->nbytes / sizeof(int64_t);
        if (pad->n_inputs > 2 && pad->inputs[2]) {
            const ol_tensor *v = ol_exec_fixed_constant(pad->inputs[2]);
            float zero;
            if (!v || v->dtype != OL_FLOAT || v->nbytes != sizeof zero || !v->data)
                return NULL;
            memcpy(&zero, v->data, sizeof zero);
            if (zero != 0.0f)
                return NULL;
        }
    }
    if (!pads || n != (size_t)(2 * rank) || rank > OL_KMAX_RANK)
        return NULL;
    for (int d = 0; d < 2 * rank; d++) {
        int axis = d % rank;
        if (pads[d] < 0 || (axis < 2 && pads[d] != 0))
            return NULL;
        f->pads[d] = pads[d];
    }
    f->padded = true;
    return pad;
}

/* [Pad ->] Conv [-> Mul(c)] [-> Add(c)] [-> Add(residual)] [-> activation]: true with c filled
 * when anything fuses. */
static bool match_conv(const ol_node *conv, exec_chain *c)
{
    if (!is_op(conv, "Conv") || conv->n_inputs < 2 || conv->n_inputs > 3 || !single_output(conv))
        return false;
    const ol_value *v = conv->outputs[0];
    c->head = conv;
    /* What needs the weights' shape: a Pad (their rank) and per-channel constants (folded into
     * them, so they must be fixed too). */
    const ol_tensor *w = conv->inputs[1] ? ol_exec_fixed_constant(conv->inputs[1]) : NULL;
    const ol_value *b = conv->n_inputs > 2 ? conv->inputs[2] : NULL;
    if (w && w->rank >= 3 && (c->pad = match_pad(conv, w->rank, &c->fusion)) != NULL)
        c->inner[c->n_inner++] = conv->inputs[0];
    c->inner[c->n_inner++] = v;
    if (w && w->dtype == OL_FLOAT && w->rank >= 3 && (!b || ol_exec_fixed_constant(b))) {
        const ol_node *op = channel_op(v, "Mul", w->rank, w->dims[0], &c->scale);
        if (op) {
            c->anchor = op;
            v = op->outputs[0];
            c->inner[c->n_inner++] = v;
        }
        if ((op = channel_op(v, "Add", w->rank, w->dims[0], &c->shift)) != NULL) {
            c->anchor = op;
            v = op->outputs[0];
            c->inner[c->n_inner++] = v;
        }
        c->fusion.scale_shift = c->scale || c->shift;
    }
    const ol_node *add = sole_reader(v);
    if (is_op(add, "Add") && add->opset >= 7 && add->n_inputs == 2 && add->inputs[0] && add->inputs[1] &&
        single_output(add)) {
        c->sum = add->inputs[0] == v ? add->inputs[1] : add->inputs[0];
        c->fusion.sum = true;
        c->anchor = add;
        v = add->outputs[0];
        c->inner[c->n_inner++] = v;
    }
    const ol_node *tail = match_tail(v, &c->fusion, c);
    if (tail) {
        c->anchor = tail;
        v = tail->outputs[0];
    } else {
        c->n_inner -= c->n_inner > 0 && c->inner[c->n_inner - 1] == v;
    }
    if (!c->anchor && !c->pad)
        return false;
    if (!c->anchor)
        c->anchor = conv;   /* only the Pad fused: the step runs where Conv did */
    c->out = v;
    c->def = ol_op_lookup(conv->op_type, conv->domain, conv->opset);
    snprintf(c->label, sizeof c->label, "%sConv%s%s%s%s", c->pad ? "Pad+" : "", c->scale ? "+Mul" : "",
             c->shift ? "+Add" : "", c->fusion.sum ? "+Add" : "", ACTIVATION_LABELS[c->fusion.activation]);
    return c->def != NULL;
}

/* x -> Sigmoid -> Mul(x, .) as one Swish (alpha 1) step, run by the Sigmoid node. */
static bool match_silu(const ol_node *sig, exec_chain *c)
{
    if (!is_op(sig, "Sigmoid") || sig->n_inputs != 1 || !sig->inputs[0])
        return false;
    const ol_node *mul = gate_mul(sig, sig->inputs[0], false);
    if (!mul)
        return false;
    c->head = sig;
    c->anchor = mul;
    c->inner[c->n_inner++] = sig->outputs[0];
    c->out = mul->outputs[0];
    c->def = ol_op_lookup("Swish", "", 24);
    snprintf(c->label, sizeof c->label, "SiLU");
    return c->def != NULL;
}

/* BatchNormalization (inference) -> Relu or Clip as one pass: DenseNet normalizes and activates
 * every Concat's output before its convolution. */
static bool match_batchnorm(const ol_node *bn, exec_chain *c)
{
    if (!is_op(bn, "BatchNormalization") || bn->n_inputs != 5 || bn->n_outputs < 1 || !bn->outputs[0] ||
        (bn->opset >= 14 && ol_node_attr_int(bn, "training_mode", 0) != 0))
        return false;
    for (size_t k = 1; k < bn->n_outputs; k++)
        if (bn->outputs[k])
            return false;
    const ol_value *v = bn->outputs[0];
    const ol_node *act = sole_reader(v);
    if (!act || act->inputs[0] != v || !match_activation(act, &c->fusion) ||
        (c->fusion.activation != OL_FUSED_RELU && c->fusion.activation != OL_FUSED_CLIP))
        return false;
    c->head = bn;
    c->anchor = act;
    c->inner[c->n_inner++] = v;
    c->out = act->outputs[0];
    c->def = ol_op_lookup(bn->op_type, bn->domain, bn->opset);
    snprintf(c->label, sizeof c->label, "BatchNormalization%s", ACTIVATION_LABELS[c->fusion.activation]);
    return c->def != NULL;
}

static size_t index_of(const ol_graph *g, const ol_node *n, size_t from)
{
    for (size_t i = from; i < g->n_nodes; i++)
        if (g->nodes[i] == n)
            return i;
    return SIZE_MAX;
}

void ol_exec_free_chains(exec_chain **chains, bool *absorbed, size_t n_nodes)
{
    for (size_t i = 0; chains && i < n_nodes; i++)
        free(chains[i]);
    free(chains);
    free(absorbed);
}

ol_status ol_exec_find_chains(const ol_graph *g, exec_chain ***chains_out, bool **absorbed_out, ol_error *err)
{
    *chains_out = NULL;
    *absorbed_out = NULL;
    exec_chain **chains = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *chains);
    bool *absorbed = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *absorbed);
    if (!chains || !absorbed) {
        ol_exec_free_chains(chains, absorbed, 0);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    bool any = false;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const ol_node *n = g->nodes[i];
        if (absorbed[i] || chains[i] || n->erased)
            continue;
        exec_chain c = {0};
        if (!match_conv(n, &c)) {
            c = (exec_chain){0};
            if (!match_silu(n, &c)) {
                c = (exec_chain){0};
                if (!match_batchnorm(n, &c))
                    continue;
            }
        }
        /* Every node of the chain but a fused Pad lies after the head (topological order); find
         * and claim them. */
        size_t at = c.anchor == n ? i : index_of(g, c.anchor, i + 1);
        size_t pad_at = c.pad ? index_of(g, c.pad, 0) : SIZE_MAX;
        if (at == SIZE_MAX || chains[at] || (c.pad && (pad_at >= i || absorbed[pad_at] || chains[pad_at])))
            continue;
        bool clash = false;
        size_t members[9], n_members = 0;   /* up to 8 readers, then the Pad */
        for (size_t k = 0; k < c.n_inner && !clash; k++) {
            for (size_t u = 0; u < c.inner[k]->n_uses; u++) {
                const ol_node *reader = c.inner[k]->uses[u].node;
                if (reader == c.head)
                    continue;   /* the fused Pad's output */
                size_t r = reader == c.anchor ? at : index_of(g, reader, i + 1);
                clash |= r == SIZE_MAX || (r != at && (absorbed[r] || chains[r]));
                if (!clash && r != at && n_members < 8)
                    members[n_members++] = r;
            }
        }
        if (clash)
            continue;
        if (c.pad)
            members[n_members++] = pad_at;
        exec_chain *copy = malloc(sizeof *copy);
        if (!copy) {
            ol_exec_free_chains(chains, absorbed, g->n_nodes);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
        *copy = c;
        chains[at] = copy;
        absorbed[i] = at != i;   /* the head runs the chain's step, at the anchor */
        for (size_t k = 0; k < n_members; k++)
            absorbed[members[k]] = true;
        any = true;
    }
    if (!any) {
        ol_exec_free_chains(chains, absorbed, g->n_nodes);
        return OL_OK;
    }
    *chains_out = chains;
    *absorbed_out = absorbed;
    return OL_OK;
}
