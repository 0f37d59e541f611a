#include "pass/manager.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnxlite/shape.h"
#include "pass/measure.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Frees what passes erased, in every graph: passes may leave erased nodes and values behind. */
static void compact_graph(ol_graph *graph)
{
    ol_graph_compact(graph);
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        for (size_t a = 0; a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            if (attr->g)
                compact_graph(attr->g);
            for (size_t k = 0; attr->graphs && k < attr->n; k++)
                compact_graph(attr->graphs[k]);
        }
    }
}

typedef struct run_state {
    const ol_pass_manager_options *options;
    ol_model *model;
    ol_pipeline_report *report;
    bool shapes_valid;
    bool gzip_sizes;   /* measure compressed sizes (see measure()) */
    unsigned max_iterations;
} run_state;

static ol_status infer_shapes(run_state *rs, ol_pass_step *step, ol_error *err)
{
    double t0 = now_seconds();
    ol_status st = ol_model_infer_shapes(rs->model, err);
    step->shape_seconds += now_seconds() - t0;
    step->inferred_shapes = true;
    if (st != OL_OK) {
        ol_error_prefix(err, "shape inference before pass '%s': ", step->pass->name);
        return st;
    }
    rs->shapes_valid = true;
    return OL_OK;
}

static ol_status verify_after(run_state *rs, ol_pass_step *step, ol_error *err)
{
    double t0 = now_seconds();
    ol_status st = ol_model_verify(rs->model, err);
    step->verify_seconds += now_seconds() - t0;
    if (st != OL_OK) {
        if (step->pass->flags & OL_PASS_FIXPOINT)
            ol_error_prefix(err, "pass '%s' (run %u) left an invalid model: ", step->pass->name,
                            step->iterations);
        else
            ol_error_prefix(err, "pass '%s' left an invalid model: ", step->pass->name);
        return st;
    }
    step->verified = true;
    return OL_OK;
}

/* One run of the pass: the pass itself, compaction, the verifier. */
static ol_status run_once(run_state *rs, const ol_pipeline_entry *entry, ol_pass_step *step,
                          bool *changed, ol_error *err)
{
    const ol_pass_def *pass = entry->pass;
    ol_error pass_err = {0};
    *changed = false;
    ol_option_values values = entry->options;   /* the same values, with the command's context */
    values.context = rs->options->context;
    if (values.context)
        values.context->current_pass = pass->name;
    double t0 = now_seconds();
    ol_status st = pass->run(rs->model, &values, changed, &pass_err);
    step->run_seconds += now_seconds() - t0;
    step->iterations++;
    if (st != OL_OK) {
        if (!pass_err.message[0])
            return ol_fail(err, st, "pass '%s' failed (%s) without saying why", pass->name,
                           ol_status_name(st));
        return ol_fail(err, st, "pass '%s' failed: %s", pass->name, pass_err.message);
    }
    compact_graph(rs->model->graph);
    if (*changed) {
        step->changed = true;
        if (!(pass->flags & OL_PASS_PRESERVES_SHAPES))
            rs->shapes_valid = false;
    }
    return rs->options->verify_each ? verify_after(rs, step, err) : OL_OK;
}

static ol_status run_pass(run_state *rs, const ol_pipeline_entry *entry, ol_pass_step *step,
                          ol_error *err)
{
    const ol_pass_def *pass = entry->pass;
    for (;;) {
        if ((pass->flags & OL_PASS_NEEDS_SHAPES) && !rs->shapes_valid) {
            ol_status st = infer_shapes(rs, step, err);
            if (st != OL_OK)
                return st;
        }
        bool changed;
        ol_status st = run_once(rs, entry, step, &changed, err);
        if (st != OL_OK || !changed || !(pass->flags & OL_PASS_FIXPOINT))
            return st;
        if (step->iterations >= rs->max_iterations) {
            step->hit_iteration_limit = true;
            return OL_OK;
        }
    }
}

/* `gzip` for the input and the output model only, and only when the pipeline has a lossy pass:
 * compressing a large model takes seconds, and lossless passes hardly change the compressed size. */
static ol_status measure(run_state *rs, bool gzip, ol_model_stats *out, ol_error *err)
{
    return rs->options->measure ? ol_pass_measure(rs->model, gzip && rs->gzip_sizes, out, err) : OL_OK;
}

