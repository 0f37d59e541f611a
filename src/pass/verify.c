#include "pass/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/random_input.h"
#include "exec/compare.h"
#include "exec/session.h"
#include "kernels/element.h"

struct ol_verifier {
    ol_verify_options options;
    size_t n_inputs;
    char **input_names;       /* reference graph inputs, in order */
    bool *input_is_constant;  /* has an initializer: not fed */
    size_t n_outputs;
    char **output_names;
    ol_ktensor *inputs;       /* [sample * n_inputs + i] */
    ol_ktensor *expected;     /* [sample * n_outputs + o] */
};

const ol_verify_options *ol_verifier_options(const ol_verifier *verifier)
{
    return &verifier->options;
}

void ol_verifier_destroy(ol_verifier *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->inputs && i < v->options.samples * v->n_inputs; i++)
        free(v->inputs[i].data);
    for (size_t i = 0; v->expected && i < v->options.samples * v->n_outputs; i++)
        free(v->expected[i].data);
    for (size_t i = 0; v->input_names && i < v->n_inputs; i++)
        free(v->input_names[i]);
    for (size_t i = 0; v->output_names && i < v->n_outputs; i++)
        free(v->output_names[i]);
    free(v->input_names);
    free(v->input_is_constant);
    free(v->output_names);
    free(v->inputs);
    free(v->expected);
    free(v);
}

static ol_status copy_names(ol_value *const *values, size_t n, char ***out, ol_error *err)
{
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (!((*out)[i] = strdup(values[i]->name)))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

/* The inputs from v->options.data: one batch per input set, as many sets as it has (at most
 * options.samples). */
static ol_status read_inputs(ol_verifier *v, const ol_graph *graph, ol_error *err)
{
    size_t n_fed = 0, batch = v->options.batch > 0 ? (size_t)v->options.batch : 1;
    const ol_value **fed = calloc(v->n_inputs + 1, sizeof *fed);
    ol_ktensor *got = calloc(v->n_inputs + 1, sizeof *got);
    ol_dataset *data = NULL;
    ol_status st = fed && got ? OL_OK : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == OL_OK && i < v->n_inputs; i++)
        if (!v->input_is_constant[i])
            fed[n_fed++] = graph->inputs[i];
    if (st == OL_OK)
        st = ol_dataset_open(v->options.data, fed, n_fed, &data, err);
    size_t sets = 0;
    while (st == OL_OK && sets < v->options.samples) {
        size_t n = 0;
        if ((st = ol_dataset_next(data, batch, got, NULL, &n, err)) != OL_OK || n == 0)
            break;
        for (size_t i = 0, k = 0; i < v->n_inputs; i++)
            if (!v->input_is_constant[i])
                v->inputs[sets * v->n_inputs + i] = got[k++];
        sets++;
    }
    if (st == OL_OK && sets == 0)
        st = ol_fail(err, OL_ERR_INVALID, "the data set '%s' has no samples", v->options.data->path);
    if (st == OL_OK)
        v->options.samples = sets;
    ol_dataset_close(data);
    free(fed);
    free(got);
    if (st != OL_OK)
        ol_error_prefix(err, "verification inputs: ");
    return st;
}

static ol_status make_inputs(ol_verifier *v, const ol_graph *graph, ol_error *err)
{
    if (v->options.data)
        return read_inputs(v, graph, err);
    uint64_t seed = v->options.seed;
    for (size_t s = 0; s < v->options.samples; s++)
        for (size_t i = 0; i < v->n_inputs; i++) {
            const ol_value *input = graph->inputs[i];
            ol_ktensor *t = &v->inputs[s * v->n_inputs + i];
            if (v->input_is_constant[i])
                continue;
            ol_status st = ol_random_input_shape(input, v->options.batch, t, err);
            if (st == OL_OK)
                st = ol_random_input_fill(t, &seed, err);
            if (st != OL_OK)
                return st;
        }
    return OL_OK;
}

