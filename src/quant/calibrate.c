#include "quant/calibrate.h"

#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "onnxlite/model_io.h"

#define MAX_BATCH 64

size_t ol_calibration_batch(const ol_model *model, const char *const *names, size_t n, size_t budget_bytes)
{
    const ol_graph *g = model->graph;
    for (size_t i = 0; i < g->n_inputs; i++) {
        const ol_type *t = &g->inputs[i]->type;
        if (!g->inputs[i]->constant && t->kind == OL_TYPE_TENSOR && t->rank >= 1 && t->dims[0].value > 0)
            return (size_t)t->dims[0].value;
    }
    double per_sample = 0;
    for (size_t k = 0; k < n; k++) {
        const ol_value *v = ol_graph_find_value(g, names[k]);
        if (!v || v->type.kind != OL_TYPE_TENSOR || v->type.rank < 1)
            continue;
        double elems = 1;
        for (int d = 1; d < v->type.rank; d++)
            elems *= v->type.dims[d].value > 0 ? (double)v->type.dims[d].value : 1;
        per_sample += elems * sizeof(float);
    }
    if (per_sample <= 0)
        return MAX_BATCH;
    double batch = (double)budget_bytes / per_sample;
    return batch < 1 ? 1 : (batch > MAX_BATCH ? MAX_BATCH : (size_t)batch);
}

/* Where observer k reads its tensor: graph output `output` of the copy, or fed input `input`. */
typedef struct source {
    size_t output, input;
} source;

#define NONE ((size_t)-1)

/* The copy with every observed node output listed as a graph output; sources[k] says where each
 * observed tensor comes out. */
static ol_status prepare_copy(const ol_model *model, const char *const *names, size_t n, ol_model **out,
                              source *sources, ol_error *err)
{
    ol_bytes bytes = {0};
    ol_status st = ol_model_write_buffer(model, &bytes, err);
    if (st == OL_OK)
        st = ol_model_read_buffer(bytes.data, bytes.size, NULL, out, err);
    free(bytes.data);
    if (st != OL_OK)
        return st;
    ol_graph *g = (*out)->graph;
    for (size_t k = 0; k < n && st == OL_OK; k++) {
        ol_value *v = ol_graph_find_value(g, names[k]);
        sources[k] = (source){NONE, NONE};
        if (!v || v->constant)
            return ol_fail(err, OL_ERR_INTERNAL, "calibration: '%s' is not an activation of the main graph",
                           names[k]);
        if (v->is_input) {
            for (size_t i = 0, fed = 0; i < g->n_inputs; i++) {
                if (g->inputs[i] == v)
                    sources[k].input = fed;
                fed += !g->inputs[i]->constant;
            }
            continue;
        }
        if (!v->is_output)
            st = ol_graph_add_output(g, v, err);
        for (size_t o = 0; o < g->n_outputs; o++)
            if (g->outputs[o] == v)
                sources[k].output = o;
    }
    return st;
}

static ol_status check_float(const ol_ktensor *t, const char *name, ol_error *err)
{
    if (t->dtype != OL_FLOAT)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "calibration: tensor '%s' is %s, not float32", name,
                       ol_dtype_name(t->dtype));
    return OL_OK;
}

static const ol_ktensor *observed(const ol_ktensor *fed, const ol_ktensor *outputs, const source *sources,
                                  size_t k)
{
    return sources[k].input != NONE ? &fed[sources[k].input] : &outputs[sources[k].output];
}

/* What one batch's observation needs besides the run's outputs. */
typedef struct batch_view {
    const ol_ktensor *fed;
    const char *const *names;
    const source *sources;
    size_t n;
    ol_histogram *observers;
} batch_view;

/* Feeds the observed tensors of one run, lent by the session, to their observers. */
static ol_status observe_outputs(void *user, const ol_ktensor *outputs, ol_error *err)
{
    const batch_view *b = user;
    ol_status st = OL_OK;
    for (size_t k = 0; st == OL_OK && k < b->n; k++)
        st = check_float(observed(b->fed, outputs, b->sources, k), b->names[k], err);
    if (st != OL_OK)
        return st;
    /* Each tensor has its own observer, so the tensors are observed in parallel; each observer
     * still sees the batches in order, so the result does not depend on the thread count. */
#pragma omp parallel for schedule(dynamic, 1) if (b->n > 1)
    for (size_t k = 0; k < b->n; k++) {
        const ol_ktensor *t = observed(b->fed, outputs, b->sources, k);
        ol_histogram_add(&b->observers[k], t->data, (size_t)ol_ktensor_numel(t));
    }
    return OL_OK;
}

/* One batch: run and observe; the observed tensors stay in the session's memory. */
static ol_status run_batch(ol_session *session, const ol_graph *g, ol_ktensor *fed, ol_ktensor *feed,
                           const char *const *names, const source *sources, size_t n, ol_histogram *observers,
                           ol_error *err)
{
    for (size_t i = 0, k = 0; i < g->n_inputs; i++)
        feed[i] = g->inputs[i]->constant ? (ol_ktensor){0} : fed[k++];
    batch_view view = {.fed = fed, .names = names, .sources = sources, .n = n, .observers = observers};
    return ol_session_run_borrowed(session, feed, observe_outputs, &view, err);
}

ol_status ol_calibrate(const ol_model *model, ol_dataset *data, const char *const *names, size_t n,
                       const ol_calibration_options *options, ol_histogram *observers, size_t *samples,
                       ol_error *err)
{
    ol_model *copy = NULL;
    ol_session *session = NULL;
    source *sources = calloc(n + 1, sizeof *sources);
    ol_ktensor *fed = NULL, *feed = NULL;
    size_t done = 0, total = ol_dataset_size(data);
    ol_status st = sources ? prepare_copy(model, names, n, &copy, sources, err)
                           : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    const ol_graph *g = copy ? copy->graph : NULL;
    if (st == OL_OK) {
        fed = calloc(g->n_inputs + 1, sizeof *fed);
        feed = calloc(g->n_inputs + 1, sizeof *feed);
        if (!fed || !feed)
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    if (st == OL_OK)
        st = ol_session_create(copy, &(ol_session_options){.threads = options->threads}, &session, err);
    size_t batch = options->batch ? options->batch : 1;
    while (st == OL_OK) {
        size_t got = 0;
        if ((st = ol_dataset_next(data, batch, fed, NULL, &got, err)) != OL_OK || got == 0)
            break;
        st = run_batch(session, g, fed, feed, names, sources, n, observers, err);
        for (size_t i = 0; i < g->n_inputs; i++) {
            free(fed[i].data);
            fed[i].data = NULL;
        }
        done += got;
        if (st == OL_OK && options->progress)
            options->progress(options->progress_user, done, total);
    }
    if (st != OL_OK)
        ol_error_prefix(err, "calibration (after %zu samples): ", done);
    if (samples)
        *samples = done;
    ol_session_destroy(session);
    ol_model_destroy(copy);
    free(sources);
    free(fed);
    free(feed);
    return st;
}
