/* RNN, GRU and LSTM (opset 7+; layout from opset 14): reads the weights, the optional inputs and
 * the activation attributes, and calls the IR-free recurrent kernel. Float32 (float16 through the
 * executor). */
#include <string.h>
#include <strings.h>

#include "exec/ops/extra_ops.h"
#include "kernels/recurrent.h"

enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ_LENS, IN_H0, IN_C0, IN_P };

typedef struct act_name {
    const char *name;
    ol_rnn_act_kind kind;
    bool uses_alpha, uses_beta;
    float alpha, beta;   /* defaults */
} act_name;

static const act_name ACTIVATIONS[] = {
    {"Relu", OL_RNN_RELU, false, false, 0, 0},
    {"Tanh", OL_RNN_TANH, false, false, 0, 0},
    {"Sigmoid", OL_RNN_SIGMOID, false, false, 0, 0},
    {"Affine", OL_RNN_AFFINE, true, true, 1.0f, 0.0f},
    {"LeakyRelu", OL_RNN_LEAKY_RELU, true, false, 0.01f, 0},
    {"ThresholdedRelu", OL_RNN_THRESHOLDED_RELU, true, false, 1.0f, 0},
    {"ScaledTanh", OL_RNN_SCALED_TANH, true, true, 1.0f, 1.0f},
    {"HardSigmoid", OL_RNN_HARD_SIGMOID, true, true, 0.2f, 0.5f},
    {"Elu", OL_RNN_ELU, true, false, 1.0f, 0},
    {"Softsign", OL_RNN_SOFTSIGN, false, false, 0, 0},
    {"Softplus", OL_RNN_SOFTPLUS, false, false, 0, 0},
};

/* Fills p->act from the activations attribute (default: Tanh for RNN; Sigmoid, Tanh[, Tanh] for GRU
 * and LSTM). alpha and beta values are taken in order by the functions that use them. */
static ol_status read_activations(ol_op_ctx *ctx, ol_rnn_params *p)
{
    const ol_node *node = ol_op_node(ctx);
    int per_dir = p->kind == OL_RNN_SIMPLE ? 1 : p->kind == OL_RNN_GRU ? 2 : 3;
    const ol_attr *names = ol_node_attr(node, "activations");
    size_t n_alpha = 0, n_beta = 0;
    const ol_attr *alpha_attr = ol_node_attr(node, "activation_alpha");
    const ol_attr *beta_attr = ol_node_attr(node, "activation_beta");
    const float *alphas = alpha_attr && alpha_attr->type == OL_ATTR_FLOATS ? alpha_attr->floats : NULL;
    const float *betas = beta_attr && beta_attr->type == OL_ATTR_FLOATS ? beta_attr->floats : NULL;
    size_t alpha_count = alphas ? alpha_attr->n : 0, beta_count = betas ? beta_attr->n : 0;
    for (int d = 0; d < p->directions; d++)
        for (int k = 0; k < per_dir; k++) {
            ol_rnn_activation *a = &p->act[d][k];
            const act_name *found = NULL;
            if (!names) {
                found = &ACTIVATIONS[p->kind == OL_RNN_SIMPLE || k > 0 ? 1 : 2];
            } else {
                if (names->type != OL_ATTR_STRINGS || names->n != (size_t)(per_dir * p->directions))
                    return ol_op_fail(ctx, OL_ERR_INVALID, "activations must list %d names",
                                      per_dir * p->directions);
                const ol_bytes *s = &names->strings[d * per_dir + k];
                for (size_t i = 0; i < sizeof ACTIVATIONS / sizeof *ACTIVATIONS && !found; i++)
                    if (strlen(ACTIVATIONS[i].name) == s->size &&
                        strncasecmp(ACTIVATIONS[i].name, (const char *)s->data, s->size) == 0)
                        found = &ACTIVATIONS[i];
                if (!found)
                    return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "activation '%.*s' is not supported", (int)s->size,
                                      (const char *)s->data);
            }
            *a = (ol_rnn_activation){found->kind, found->alpha, found->beta};
            if (found->uses_alpha && n_alpha < alpha_count)
                a->alpha = alphas[n_alpha++];
            if (found->uses_beta && n_beta < beta_count)
                a->beta = betas[n_beta++];
        }
    return OL_OK;
}

static bool has_shape(const ol_ktensor *t, int rank, int64_t d0, int64_t d1, int64_t d2)
{
    int64_t want[3] = {d0, d1, d2};
    if (t->dtype != OL_FLOAT || t->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != want[i])
            return false;
    return true;
}

