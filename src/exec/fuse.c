/* Compile-time fusion: finds chains of nodes the executor runs as one step, without changing the
 * model. Each pass over an activation tensor costs about as much as a cheap convolution, so:
 *   Conv -> activation                         (Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid,
 *                                               HardSwish, and x * Sigmoid(x))
 *   Conv -> Add(residual) [-> activation]      (the residual may be computed before or after Conv)
 *   x -> Sigmoid -> Mul(x, .)                  (SiLU as one Swish step)
 * A chain's step runs at its last node, where every input of the chain exists. Intermediate values
 * must have exactly one reader inside the chain (SiLU's x: the Sigmoid and the Mul) and must not
 * be graph outputs or read by subgraphs. */
#include <float.h>
#include <math.h>
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

/* A Clip bound: an omitted input, or a float32 scalar initializer the caller cannot override. */
static bool clip_bound(const ol_node *n, size_t i, float missing, float *out)
{
    const ol_value *v = i < n->n_inputs ? n->inputs[i] : NULL;
    *out = missing;
    if (!v)
        return true;
    const ol_tensor *c = v->constant;
    if (!c || v->is_input || c->dtype != OL_FLOAT || c->nbytes != sizeof(float) || !c->data)
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

/* y = Mul(x, s) with s = Sigmoid(x), where s is read only by that Mul: the Mul, else NULL. */
static const ol_node *silu_mul(const ol_node *sigmoid, const ol_value *x)
{
    if (!is_op(sigmoid, "Sigmoid") || sigmoid->n_inputs != 1 || sigmoid->inputs[0] != x)
        return NULL;
    const ol_value *s = single_output(sigmoid);
    const ol_node *mul = sole_reader(s);
    if (!is_op(mul, "Mul") || mul->opset < 7 || mul->n_inputs != 2 || !single_output(mul))
        return NULL;
    const ol_value *other = mul->inputs[0] == s ? mul->inputs[1] : mul->inputs[0];
    return other == x ? mul : NULL;
}

static const char *const CONV_LABELS[] = {
    [OL_FUSED_NONE] = "Conv", [OL_FUSED_RELU] = "Conv+Relu", [OL_FUSED_CLIP] = "Conv+Clip",
    [OL_FUSED_LEAKY_RELU] = "Conv+LeakyRelu", [OL_FUSED_SIGMOID] = "Conv+Sigmoid",
    [OL_FUSED_TANH] = "Conv+Tanh", [OL_FUSED_HARD_SIGMOID] = "Conv+HardSigmoid",
    [OL_FUSED_HARD_SWISH] = "Conv+HardSwish", [OL_FUSED_SWISH] = "Conv+SiLU",
};
static const char *const CONV_ADD_LABELS[] = {
    [OL_FUSED_NONE] = "Conv+Add", [OL_FUSED_RELU] = "Conv+Add+Relu", [OL_FUSED_CLIP] = "Conv+Add+Clip",
    [OL_FUSED_LEAKY_RELU] = "Conv+Add+LeakyRelu", [OL_FUSED_SIGMOID] = "Conv+Add+Sigmoid",
    [OL_FUSED_TANH] = "Conv+Add+Tanh", [OL_FUSED_HARD_SIGMOID] = "Conv+Add+HardSigmoid",
    [OL_FUSED_HARD_SWISH] = "Conv+Add+HardSwish", [OL_FUSED_SWISH] = "Conv+Add+SiLU",
};

/* The activation reading v (its sole reader, or x * Sigmoid(x)): fills f and returns the last
 * node, recording the values it makes disappear; NULL when v is not activated. */
static const ol_node *match_tail(const ol_value *v, ol_op_fusion *f, exec_chain *c)
{
    const ol_node *act = sole_reader(v);
    if (act && act->inputs[0] == v && match_activation(act, f))
        return act;
    /* SiLU: v read exactly twice, by a Sigmoid and by the Mul of its result. */
    if (!v || v->is_output || v->n_uses != 2 || v->uses[0].index < 0 || v->uses[1].index < 0)
        return NULL;
    for (int k = 0; k < 2; k++) {
        const ol_node *sig = v->uses[k].node, *mul = silu_mul(sig, v);
        if (mul && v->uses[1 - k].node == mul) {
            f->activation = OL_FUSED_SWISH;
            c->inner[c->n_inner++] = sig->outputs[0];
            return mul;
        }
    }
    return NULL;
}

/* Conv [-> Add(residual)] [-> activation]: true with c filled when anything fuses. */
static bool match_conv(const ol_node *conv, exec_chain *c)
{
    if (!is_op(conv, "Conv") || conv->n_inputs < 2 || conv->n_inputs > 3 || !single_output(conv))
        return false;
    const ol_value *v = conv->outputs[0];
    c->head = conv;
    c->inner[c->n_inner++] = v;
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
    if (!c->anchor)
        return false;
    c->out = v;
    c->def = ol_op_lookup(conv->op_type, conv->domain, conv->opset);
    c->label = (c->fusion.sum ? CONV_ADD_LABELS : CONV_LABELS)[c->fusion.activation];
    return c->def != NULL;
}

/* x -> Sigmoid -> Mul(x, .) as one Swish (alpha 1) step, run by the Sigmoid node. */
static bool match_silu(const ol_node *sig, exec_chain *c)
{
    if (!is_op(sig, "Sigmoid") || sig->n_inputs != 1 || !sig->inputs[0])
        return false;
    const ol_node *mul = silu_mul(sig, sig->inputs[0]);
    if (!mul)
        return false;
    c->head = sig;
    c->anchor = mul;
    c->inner[c->n_inner++] = sig->outputs[0];
    c->out = mul->outputs[0];
    c->def = ol_op_lookup("Swish", "", 24);
    c->label = "SiLU";
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
            if (!match_silu(n, &c))
                continue;
        }
        /* Every node of the chain lies after the head (topological order); find and claim them. */
        size_t at = index_of(g, c.anchor, i + 1);
        if (at == SIZE_MAX || chains[at])
            continue;
        bool clash = false;
        size_t members[3], n_members = 0;
        for (size_t k = 0; k < c.n_inner && !clash; k++) {
            for (size_t u = 0; u < c.inner[k]->n_uses; u++) {
                const ol_node *reader = c.inner[k]->uses[u].node;
                size_t r = reader == c.anchor ? at : index_of(g, reader, i + 1);
                clash |= r == SIZE_MAX || (r != at && (absorbed[r] || chains[r]));
                if (!clash && r != at && n_members < 3)
                    members[n_members++] = r;
            }
        }
        if (clash)
            continue;
        exec_chain *copy = malloc(sizeof *copy);
        if (!copy) {
            ol_exec_free_chains(chains, absorbed, g->n_nodes);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
        *copy = c;
        chains[at] = copy;
        absorbed[i] = true;
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
