/* Compile-time fusion in the executor (src/exec/fuse.c): each hand-built graph runs fused and with
 * fusion off; the outputs must agree to float rounding and the profile must show the fused step
 * (or, where fusion is not allowed, the separate ops). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "ir_builders.h"

/* Deterministic values in [-1, 1). */
static void fill(const ol_value *v, unsigned seed)
{
    float *d = (float *)v->constant->data;
    size_t n = v->constant->nbytes / sizeof(float);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        d[i] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

static ol_value *weight(ol_graph *g, const char *name, int rank, const int64_t *dims, unsigned seed)
{
    ol_value *v = irb_weight(g, name, OL_FLOAT, rank, dims);
    fill(v, seed);
    return v;
}

/* A 3x3 "same" convolution of x [1, 8, 10, 10] to 8 channels. */
static ol_node *conv(ol_graph *g, const char *name, ol_value *x, unsigned seed)
{
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s_w", name);
    snprintf(bn, sizeof bn, "%s_b", name);
    ol_value *w = weight(g, wn, IRB_DIMS(8, 8, 3, 3), seed), *b = weight(g, bn, IRB_DIMS(8), seed + 1);
    ol_node *n = IRB_NODE(g, "Conv", name, NULL, x, w, b);
    cr_assert_eq(ol_node_set_attr_ints(n, "pads", (const int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    return n;
}

static bool has_label(ol_session *s, const char *label)
{
    ol_session_stats st;
    ol_session_get_stats(s, &st);
    for (size_t i = 0; i < st.n_op_times; i++)
        if (strcmp(st.op_times[i].op_type, label) == 0)
            return true;
    return false;
}

/* Runs the model fused and unfused on the same input; checks the outputs agree and that the fused
 * session's profile lists `label`. */
static void check(ol_model *m, const char *label)
{
    ol_session *fused, *plain;
    ol_session_options fo = {.threads = 1, .profile = true}, po = {.threads = 1, .no_fusion = true};
    cr_assert_eq(ol_session_create(m, &fo, &fused, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(ol_session_create(m, &po, &plain, &irb_err), OL_OK, "%s", irb_err.message);
    ol_ktensor in = {0};
    ol_ktensor_set_shape(&in, OL_FLOAT, 4, (const int64_t[]){1, 8, 10, 10});
    float *x = malloc(ol_ktensor_nbytes(&in));
    for (int i = 0; i < 800; i++)
        x[i] = sinf((float)i * 0.37f) * 3.0f;
    in.data = x;
    size_t n_out = ol_session_output_count(fused);
    ol_ktensor a[4] = {{0}}, b[4] = {{0}};
    for (int run = 0; run < 2; run++) {   /* the second run uses the memory plan */
        for (size_t o = 0; o < n_out; o++) {
            free(a[o].data);
            free(b[o].data);
        }
        cr_assert_eq(ol_session_run(fused, &in, a, &irb_err), OL_OK, "fused: %s", irb_err.message);
        cr_assert_eq(ol_session_run(plain, &in, b, &irb_err), OL_OK, "plain: %s", irb_err.message);
        for (size_t o = 0; o < n_out; o++) {
            cr_assert_eq(a[o].rank, b[o].rank);
            cr_assert(memcmp(a[o].dims, b[o].dims, sizeof(int64_t) * (size_t)a[o].rank) == 0);
            const float *p = a[o].data, *q = b[o].data;
            for (int64_t i = 0; i < ol_ktensor_numel(&a[o]); i++)
                cr_assert(fabsf(p[i] - q[i]) <= 1e-5f * (1 + fabsf(q[i])), "output %zu [%lld]: %g vs %g", o,
                          (long long)i, p[i], q[i]);
        }
    }
    cr_assert(has_label(fused, label), "no '%s' step in the profile", label);
    for (size_t o = 0; o < n_out; o++) {
        free(a[o].data);
        free(b[o].data);
    }
    free(x);
    ol_session_destroy(fused);
    ol_session_destroy(plain);
    ol_model_destroy(m);
}

Test(exec_fusion, conv_relu)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_node *c = conv(g, "c", x, 1);
    irb_output(g, IRB_NODE(g, "Relu", "r", "y", c->outputs[0])->outputs[0]);
    check(m, "Conv+Relu");
}

Test(exec_fusion, conv_clip_and_leaky_relu)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_value *lo = irb_weight(g, "lo", OL_FLOAT, 0, NULL), *hi = irb_weight(g, "hi", OL_FLOAT, 0, NULL);
    *(float *)hi->constant->data = 6.0f;
    ol_node *c = conv(g, "c", x, 1);
    ol_node *clip = IRB_NODE(g, "Clip", "clip", NULL, c->outputs[0], lo, hi);
    ol_node *c2 = conv(g, "c2", clip->outputs[0], 5);
    ol_node *lr = IRB_NODE(g, "LeakyRelu", "lr", "y", c2->outputs[0]);
    cr_assert_eq(ol_node_set_attr_float(lr, "alpha", 0.2f, &irb_err), OL_OK);
    irb_output(g, lr->outputs[0]);
    check(m, "Conv+Clip");
}

/* The residual is computed after the convolution it is added to (as in a ResNet downsample). */
Test(exec_fusion, conv_add_relu_residual_later)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_node *c = conv(g, "c", x, 1);
    ol_node *shortcut = conv(g, "s", x, 9);
    ol_node *add = IRB_NODE(g, "Add", "add", NULL, c->outputs[0], shortcut->outputs[0]);
    irb_output(g, IRB_NODE(g, "Relu", "r", "y", add->outputs[0])->outputs[0]);
    check(m, "Conv+Add+Relu");
}

/* A residual that broadcasts ([10], along the rows) goes through the unfused Add inside the step. */
Test(exec_fusion, conv_add_broadcast)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_value *bias = weight(g, "bias", IRB_DIMS(10), 3);
    ol_node *c = conv(g, "c", x, 1);
    irb_output(g, IRB_NODE(g, "Add", "add", "y", bias, c->outputs[0])->outputs[0]);
    check(m, "Conv+Add");
}

Test(exec_fusion, conv_silu_and_hard_swish)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_node *c = conv(g, "c", x, 1);
    ol_node *sig = IRB_NODE(g, "Sigmoid", "sig", NULL, c->outputs[0]);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", NULL, sig->outputs[0], c->outputs[0]);
    ol_node *c2 = conv(g, "c2", mul->outputs[0], 7);
    irb_output(g, IRB_NODE(g, "HardSwish", "hs", "y", c2->outputs[0])->outputs[0]);
    check(m, "Conv+SiLU");
}

/* x * HardSigmoid(x) (how opset-13 exports write HardSwish) runs in Conv's last pass, with the
 * HardSigmoid's own alpha and beta. */
Test(exec_fusion, conv_hard_sigmoid_gate)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_node *c = conv(g, "c", x, 1);
    ol_node *hs = IRB_NODE(g, "HardSigmoid", "hs", NULL, c->outputs[0]);
    cr_assert_eq(ol_node_set_attr_float(hs, "alpha", 0.25f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(hs, "beta", 0.4f, &irb_err), OL_OK);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "y", c->outputs[0], hs->outputs[0]);
    irb_output(g, mul->outputs[0]);
    check(m, "Conv+HardSwish");
}

