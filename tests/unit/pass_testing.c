#include "pass_testing.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "onnxlite/shape.h"
#include "pass/options.h"

/* Applies "name=value" to `values`. */
static void set_option(ol_option_values *values, const ol_pass_def *pass, const char *text)
{
    const char *eq = strchr(text, '=');
    cr_assert(eq, "option '%s' is not name=value", text);
    for (size_t i = 0; i < pass->n_options; i++) {
        const ol_pass_option *option = &pass->options[i];
        if (strlen(option->name) == (size_t)(eq - text) && strncmp(option->name, text, eq - text) == 0) {
            ol_option_value v;
            cr_assert_eq(ol_option_parse(option, eq + 1, strlen(eq + 1), &v, &irb_err), OL_OK, "%s",
                         irb_err.message);
            ol_option_values_set(values, i, v);
            return;
        }
    }
    cr_assert_fail("pass '%s' has no option '%.*s'", pass->name, (int)(eq - text), text);
}

bool pt_run(const ol_pass_def *pass, ol_model *model, const char *options)
{
    ol_option_values values;
    ol_error_clear(&irb_err);
    cr_assert_eq(ol_option_values_init(&values, pass, &irb_err), OL_OK, "%s", irb_err.message);
    if (options)
        set_option(&values, pass, options);
    if (pass->flags & OL_PASS_NEEDS_SHAPES)
        cr_assert_eq(ol_model_infer_shapes(model, &irb_err), OL_OK, "shape inference: %s",
                     irb_err.message);
    bool changed = false;
    ol_status st = pass->run(model, &values, &changed, &irb_err);
    ol_option_values_clear(&values);
    cr_assert_eq(st, OL_OK, "%s: %s", pass->name, irb_err.message);
    cr_assert_eq(ol_model_verify(model, &irb_err), OL_OK, "after %s: %s", pass->name, irb_err.message);
    /* What the pass left must also survive the writer and the reader. */
    ol_bytes bytes = irb_write(model);
    ol_model *back = irb_read_bytes(&bytes);
    cr_assert(back);
    ol_model_destroy(back);
    free(bytes.data);
    return changed;
}

bool pt_run_settled(const ol_pass_def *pass, ol_model *model, const char *options)
{
    bool changed = pt_run(pass, model, options);
    cr_assert_not(pt_run(pass, model, options), "%s changed the model again on a second run",
                  pass->name);
    return changed;
}

ol_model *pt_clone(const ol_model *model)
{
    ol_bytes bytes = irb_write(model);
    ol_model *copy = irb_read_bytes(&bytes);
    free(bytes.data);
    return copy;
}

/* xorshift64*: fixed sequence, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double next_uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static void random_input(const ol_value *v, ol_ktensor *t)
{
    cr_assert_eq(v->type.kind, OL_TYPE_TENSOR, "input '%s' has no tensor type", v->name);
    cr_assert(v->type.rank >= 0, "input '%s' has no rank", v->name);
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0; d < v->type.rank; d++)
        dims[d] = v->type.dims[d].value >= 0 ? v->type.dims[d].value : 2;
    ol_ktensor_set_shape(t, v->type.elem, v->type.rank, dims);
    int64_t n = ol_ktensor_numel(t);
    t->data = calloc(ol_ktensor_nbytes(t) + 1, 1);
    cr_assert(t->data);
    for (int64_t i = 0; i < n; i++) {
        double u = next_uniform();
        switch (t->dtype) {
        case OL_FLOAT: ((float *)t->data)[i] = (float)(2 * u - 1); break;
        case OL_DOUBLE: ((double *)t->data)[i] = 2 * u - 1; break;
        case OL_INT64: ((int64_t *)t->data)[i] = (int64_t)(u * 4); break;
        case OL_INT32: ((int32_t *)t->data)[i] = (int32_t)(u * 4); break;
        case OL_BOOL: ((uint8_t *)t->data)[i] = u < 0.5; break;
        case OL_FLOAT16: ((uint16_t *)t->data)[i] = ol_float_to_half((float)(2 * u - 1)); break;
        default: cr_assert_fail("no random data for input '%s' of type %s", v->name,
                                ol_dtype_name(t->dtype));
        }
    }
}

static double element(const ol_ktensor *t, int64_t i)
{
    switch (t->dtype) {
    case OL_FLOAT: return ((const float *)t->data)[i];
    case OL_DOUBLE: return ((const double *)t->data)[i];
    case OL_INT64: return (double)((const int64_t *)t->data)[i];
    case OL_INT32: return ((const int32_t *)t->data)[i];
    case OL_BOOL: case OL_UINT8: return ((const uint8_t *)t->data)[i];
    case OL_INT8: return ((const int8_t *)t->data)[i];
    case OL_FLOAT16: return ol_half_to_float(((const uint16_t *)t->data)[i]);
    default: cr_assert_fail("cannot compare outputs of type %s", ol_dtype_name(t->dtype)); return 0;
    }
}

/* Runs both models on the same random inputs and compares every output: element by element
 * within 1e-6 + 1e-4 relative when tolerance < 0, else within tolerance times the largest magnitude
 * of the original's output. */