ol_status ol_verifier_create(const ol_model *reference, const ol_verify_options *options,
                             ol_verifier **out, ol_error *err)
{
    *out = NULL;
    if (!reference->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    ol_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    v->options = *options;
    if (v->options.samples == 0)
        v->options.samples = OL_VERIFY_DEFAULT_SAMPLES;
    const ol_graph *graph = reference->graph;
    v->n_inputs = graph->n_inputs;
    v->n_outputs = graph->n_outputs;
    ol_session *session = NULL;
    ol_status st = copy_names(graph->inputs, v->n_inputs, &v->input_names, err);
    if (st == OL_OK)
        st = copy_names(graph->outputs, v->n_outputs, &v->output_names, err);
    if (st == OL_OK) {
        v->input_is_constant = calloc(v->n_inputs ? v->n_inputs : 1, sizeof *v->input_is_constant);
        v->inputs = calloc(v->options.samples * v->n_inputs + 1, sizeof *v->inputs);
        v->expected = calloc(v->options.samples * v->n_outputs + 1, sizeof *v->expected);
        if (!v->input_is_constant || !v->inputs || !v->expected)
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; st == OL_OK && i < v->n_inputs; i++)
        v->input_is_constant[i] = graph->inputs[i]->constant != NULL;
    if (st == OL_OK)
        st = make_inputs(v, graph, err);
    if (st == OL_OK)
        st = ol_session_create(reference, &(ol_session_options){.threads = v->options.threads}, &session,
                               err);
    for (size_t s = 0; st == OL_OK && s < v->options.samples; s++)
        st = ol_session_run(session, &v->inputs[s * v->n_inputs], &v->expected[s * v->n_outputs], err);
    ol_session_destroy(session);
    if (st != OL_OK) {
        ol_error_prefix(err, "running the original model: ");
        ol_verifier_destroy(v);
        return st;
    }
    *out = v;
    return OL_OK;
}

void ol_verify_result_clear(ol_verify_result *result)
{
    for (size_t i = 0; result->outputs && i < result->n_outputs; i++)
        free(result->outputs[i].name);
    free(result->outputs);
    *result = (ol_verify_result){0};
}

static bool same_shape(const ol_ktensor *a, const ol_ktensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

static void format_dims(const ol_ktensor *t, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->rank && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? "," : "", (long long)t->dims[d]);
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

/* Folds one sample's comparison of an output into its running result. */
static void compare_output(const ol_ktensor *got, const ol_ktensor *expected, double tolerance,
                           ol_output_error *result)
{
    if (got->dtype != expected->dtype) {
        snprintf(result->reason, sizeof result->reason, "dtype %s, expected %s",
                 ol_dtype_name(got->dtype), ol_dtype_name(expected->dtype));
        result->ok = false;
        return;
    }
    if (!same_shape(got, expected)) {
        char a[80], b[80];
        format_dims(got, a, sizeof a);
        format_dims(expected, b, sizeof b);
        snprintf(result->reason, sizeof result->reason, "shape %s, expected %s", a, b);
        result->ok = false;
        return;
    }
    bool floats = ol_elem_is_float(got->dtype);
    double max_abs = 0, max_expected = 0;
    int64_t n = ol_ktensor_numel(got);
    for (int64_t i = 0; i < n; i++) {
        double g = ol_ktensor_get_f64(got, i), e = ol_ktensor_get_f64(expected, i);
        double diff;
        if (isnan(g) || isnan(e))
            diff = isnan(g) && isnan(e) ? 0 : INFINITY;
        else if (isinf(g) || isinf(e))
            diff = g == e ? 0 : INFINITY;
        else
            diff = fabs(g - e);
        if (diff > max_abs)
            max_abs = diff;
        if (isfinite(e) && fabs(e) > max_expected)
            max_expected = fabs(e);
    }
    double rel = max_abs == 0 ? 0 : (max_expected > 0 ? max_abs / max_expected : INFINITY);
    if (max_abs > result->max_abs_error)
        result->max_abs_error = max_abs;
    if (rel > result->max_rel_error)
        result->max_rel_error = rel;
    if (floats ? !(rel <= tolerance) : max_abs != 0)
        result->ok = false;
}

static ol_status init_result(const ol_verifier *v, ol_verify_result *result, ol_error *err)
{
    *result = (ol_verify_result){.ok = true, .n_outputs = v->n_outputs};
    result->outputs = calloc(v->n_outputs ? v->n_outputs : 1, sizeof *result->outputs);
    if (!result->outputs)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t o = 0; o < v->n_outputs; o++) {
        result->outputs[o].ok = true;
        if (!(result->outputs[o].name = strdup(v->output_names[o])))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    return OL_OK;
}

/* For each input of the candidate, the reference input of the same name (SIZE_MAX: none). */
static ol_status match_inputs(const ol_verifier *v, const ol_graph *graph, size_t *map, ol_error *err)
{
    for (size_t i = 0; i < graph->n_inputs; i++) {
        map[i] = SIZE_MAX;
        for (size_t j = 0; j < v->n_inputs; j++)
            if (strcmp(graph->inputs[i]->name, v->input_names[j]) == 0)
                map[i] = j;
        if (graph->inputs[i]->constant)
            continue;
        if (map[i] == SIZE_MAX || v->input_is_constant[map[i]])
            return ol_fail(err, OL_ERR_INVALID, "the optimized model has an input '%s' that the original "
                           "model does not take", graph->inputs[i]->name);
    }
    return OL_OK;
}

ol_status ol_verifier_check(ol_verifier *v, const ol_model *candidate, ol_verify_result *result,
                            ol_error *err)
{
    ol_status st = init_result(v, result, err);
    if (st != OL_OK) {
        ol_verify_result_clear(result);
        return st;
    }
    const ol_graph *graph = candidate->graph;
    size_t n_in = graph ? graph->n_inputs : 0, n_out = graph ? graph->n_outputs : 0;
    size_t *input_map = calloc(n_in + 1, sizeof *input_map);
    size_t *output_of = calloc(v->n_outputs + 1, sizeof *output_of);   /* reference -> candidate */
    ol_ktensor *feed = calloc(n_in + 1, sizeof *feed);
    ol_ktensor *got = calloc(n_out + 1, sizeof *got);
    ol_session *session = NULL;
    if (!input_map || !output_of || !feed || !got)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    else if (!graph)
        st = ol_fail(err, OL_ERR_INVALID, "model has no graph");
    if (st == OL_OK)
        st = match_inputs(v, graph, input_map, err);
    for (size_t o = 0; st == OL_OK && o < v->n_outputs; o++) {
        output_of[o] = SIZE_MAX;
        for (size_t k = 0; k < n_out; k++)
            if (strcmp(graph->outputs[k]->name, v->output_names[o]) == 0)
                output_of[o] = k;
        if (output_of[o] == SIZE_MAX) {
            result->outputs[o].ok = false;
            snprintf(result->outputs[o].reason, sizeof result->outputs[o].reason,
                     "the optimized model has no output of this name");
        }
    }
    if (st == OL_OK)
        st = ol_session_create(candidate, &(ol_session_options){.threads = v->options.threads}, &session,
                               err);
    for (size_t s = 0; st == OL_OK && s < v->options.samples; s++) {
        for (size_t i = 0; i < n_in; i++)
            feed[i] = input_map[i] == SIZE_MAX || graph->inputs[i]->constant
                          ? (ol_ktensor){0}
                          : v->inputs[s * v->n_inputs + input_map[i]];
        st = ol_session_run(session, feed, got, err);
        for (size_t o = 0; st == OL_OK && o < v->n_outputs; o++)
            if (output_of[o] != SIZE_MAX)
                compare_output(&got[output_of[o]], &v->expected[s * v->n_outputs + o], v->options.tolerance,
                               &result->outputs[o]);
        for (size_t k = 0; st == OL_OK && k < n_out; k++) {
            free(got[k].data);
            got[k].data = NULL;
        }
    }
    for (size_t o = 0; o < result->n_outputs; o++)
        result->ok = result->ok && result->outputs[o].ok;
    ol_session_destroy(session);
    free(input_map);
    free(output_of);
    free(feed);
    free(got);
    if (st != OL_OK) {
        ol_error_prefix(err, "running the optimized model: ");
        ol_verify_result_clear(result);
    }
    return st;
}