/* A Constant node of one float. */
static ol_value *constant_node(ol_graph *g, const char *name, float v)
{
    ol_node *n = irb_node(g, "Constant", name, NULL, 0, NULL);
    ol_tensor *t = ol_tensor_create(OL_FLOAT, 0, NULL, &irb_err);
    cr_assert(t);
    *(float *)ol_tensor_mutable_data(t, &irb_err) = v;
    cr_assert_eq(ol_node_set_attr_tensor(n, "value", t, &irb_err), OL_OK);
    return n->outputs[0];
}

/* Per-channel Mul and Add after Conv (a BatchNormalization a TensorFlow export leaves unfolded) are
 * folded into the weights, and Clip's bounds may come from Constant nodes. */
Test(exec_fusion, conv_channel_scale_shift_and_constant_clip)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_value *scale = weight(g, "scale", IRB_DIMS(1, 8, 1, 1), 11), *shift = weight(g, "shift", IRB_DIMS(8, 1, 1), 12);
    ol_node *c = conv(g, "c", x, 1);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", NULL, scale, c->outputs[0]);
    ol_node *add = IRB_NODE(g, "Add", "add", NULL, mul->outputs[0], shift);
    ol_node *clip = IRB_NODE(g, "Clip", "clip", NULL, add->outputs[0], constant_node(g, "lo", -0.5f),
                             constant_node(g, "hi", 0.75f));
    /* A scalar scale, without shift, into a residual. */
    ol_value *one = weight(g, "one", IRB_DIMS(1), 13);
    ol_node *c2 = conv(g, "c2", clip->outputs[0], 5);
    ol_node *mul2 = IRB_NODE(g, "Mul", "mul2", NULL, c2->outputs[0], one);
    ol_node *res = IRB_NODE(g, "Add", "res", "y", mul2->outputs[0], x);
    irb_output(g, res->outputs[0]);
    check(m, "Conv+Mul+Add+Clip");
    /* check() destroyed the model: build the second chain's expectation on a fresh one. */
    m = irb_model();
    g = m->graph;
    x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    one = weight(g, "one", IRB_DIMS(1), 13);
    c2 = conv(g, "c2", x, 5);
    mul2 = IRB_NODE(g, "Mul", "mul2", NULL, c2->outputs[0], one);
    irb_output(g, IRB_NODE(g, "Add", "res", "y", mul2->outputs[0], x)->outputs[0]);
    check(m, "Conv+Mul+Add");
}