static void compare_outputs(const ol_model *before, const ol_model *after, double tolerance)
{
    ol_session *s0, *s1;
    cr_assert_eq(ol_session_create(before, NULL, &s0, &irb_err), OL_OK, "original: %s", irb_err.message);
    cr_assert_eq(ol_session_create(after, NULL, &s1, &irb_err), OL_OK, "rewritten: %s", irb_err.message);
    size_t n_in = ol_session_input_count(s0), n_out = ol_session_output_count(s0);
    cr_assert_eq(ol_session_input_count(s1), n_in, "the rewrite changed the number of inputs");
    cr_assert_eq(ol_session_output_count(s1), n_out, "the rewrite changed the number of outputs");
    ol_ktensor in[16] = {{0}}, out0[16] = {{0}}, out1[16] = {{0}};
    cr_assert(n_in <= 16 && n_out <= 16);
    for (size_t i = 0; i < n_in; i++) {
        cr_assert_str_eq(ol_session_input(s1, i)->name, ol_session_input(s0, i)->name);
        if (ol_session_input(s0, i)->constant)
            continue;   /* an initializer listed as input: use its default */
        random_input(ol_session_input(s0, i), &in[i]);
    }
    cr_assert_eq(ol_session_run(s0, in, out0, &irb_err), OL_OK, "original: %s", irb_err.message);
    cr_assert_eq(ol_session_run(s1, in, out1, &irb_err), OL_OK, "rewritten: %s", irb_err.message);
    for (size_t o = 0; o < n_out; o++) {
        const char *name = ol_session_output(s0, o)->name;
        cr_assert_str_eq(ol_session_output(s1, o)->name, name, "output %zu was renamed", o);
        cr_assert_eq(out1[o].dtype, out0[o].dtype, "output '%s' changed type", name);
        cr_assert_eq(out1[o].rank, out0[o].rank, "output '%s' changed rank", name);
        for (int d = 0; d < out0[o].rank; d++)
            cr_assert_eq(out1[o].dims[d], out0[o].dims[d], "output '%s' dim %d changed", name, d);
        int64_t n = ol_ktensor_numel(&out0[o]);
        double largest = 0;
        for (int64_t i = 0; i < n; i++)
            largest = fmax(largest, fabs(element(&out0[o], i)));
        for (int64_t i = 0; i < n; i++) {
            double want = element(&out0[o], i), got = element(&out1[o], i);
            double allowed = tolerance < 0 ? 1e-6 + 1e-4 * fabs(want) : tolerance * largest;
            cr_assert(fabs(got - want) <= allowed, "output '%s' element %lld: %.9g, expected %.9g (allowed error %g)",
                      name, (long long)i, got, want, allowed);
        }
        free(out0[o].data);
        free(out1[o].data);
    }
    for (size_t i = 0; i < n_in; i++)
        free(in[i].data);
    ol_session_destroy(s0);
    ol_session_destroy(s1);
}

void pt_assert_same_outputs(const ol_model *before, const ol_model *after)
{
    compare_outputs(before, after, -1);
}

void pt_assert_close_outputs(const ol_model *before, const ol_model *after, double tolerance)
{
    compare_outputs(before, after, tolerance);
}

ol_value *pt_random_weight(ol_graph *graph, const char *name, float lo, float hi, int rank,
                           const int64_t *dims)
{
    ol_tensor *t = ol_tensor_create(OL_FLOAT, rank, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    float *data = ol_tensor_mutable_data(t, &irb_err);
    for (int64_t i = 0; i < ol_tensor_numel(t); i++)
        data[i] = (float)(lo + (hi - lo) * next_uniform());
    ol_value *v = ol_graph_add_initializer(graph, name, t, &irb_err);
    cr_assert(v, "%s", irb_err.message);
    return v;
}

ol_value *pt_floats(ol_graph *graph, const char *name, int rank, const int64_t *dims,
                    const float *values)
{
    ol_tensor *t = ol_tensor_create(OL_FLOAT, rank, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    if (t->nbytes)
        memcpy(ol_tensor_mutable_data(t, &irb_err), values, t->nbytes);
    ol_value *v = ol_graph_add_initializer(graph, name, t, &irb_err);
    cr_assert(v, "%s", irb_err.message);
    return v;
}

ol_value *pt_ints(ol_graph *graph, const char *name, int rank, const int64_t *dims,
                  const int64_t *values)
{
    ol_tensor *t = ol_tensor_create(OL_INT64, rank, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    if (t->nbytes)
        memcpy(ol_tensor_mutable_data(t, &irb_err), values, t->nbytes);
    ol_value *v = ol_graph_add_initializer(graph, name, t, &irb_err);
    cr_assert(v, "%s", irb_err.message);
    return v;
}

ol_value *pt_input(ol_graph *graph, const char *name, ol_dtype dtype, int rank, const int64_t *dims,
                   const char *const *params)
{
    ol_type type = {.kind = OL_TYPE_UNKNOWN, .rank = -1};
    cr_assert_eq(ol_type_set_tensor(&type, dtype, rank, dims), 0);
    for (int d = 0; params && d < rank; d++)
        if (params[d]) {
            type.dims[d].value = -1;
            type.dims[d].param = strdup(params[d]);
        }
    ol_value *v = ol_graph_add_input(graph, name, &type, &irb_err);
    ol_type_clear(&type);
    cr_assert(v, "%s", irb_err.message);
    return v;
}

const float *pt_const_floats(const ol_value *value)
{
    const ol_tensor *t = ol_value_constant(value);
    cr_assert(t, "'%s' is not a constant", value->name);
    cr_assert_eq(t->dtype, OL_FLOAT, "'%s' is not float32", value->name);
    return t->data;
}

ol_node *pt_producer(const ol_value *value)
{
    cr_assert(value->producer && !value->producer->erased, "'%s' has no producer", value->name);
    return value->producer;
}

ol_value *pt_output(const ol_graph *graph, const char *name)
{
    for (size_t i = 0; i < graph->n_outputs; i++)
        if (strcmp(graph->outputs[i]->name, name) == 0)
            return graph->outputs[i];
    cr_assert_fail("no graph output named '%s'", name);
    return NULL;
}
