/* The pipeline report as JSON. Keys, in this order:
 *   "onnx_lite_version"  str
 *   "input", "output"    model paths (output null when no model was written)
 *   "pipeline"           canonical pipeline text: `optimize -p` with it reproduces the run
 *   "ok"                 bool; "error": str|null, the message when not ok
 *   "seconds"            the whole pipeline, statistics and verifier included
 *   "max_iterations"     the bound for fixpoint passes
 *   "input_model", "output_model"
 *                        the statistics keys of src/analysis/model_stats_json.h (node_count,
 *                        op_histogram, parameters, weight_bytes, weights_by_dtype, macs, other_macs,
 *                        total_macs, unknown_mac_nodes, heaviest_layers (empty here)), computed as
 *                        inspect does (input dims left open taken as 1), then "file_bytes" (the
 *                        serialized size, data inline) and "gzip_bytes" (that gzip-compressed);
 *                        null when not measured
 *   "passes"             [{"pass": canonical text, "name": str, "lossless": bool, "fixpoint": bool,
 *                          "iterations": int, "changed": bool, "iteration_limit_hit": bool,
 *                          "shape_inference": bool, "ir_verified": bool, "failed": bool,
 *                          "seconds": pass time, "shape_inference_seconds", "verify_seconds",
 *                          "before"/"after": {"node_count", "parameters", "weight_bytes", "macs",
 *                          "total_macs", "unknown_mac_nodes", "file_bytes", "gzip_bytes" (null
 *                          except before the first pass and after the last)} or null}], the passes
 *                          that ran
 *   "verification"       null, or {"samples", "batch" (null: symbolic dims taken as 1), "seed",
 *                          "data" (the data set the inputs came from, null: random), "tolerance", "ok",
 *                          "outputs": [{"name", "max_abs_error", "max_rel_error", "ok", "reason"}],
 *                          "first_diverging_pass": null or {"index", "pass", "outputs": [...]} when
 *                          the verification failed and the passes were checked one by one; "found"
 *                          false there means every pass alone verified}
 *   "notes"              [{"pass", "kind": "info"|"warning", "message"}], what passes noted (the
 *                          quantize pass's groups kept in float, calibration, ...), in order
 * Errors that are infinite (an output that became non-finite, or a reference of all zeros) are
 * written as null, since JSON has no infinity. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>

#include "analysis/json_text.h"
#include "analysis/model_stats_json.h"
#include "onnxlite/onnxlite.h"
#include "pass/report.h"
#include "util/atomic_file.h"

/* Builders return NULL when out of memory; jansson's *_new functions take ownership and accept a
 * NULL value by failing, which `ok` collects. */
typedef struct builder {
    bool ok;
} builder;

static void set(builder *b, json_t *object, const char *key, json_t *value)
{
    if (!value || json_object_set_new(object, key, value) != 0)
        b->ok = false;
}

static void append(builder *b, json_t *array, json_t *value)
{
    if (!value || json_array_append_new(array, value) != 0)
        b->ok = false;
}

static json_t *count(uint64_t n)
{
    return json_integer(n > INT64_MAX ? INT64_MAX : (json_int_t)n);
}

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *stats_summary(builder *b, const ol_model_stats *stats)
{
    if (!stats)
        return json_null();
    json_t *o = json_object();
    if (!o)
        return NULL;
    set(b, o, "node_count", count(stats->node_count));
    set(b, o, "parameters", count(stats->parameter_count));
    set(b, o, "weight_bytes", count(stats->weight_bytes));
    set(b, o, "macs", count(stats->linear_macs));
    set(b, o, "total_macs", count(stats->total_macs));
    set(b, o, "unknown_mac_nodes", count(stats->unknown_mac_nodes));
    set(b, o, "file_bytes", count(stats->file_bytes));
    set(b, o, "gzip_bytes", stats->gzip_bytes ? count(stats->gzip_bytes) : json_null());
    return o;
}

static json_t *full_stats(builder *b, const ol_model_stats *stats)
{
    if (!stats)
        return json_null();
    json_t *o = json_object();
    if (o && ol_model_stats_add_json(o, stats, 0) != 0)
        b->ok = false;
    if (o) {
        set(b, o, "file_bytes", count(stats->file_bytes));
        set(b, o, "gzip_bytes", stats->gzip_bytes ? count(stats->gzip_bytes) : json_null());
    }
    return o;
}

static json_t *pass_step(builder *b, const ol_pipeline_report *report, size_t i)
{
    const ol_pass_step *step = &report->steps[i];
    json_t *o = json_object();
    if (!o)
        return NULL;
    const ol_model_stats *before =
        i == 0 ? (report->measured ? &report->input_stats : NULL)
               : (report->steps[i - 1].measured ? &report->steps[i - 1].after : NULL);
    set(b, o, "pass", ol_json_text(step->text));
    set(b, o, "name", ol_json_text(step->pass->name));
    set(b, o, "lossless", json_boolean(step->pass->flags & OL_PASS_LOSSLESS));
    set(b, o, "fixpoint", json_boolean(step->pass->flags & OL_PASS_FIXPOINT));
    set(b, o, "iterations", json_integer(step->iterations));
    set(b, o, "changed", json_boolean(step->changed));
    set(b, o, "iteration_limit_hit", json_boolean(step->hit_iteration_limit));
    set(b, o, "shape_inference", json_boolean(step->inferred_shapes));
    set(b, o, "ir_verified", json_boolean(step->verified));
    set(b, o, "failed", json_boolean(step->failed));
    set(b, o, "seconds", json_real(step->run_seconds));
    set(b, o, "shape_inference_seconds", json_real(step->shape_seconds));
    set(b, o, "verify_seconds", json_real(step->verify_seconds));
    set(b, o, "before", stats_summary(b, before));
    set(b, o, "after", stats_summary(b, step->measured ? &step->after : NULL));
    return o;
}

