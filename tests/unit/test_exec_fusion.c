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

/* A residual that broadcasts ([8, 1, 1]) goes through the unfused Add inside the step. */
Test(exec_fusion, conv_add_broadcast)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(1, 8, 10, 10));
    ol_value *bias = weight(g, "bias", IRB_DIMS(8, 1, 1), 3);
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