static ol_status run_recurrent(ol_op_ctx *ctx, ol_rnn_kind kind)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, IN_X), *w = ol_op_input(ctx, IN_W), *r = ol_op_input(ctx, IN_R);
    if (!x || !w || !r)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs X, W and R");
    if (x->dtype != OL_FLOAT || w->dtype != OL_FLOAT || r->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "inputs of type %s are not supported (float32/float16 only)",
                          ol_dtype_name(x->dtype));
    ol_rnn_params p = {.kind = kind, .hidden = ol_node_attr_int(node, "hidden_size", 0),
                       .clip = ol_node_attr_float(node, "clip", 0.0f),
                       .linear_before_reset = ol_node_attr_int(node, "linear_before_reset", 0) != 0,
                       .input_forget = ol_node_attr_int(node, "input_forget", 0) != 0,
                       .batch_first = ol_op_opset(ctx) >= 14 && ol_node_attr_int(node, "layout", 0) != 0};
    size_t dir_len = 0;
    const char *dir = ol_node_attr_string(node, "direction", &dir_len);
    p.directions = 1;
    if (dir && dir_len == 13 && memcmp(dir, "bidirectional", 13) == 0)
        p.directions = 2;
    else if (dir && dir_len == 7 && memcmp(dir, "reverse", 7) == 0)
        p.reverse = true;
    else if (dir && !(dir_len == 7 && memcmp(dir, "forward", 7) == 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "direction '%.*s' is not forward, reverse or bidirectional",
                          (int)dir_len, dir);
    if (x->rank != 3)
        return ol_op_fail(ctx, OL_ERR_INVALID, "X must be 3-D");
    p.seq = x->dims[p.batch_first ? 1 : 0];
    p.batch = x->dims[p.batch_first ? 0 : 1];
    p.input = x->dims[2];
    int gates = ol_rnn_gates(kind);
    int64_t n = p.hidden, gh = gates * n;
    if (n <= 0 && r->rank == 3)
        n = p.hidden = r->dims[2];
    gh = gates * n;
    if (n <= 0 || !has_shape(w, 3, p.directions, gh, p.input) || !has_shape(r, 3, p.directions, gh, n))
        return ol_op_fail(ctx, OL_ERR_INVALID, "W must be [%d, %lld, %lld] and R [%d, %lld, %lld]", p.directions,
                          (long long)gh, (long long)p.input, p.directions, (long long)gh, (long long)n);
    const ol_ktensor *b = ol_op_input(ctx, IN_B), *lens = ol_op_input(ctx, IN_SEQ_LENS);
    const ol_ktensor *h0 = ol_op_input(ctx, IN_H0), *c0 = kind == OL_RNN_LSTM ? ol_op_input(ctx, IN_C0) : NULL;
    const ol_ktensor *peep = kind == OL_RNN_LSTM ? ol_op_input(ctx, IN_P) : NULL;
    if (b && !has_shape(b, 2, p.directions, 2 * gh, 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "B must be [%d, %lld]", p.directions, (long long)(2 * gh));
    if (peep && !has_shape(peep, 2, p.directions, 3 * n, 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "P must be [%d, %lld]", p.directions, (long long)(3 * n));
    int64_t s0 = p.batch_first ? p.batch : p.directions, s1 = p.batch_first ? p.directions : p.batch;
    if ((h0 && !has_shape(h0, 3, s0, s1, n)) || (c0 && !has_shape(c0, 3, s0, s1, n)))
        return ol_op_fail(ctx, OL_ERR_INVALID, "initial states must be [%lld, %lld, %lld]", (long long)s0,
                          (long long)s1, (long long)n);
    if (lens) {
        if (lens->dtype != OL_INT32 || lens->rank != 1 || lens->dims[0] != p.batch)
            return ol_op_fail(ctx, OL_ERR_INVALID, "sequence_lens must be int32 [%lld]", (long long)p.batch);
        const int32_t *l = lens->data;
        for (int64_t i = 0; i < p.batch; i++)
            if (l[i] < 0 || l[i] > p.seq)
                return ol_op_fail(ctx, OL_ERR_INVALID, "sequence length %d is outside [0, %lld]", l[i],
                                  (long long)p.seq);
    }
    if (read_activations(ctx, &p) != OL_OK)
        return ol_op_error(ctx)->status;

    float *outs[3] = {NULL, NULL, NULL};
    int64_t y_dims[4] = {p.seq, p.directions, p.batch, n};
    if (p.batch_first) {
        y_dims[0] = p.batch;
        y_dims[1] = p.seq;
        y_dims[2] = p.directions;
    }
    int64_t state_dims[3] = {s0, s1, n};
    size_t n_outputs = kind == OL_RNN_LSTM ? 3 : 2;
    for (size_t k = 0; k < n_outputs && k < ol_op_output_count(ctx); k++) {
        if (!ol_op_output_wanted(ctx, k))
            continue;
        ol_ktensor *t = k == 0 ? ol_op_output(ctx, 0, OL_FLOAT, 4, y_dims)
                               : ol_op_output(ctx, k, OL_FLOAT, 3, state_dims);
        if (!t)
            return ol_op_error(ctx)->status;
        outs[k] = t->data;
    }
    float *ws = ol_op_scratch(ctx, sizeof(float) * (size_t)(ol_rnn_workspace(&p) + 1));
    if (!ws)
        return ol_op_error(ctx)->status;
    ol_rnn_f32(&p, x->data, w->data, r->data, b ? b->data : NULL, peep ? peep->data : NULL,
               lens ? lens->data : NULL, h0 ? h0->data : NULL, c0 ? c0->data : NULL, outs[0], outs[1], outs[2], ws);
    return OL_OK;
}

ol_status ol_run_rnn(ol_op_ctx *ctx) { return run_recurrent(ctx, OL_RNN_SIMPLE); }
ol_status ol_run_gru(ol_op_ctx *ctx) { return run_recurrent(ctx, OL_RNN_GRU); }
ol_status ol_run_lstm(ol_op_ctx *ctx) { return run_recurrent(ctx, OL_RNN_LSTM); }