/* Statistics of a model no pass changed since `from` was measured: a copy, since measuring means
 * a shape inference and a serialization of the whole model. */
static ol_status copy_stats(const ol_model_stats *from, ol_model_stats *to, ol_error *err)
{
    *to = *from;
    to->ops = calloc(from->n_ops ? from->n_ops : 1, sizeof *to->ops);
    to->costs = NULL;
    to->n_costs = 0;
    if (!to->ops) {
        to->n_ops = 0;
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < from->n_ops; i++) {
        to->ops[i].count = from->ops[i].count;
        to->ops[i].domain = strdup(from->ops[i].domain);
        to->ops[i].op_type = strdup(from->ops[i].op_type);
        if (!to->ops[i].domain || !to->ops[i].op_type) {
            ol_model_stats_free(to);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
    }
    return OL_OK;
}

static ol_status run_pipeline(run_state *rs, const ol_pipeline *pipeline, ol_error *err)
{
    ol_pipeline_report *report = rs->report;
    ol_status st = ol_model_verify(rs->model, err);
    if (st != OL_OK) {
        ol_error_prefix(err, "the input model is invalid: ");
        return st;
    }
    if ((st = measure(rs, true, &report->input_stats, err)) != OL_OK)
        return st;
    report->measured = rs->options->measure;
    bool verified_last = true;
    for (size_t i = 0; i < pipeline->n; i++) {
        const ol_pipeline_entry *entry = &pipeline->entries[i];
        ol_pass_step *step = &report->steps[report->n_steps++];
        step->pass = entry->pass;
        if (!(step->text = ol_pipeline_entry_text(entry)))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        st = run_pass(rs, entry, step, err);
        if (st == OL_OK && rs->options->measure) {
            const ol_model_stats *before = i == 0 ? &report->input_stats : &report->steps[i - 1].after;
            bool last = i + 1 == pipeline->n;
            st = step->changed || (last && rs->gzip_sizes && !before->gzip_bytes)
                     ? measure(rs, last, &step->after, err)
                     : copy_stats(before, &step->after, err);
            step->measured = st == OL_OK;
            if (st != OL_OK)
                ol_error_prefix(err, "after pass '%s': ", entry->pass->name);
        }
        if (st != OL_OK) {
            step->failed = true;
            return st;
        }
        verified_last = step->verified;
        if (rs->options->after_pass) {
            bool stop = false;
            if ((st = rs->options->after_pass(rs->options->user, i, rs->model, &stop, err)) != OL_OK)
                return st;
            if (stop)
                return OL_OK;
        }
    }
    if (!verified_last && (st = ol_model_verify(rs->model, err)) != OL_OK)
        ol_error_prefix(err, "the optimized model is invalid (verify after each pass to find the pass "
                        "that broke it): ");
    return st;
}

ol_status ol_pass_manager_run(const ol_pipeline *pipeline, ol_model *model,
                              const ol_pass_manager_options *options, ol_pipeline_report *report,
                              ol_error *err)
{
    ol_pipeline_report scratch = {0};
    ol_pass_manager_options defaults = {0};
    if (!options)
        options = &defaults;
    if (!report)
        report = &scratch;
    ol_pipeline_report_clear(report);
    run_state rs = {
        .options = options,
        .model = model,
        .report = report,
        .gzip_sizes = !ol_pipeline_is_lossless(pipeline),
        .max_iterations = options->max_iterations ? options->max_iterations : OL_PASS_DEFAULT_MAX_ITERATIONS,
    };
    report->max_iterations = rs.max_iterations;
    double t0 = now_seconds();
    ol_status st = OL_OK;
    report->pipeline = ol_pipeline_to_text(pipeline);
    report->steps = calloc(pipeline->n ? pipeline->n : 1, sizeof *report->steps);
    if (!report->pipeline || !report->steps)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    else if (!model->graph)
        st = ol_fail(err, OL_ERR_INVALID, "model has no graph");
    else
        st = run_pipeline(&rs, pipeline, err);
    report->seconds = now_seconds() - t0;
    if (options->context)
        ol_pass_context_take_notes(options->context, &report->notes, &report->n_notes);
    report->ok = st == OL_OK;
    if (st != OL_OK)
        snprintf(report->error, sizeof report->error, "%s", err->message);
    ol_pipeline_report_clear(&scratch);
    return st;
}