static json_t *output_errors(builder *b, const ol_verify_result *result)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < result->n_outputs; i++) {
        const ol_output_error *e = &result->outputs[i];
        json_t *o = json_object();
        if (o) {
            set(b, o, "name", ol_json_text(e->name));
            set(b, o, "max_abs_error", real_or_null(e->max_abs_error));
            set(b, o, "max_rel_error", real_or_null(e->max_rel_error));
            set(b, o, "ok", json_boolean(e->ok));
            set(b, o, "reason", e->reason[0] ? ol_json_text(e->reason) : json_null());
        }
        append(b, a, o);
    }
    return a;
}

static json_t *verification(builder *b, const ol_pipeline_report *report)
{
    if (!report->verified)
        return json_null();
    json_t *o = json_object();
    if (!o)
        return NULL;
    const ol_verify_options *vo = &report->verify_options;
    set(b, o, "samples", count(vo->samples));
    set(b, o, "batch", vo->batch > 0 ? json_integer(vo->batch) : json_null());
    set(b, o, "seed", count(vo->seed));
    set(b, o, "data", vo->data ? ol_json_text(vo->data->path) : json_null());
    set(b, o, "tolerance", json_real(vo->tolerance));
    set(b, o, "ok", json_boolean(report->verification.ok));
    set(b, o, "outputs", output_errors(b, &report->verification));
    const ol_bisection *bis = &report->bisection;
    json_t *first = json_null();
    if (bis->ran) {
        first = json_object();
        if (first) {
            set(b, first, "found", json_boolean(bis->found));
            set(b, first, "index", bis->found ? count(bis->step) : json_null());
            set(b, first, "pass", bis->found ? ol_json_text(bis->pass_text) : json_null());
            set(b, first, "outputs", bis->found ? output_errors(b, &bis->result) : json_null());
        }
    }
    set(b, o, "first_diverging_pass", first);
    return o;
}

static json_t *build(builder *b, const ol_pipeline_report *report, const char *input, const char *output)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    set(b, root, "onnx_lite_version", json_string(ONNXLITE_VERSION_STRING));
    set(b, root, "input", ol_json_text(input));
    set(b, root, "output", ol_json_text(output));
    set(b, root, "pipeline", ol_json_text(report->pipeline ? report->pipeline : ""));
    set(b, root, "ok", json_boolean(report->ok));
    set(b, root, "error", report->ok ? json_null() : ol_json_text(report->error));
    set(b, root, "seconds", json_real(report->seconds));
    set(b, root, "max_iterations", json_integer(report->max_iterations));
    set(b, root, "input_model", full_stats(b, report->measured ? &report->input_stats : NULL));
    /* The output model is what the last pass left, when the pipeline completed. */
    const ol_model_stats *out = report->ok ? ol_pipeline_report_output_stats(report) : NULL;
    set(b, root, "output_model", full_stats(b, out));
    json_t *passes = json_array();
    for (size_t i = 0; passes && i < report->n_steps; i++)
        append(b, passes, pass_step(b, report, i));
    set(b, root, "passes", passes);
    set(b, root, "verification", verification(b, report));
    json_t *notes = json_array();
    for (size_t i = 0; notes && i < report->n_notes; i++) {
        const ol_pass_note *note = &report->notes[i];
        json_t *o = json_object();
        if (o) {
            set(b, o, "pass", ol_json_text(note->pass));
            set(b, o, "kind", json_string(note->kind == OL_NOTE_WARNING ? "warning" : "info"));
            set(b, o, "message", ol_json_text(note->message));
        }
        append(b, notes, o);
    }
    set(b, root, "notes", notes);
    return root;
}

ol_status ol_pipeline_report_write_json(const ol_pipeline_report *report, const char *input,
                                        const char *output, const char *path, ol_error *err)
{
    builder b = {.ok = true};
    json_t *root = build(&b, report, input, output);
    if (!root || !b.ok) {
        json_decref(root);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory building the report");
    }
    ol_atomic_file file;
    ol_status st = ol_atomic_file_open(&file, path, err);
    if (st == OL_OK) {
        if (json_dumpf(root, file.file, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
            fputc('\n', file.file) == EOF)
            st = ol_fail(err, OL_ERR_IO, "cannot write report '%s'", path);
        else
            st = ol_atomic_file_commit(&file, err);
        ol_atomic_file_abort(&file);
    }
    json_decref(root);
    return st;
}
