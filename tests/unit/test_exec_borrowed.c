/* ol_session_run_borrowed: outputs lent from the arena are the values ol_session_run hands over,
 * run after run, while the arena is planned and reused; outputs that are views of other storage,
 * outputs that later nodes still read, and a graph input listed as an output included. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "ir_builders.h"

/* x [2, 6] -> Relu a -> Reshape b [3, 4] (a view of a) ; a -> Mul(a, a) c -> Neg d.
 * Outputs: b, a (also read by Mul), d, and x itself. */
static ol_model *model(void)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = irb_input(g, "x", IRB_DIMS(2, 6));
    ol_value *shape = irb_weight(g, "shape", OL_INT64, IRB_DIMS(2));
    ((int64_t *)shape->constant->data)[0] = 3;
    ((int64_t *)shape->constant->data)[1] = 4;
    ol_value *a = IRB_NODE(g, "Relu", "relu", "a", x)->outputs[0];
    ol_value *b = IRB_NODE(g, "Reshape", "reshape", "b", a, shape)->outputs[0];
    ol_value *c = IRB_NODE(g, "Mul", "mul", "c", a, a)->outputs[0];
    ol_value *d = IRB_NODE(g, "Neg", "neg", "d", c)->outputs[0];
    irb_output(g, b);
    irb_output(g, a);
    irb_output(g, d);
    irb_output(g, x);
    return m;
}

typedef struct seen {
    ol_ktensor copies[4];
    size_t n;
} seen;

static ol_status keep(void *user, const ol_ktensor *outputs, ol_error *err)
{
    (void)err;
    seen *s = user;
    for (size_t i = 0; i < 4; i++) {
        size_t bytes = ol_ktensor_nbytes(&outputs[i]);
        s->copies[i] = outputs[i];
        s->copies[i].data = malloc(bytes);
        memcpy(s->copies[i].data, outputs[i].data, bytes);
    }
    s->n = 4;
    return OL_OK;
}

static ol_status refuse(void *user, const ol_ktensor *outputs, ol_error *err)
{
    (void)user;
    (void)outputs;
    return ol_fail(err, OL_ERR_INVALID, "observer refused");
}

Test(exec_borrowed, lent_outputs_equal_handed_outputs_over_many_runs)
{
    ol_model *m = model();
    ol_session *lent, *handed;
    ol_session_options o = {.threads = 1};
    cr_assert_eq(ol_session_create(m, &o, &lent, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(ol_session_create(m, &o, &handed, &irb_err), OL_OK, "%s", irb_err.message);
    float xs[12];
    for (int run = 0; run < 5; run++) {
        for (int i = 0; i < 12; i++)
            xs[i] = (float)((i * 7 + run * 5) % 11) - 5.0f;
        ol_ktensor in = {.dtype = OL_FLOAT, .rank = 2, .dims = {2, 6}, .data = xs};
        seen s = {0};
        cr_assert_eq(ol_session_run_borrowed(lent, &in, keep, &s, &irb_err), OL_OK, "%s", irb_err.message);
        ol_ktensor outs[4] = {0};
        cr_assert_eq(ol_session_run(handed, &in, outs, &irb_err), OL_OK, "%s", irb_err.message);
        cr_assert_eq(s.n, 4);
        for (size_t i = 0; i < 4; i++) {
            cr_expect_eq(s.copies[i].rank, outs[i].rank, "run %d output %zu", run, i);
            cr_expect_eq(ol_ktensor_numel(&s.copies[i]), ol_ktensor_numel(&outs[i]));
            cr_expect_eq(memcmp(s.copies[i].data, outs[i].data, ol_ktensor_nbytes(&outs[i])), 0,
                         "run %d output %zu differs", run, i);
            free(s.copies[i].data);
            free(outs[i].data);
        }
    }
    ol_session_stats st;
    ol_session_get_stats(lent, &st);
    cr_expect_eq(st.heap_fallbacks, 0, "later runs use the planned arena");
    cr_expect_gt(st.arena_bytes, 0);
    ol_session_destroy(lent);
    ol_session_destroy(handed);
    ol_model_destroy(m);
}

Test(exec_borrowed, a_failing_observer_fails_the_run_and_the_session_goes_on)
{
    ol_model *m = model();
    ol_session *s;
    cr_assert_eq(ol_session_create(m, &(ol_session_options){.threads = 1}, &s, &irb_err), OL_OK, "%s",
                 irb_err.message);
    float xs[12] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};
    ol_ktensor in = {.dtype = OL_FLOAT, .rank = 2, .dims = {2, 6}, .data = xs};
    ol_error err = {0};
    cr_expect_eq(ol_session_run_borrowed(s, &in, refuse, NULL, &err), OL_ERR_INVALID);
    cr_expect(strstr(err.message, "observer refused"), "%s", err.message);
    seen got = {0};
    cr_assert_eq(ol_session_run_borrowed(s, &in, keep, &got, &irb_err), OL_OK, "%s", irb_err.message);
    const float *d = got.copies[2].data;
    cr_expect_eq(d[0], -1.0f);
    cr_expect_eq(d[1], 0.0f);
    cr_expect_eq(d[10], -121.0f);
    for (size_t i = 0; i < 4; i++)
        free(got.copies[i].data);
    ol_session_destroy(s);
    ol_model_destroy(m);
}