/* Constants that are not per-channel ([10]: along the rows) stay separate ops. */
Test(exec_fusion, non_channel_scale_not_folded)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_value *rows = weight(g, "rows", IRB_DIMS(10), 11);
    ol_node *c = conv(g, "c", x, 1);
    irb_output(g, IRB_NODE(g, "Mul", "mul", "y", c->outputs[0], rows)->outputs[0]);
    check(m, "Mul");
}

/* An int64 initializer with the given values. */
static ol_value *int64_weight(ol_graph *g, const char *name, const int64_t *v, int64_t n)
{
    ol_value *w = irb_weight(g, name, OL_INT64, 1, &n);
    memcpy((void *)w->constant->data, v, (size_t)n * sizeof *v);
    return w;
}

/* A zero Pad before Conv becomes Conv's padding (added to its own); one with a non-zero value or on
 * the channel axis stays a Pad. */
Test(exec_fusion, pad_into_conv)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_value *pads = int64_weight(g, "pads", (const int64_t[]){0, 0, 0, 1, 0, 0, 2, 3}, 8);
    ol_node *pad = IRB_NODE(g, "Pad", "pad", NULL, x, pads);
    ol_node *c = conv(g, "c", pad->outputs[0], 1);
    irb_output(g, IRB_NODE(g, "Relu", "r", "y", c->outputs[0])->outputs[0]);
    check(m, "Pad+Conv+Relu");

    m = irb_model();
    g = m->graph;
    x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    pads = int64_weight(g, "pads", (const int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, 8);
    ol_value *value = irb_weight(g, "value", OL_FLOAT, 0, NULL);
    *(float *)value->constant->data = 0.5f;
    pad = IRB_NODE(g, "Pad", "pad", NULL, x, pads, value);
    irb_output(g, conv(g, "c", pad->outputs[0], 1)->outputs[0]);
    check(m, "Pad");
}

/* BatchNormalization -> Relu (DenseNet) and -> Clip run as one pass; weights reach the Conv through
 * an Identity, which still lets its weights be prepared once. */
