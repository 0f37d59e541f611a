/* Calibration runs: the observed tensors of a float model over a data set, whatever the batch
 * size, and the batch size chosen to bound memory. */
#include <criterion/criterion.h>
#include <string.h>

#include "pass_testing.h"
#include "onnxlite/shape.h"
#include "quant/calibrate.h"

/* x[N,3] -> Relu -> r;  Mul(x, 2) -> m;  Add(r, m) -> y (a graph output). */
static ol_model *model(void)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 3), (const char *const[]){"N", NULL});
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", x);
    ol_node *mul = IRB_NODE(g, "Mul", "mul", "m", x, pt_floats(g, "two", 0, NULL, (const float[]){2}));
    irb_output(g, IRB_NODE(g, "Add", "add", "y", relu->outputs[0], mul->outputs[0])->outputs[0]);
    return m;
}

static const float SAMPLES[5][3] = {{1, -2, 3}, {0.5f, 0, -4}, {7, 1, 1}, {-1, -1, -1}, {2, 2, 2}};

static ol_dataset *samples(void)
{
    ol_ktensor t = {.data = (void *)SAMPLES};
    ol_ktensor_set_shape(&t, OL_FLOAT, 2, (int64_t[]){5, 3});
    ol_dataset *d = NULL;
    cr_assert_eq(ol_dataset_from_tensors(&t, 1, NULL, &d, &irb_err), OL_OK, "%s", irb_err.message);
    return d;
}

/* x spans [-4, 7]; r = max(x, 0) spans [0, 7]; m = 2x spans [-8, 14]; y = r + 2x: the largest is
 * 7 + 14 = 21 (sample 3), the smallest -8 (x = -4: 0 - 8). 15 values each. */
static void check_batch(size_t batch)
{
    ol_model *m = model();
    ol_dataset *d = samples();
    const char *names[] = {"x", "r", "m", "y"};
    const double lo[] = {-4, 0, -8, -8}, hi[] = {7, 7, 14, 21};
    ol_histogram h[4];
    for (int k = 0; k < 4; k++)
        cr_assert_eq(ol_histogram_init(&h[k], k % 2 ? 16 : 0, &irb_err), OL_OK);
    size_t seen = 0;
    ol_calibration_options o = {.batch = batch};
    cr_assert_eq(ol_calibrate(m, d, names, 4, &o, h, &seen, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert_eq(seen, 5);
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(h[k].min, lo[k], "%s min %g", names[k], h[k].min);
        cr_assert_eq(h[k].max, hi[k], "%s max %g", names[k], h[k].max);
        cr_assert_eq(h[k].total, 15, "%s", names[k]);
        ol_histogram_clear(&h[k]);
    }
    /* The model itself is untouched: the observed values were listed as outputs of a copy. */
    cr_assert_eq(m->graph->n_outputs, 1);
    ol_dataset_close(d);
    ol_model_destroy(m);
}

Test(quant_calibrate, batch_of_one) { check_batch(1); }
Test(quant_calibrate, batch_of_two_with_a_partial_last_batch) { check_batch(2); }
Test(quant_calibrate, whole_set_in_one_batch) { check_batch(5); }

static size_t calls, last_done, last_total;
static void count_progress(void *user, size_t done, size_t total)
{
    (void)user;
    calls++;
    last_done = done;
    last_total = total;
}

Test(quant_calibrate, progress_per_batch)
{
    ol_model *m = model();
    ol_dataset *d = samples();
    ol_histogram h;
    cr_assert_eq(ol_histogram_init(&h, 0, &irb_err), OL_OK);
    ol_calibration_options o = {.batch = 2, .progress = count_progress};
    cr_assert_eq(ol_calibrate(m, d, (const char *const[]){"r"}, 1, &o, &h, NULL, &irb_err), OL_OK, "%s",
                 irb_err.message);
    cr_assert_eq(calls, 3);
    cr_assert_eq(last_done, 5);
    cr_assert_eq(last_total, 5);
    ol_histogram_clear(&h);
    ol_dataset_close(d);
    ol_model_destroy(m);
}

Test(quant_calibrate, non_float_tensor_is_refused)
{
    ol_model *m = model();
    ol_graph *g = m->graph;
    irb_output(g, IRB_NODE(g, "Shape", "shape", "s", ol_graph_find_value(g, "x"))->outputs[0]);
    ol_dataset *d = samples();
    ol_histogram h;
    cr_assert_eq(ol_histogram_init(&h, 0, &irb_err), OL_OK);
    ol_calibration_options o = {.batch = 5};
    ol_error err = {0};
    cr_assert_neq(ol_calibrate(m, d, (const char *const[]){"s"}, 1, &o, &h, NULL, &err), OL_OK);
    cr_assert(strstr(err.message, "'s' is int64, not float32"), "%s", err.message);
    ol_histogram_clear(&h);
    ol_dataset_close(d);
    ol_model_destroy(m);
}

/* A fixed first dim is the batch; otherwise as many samples as keep the observed tensors within
 * the budget: [N, 1000] floats are 4,000 bytes a sample, two of them 8,000, so 80,000 bytes hold
 * 10 samples (at least 1, at most 64). */
Test(quant_calibrate, batch_size_bounds_memory)
{
    ol_model *m = irb_model();
    ol_graph *g = m->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(1, 1000), (const char *const[]){"N", NULL});
    irb_output(g, IRB_NODE(g, "Relu", "relu", "r", x)->outputs[0]);
    cr_assert_eq(ol_model_infer_shapes(m, &irb_err), OL_OK, "%s", irb_err.message);
    const char *names[] = {"x", "r"};
    cr_assert_eq(ol_calibration_batch(m, names, 2, 80000), 10);
    cr_assert_eq(ol_calibration_batch(m, names, 2, 1000), 1);
    cr_assert_eq(ol_calibration_batch(m, names, 2, 1u << 30), 64);
    ol_model_destroy(m);
    ol_model *fixed = irb_model();
    g = fixed->graph;
    x = pt_input(g, "x", OL_FLOAT, IRB_DIMS(4, 1000), NULL);
    irb_output(g, IRB_NODE(g, "Relu", "relu", "r", x)->outputs[0]);
    cr_assert_eq(ol_calibration_batch(fixed, names, 2, 80000), 4);
    ol_model_destroy(fixed);
}