Test(exec_fusion, batchnorm_relu_and_clip)
{
    for (int clip = 0; clip < 2; clip++) {
        ol_model *m = irb_model();
        ol_graph *g = m->graph;
        ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
        ol_value *scale = weight(g, "scale", IRB_DIMS(8), 21), *bias = weight(g, "bias", IRB_DIMS(8), 22);
        ol_value *mean = weight(g, "mean", IRB_DIMS(8), 23), *var = weight(g, "var", IRB_DIMS(8), 24);
        float *v = (float *)var->constant->data;
        for (int i = 0; i < 8; i++)
            v[i] = 0.5f + (float)i * 0.25f;
        ol_node *bn = IRB_NODE(g, "BatchNormalization", "bn", NULL, x, scale, bias, mean, var);
        ol_node *act = clip ? IRB_NODE(g, "Clip", "act", NULL, bn->outputs[0], constant_node(g, "lo", -0.2f),
                                       constant_node(g, "hi", 0.3f))
                            : IRB_NODE(g, "Relu", "act", NULL, bn->outputs[0]);
        ol_value *w = weight(g, "w", IRB_DIMS(4, 8, 1, 1), 25);
        ol_node *id = IRB_NODE(g, "Identity", "id", NULL, w);
        irb_output(g, IRB_NODE(g, "Conv", "c", "y", act->outputs[0], id->outputs[0])->outputs[0]);
        check(m, clip ? "BatchNormalization+Clip" : "BatchNormalization+Relu");
    }
}

/* Weights that are a graph input may change from run to run: nothing derived from them is kept.
 * Conv is linear, so doubling the weights must double the output on the second run (a stale
 * prepared copy of the first run's weights would repeat its output). 32 channels on 12x12 take the
 * Winograd path, whose transformed filters are what a session keeps for fixed weights. */
Test(exec_fusion, weights_given_as_input_are_not_kept)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 32, 12, 12)), *w = irb_input(g, "w", IRB_DIMS(32, 32, 3, 3));
    ol_node *c = IRB_NODE(g, "Conv", "c", "y", x, w);
    cr_assert_eq(ol_node_set_attr_ints(c, "pads", (const int64_t[]){1, 1, 1, 1}, 4, &irb_err), OL_OK);
    irb_output(g, c->outputs[0]);
    ol_session *s;
    ol_session_options o = {.threads = 1};
    cr_assert_eq(ol_session_create(m, &o, &s, &irb_err), OL_OK, "%s", irb_err.message);
    ol_ktensor in[2] = {{0}, {0}};
    ol_ktensor_set_shape(&in[0], OL_FLOAT, 4, (const int64_t[]){1, 32, 12, 12});
    ol_ktensor_set_shape(&in[1], OL_FLOAT, 4, (const int64_t[]){32, 32, 3, 3});
    float *xv = malloc(ol_ktensor_nbytes(&in[0])), *wv = malloc(ol_ktensor_nbytes(&in[1]));
    for (int64_t i = 0; i < ol_ktensor_numel(&in[0]); i++)
        xv[i] = sinf((float)i * 0.37f);
    for (int64_t i = 0; i < ol_ktensor_numel(&in[1]); i++)
        wv[i] = cosf((float)i * 0.11f) * 0.1f;
    in[0].data = xv;
    in[1].data = wv;
    ol_ktensor first = {0}, second = {0};
    cr_assert_eq(ol_session_run(s, in, &first, &irb_err), OL_OK, "%s", irb_err.message);
    for (int64_t i = 0; i < ol_ktensor_numel(&in[1]); i++)
        wv[i] *= 2;
    cr_assert_eq(ol_session_run(s, in, &second, &irb_err), OL_OK, "%s", irb_err.message);
    const float *a = first.data, *b = second.data;
    for (int64_t i = 0; i < ol_ktensor_numel(&first); i++)
        cr_assert(fabsf(b[i] - 2 * a[i]) <= 1e-5f * (1 + fabsf(b[i])), "y[%lld]: %g, first run %g", (long long)i,
                  b[i], a[i]);
    free(first.data);
    free(second.data);
    free(xv);
    free(wv);
    ol_session_destroy(s);
    ol_model_destroy(m);
}

Test(exec_fusion, bare_silu)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_node *sig = IRB_NODE(g, "Sigmoid", "sig", NULL, x);
    irb_output(g, IRB_NODE(g, "Mul", "mul", "y", x, sig->outputs[0])->outputs[0]);
    check(m, "SiLU");
}

/* A convolution output that is also a graph output must be kept: no fusion. */
Test(exec_fusion, graph_output_not_fused)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_node *c = conv(g, "c", x, 1);
    irb_output(g, c->outputs[0]);
    irb_output(g, IRB_NODE(g, "Relu", "r", "y", c->outputs[0])->outputs[0]);
    check(m, "Relu");
}
