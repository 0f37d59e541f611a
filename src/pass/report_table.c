/* The pipeline report as a short table for the terminal. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pass/report.h"

#define CELL 40

/* 1814073344 -> "1,814,073,344" */
static void grouped(uint64_t n, char *buf, size_t size)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%" PRIu64, n);
    size_t out = 0;
    for (int i = 0; i < len && out + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
}

/* "1,450" or, when it changed, "1,440 (-10)". */
static void cell(uint64_t after, const uint64_t *before, char *buf, size_t size)
{
    char a[32], d[32];
    grouped(after, a, sizeof a);
    if (!before || *before == after) {
        snprintf(buf, size, "%s", a);
        return;
    }
    grouped(after > *before ? after - *before : *before - after, d, sizeof d);
    snprintf(buf, size, "%s (%c%s)", a, after > *before ? '+' : '-', d);
}

static void duration(double seconds, char *buf, size_t size)
{
    if (seconds < 1.0)
        snprintf(buf, size, "%.2f ms", seconds * 1e3);
    else
        snprintf(buf, size, "%.2f s", seconds);
}

static void stats_cells(const ol_model_stats *after, const ol_model_stats *before, FILE *out)
{
    char nodes[CELL * 2], params[CELL * 2], bytes[CELL * 2], macs[CELL * 2];
    uint64_t b_nodes = before ? before->node_count : 0;
    cell(after->node_count, before ? &b_nodes : NULL, nodes, sizeof nodes);
    cell(after->parameter_count, before ? &before->parameter_count : NULL, params, sizeof params);
    cell(after->weight_bytes, before ? &before->weight_bytes : NULL, bytes, sizeof bytes);
    cell(after->linear_macs, before ? &before->linear_macs : NULL, macs, sizeof macs);
    fprintf(out, "  %-14s %-20s %-22s %s%s", nodes, params, bytes, macs,
            after->unknown_mac_nodes ? " (some unknown)" : "");
}

/* "size: 1,450,000 -> 400,000 bytes (0.28x), gzip 1,300,000 -> 350,000 (0.27x)": the
 * serialized model before the first pass and after the last. */
static void print_sizes(const ol_pipeline_report *report, FILE *out)
{
    const ol_model_stats *after = ol_pipeline_report_output_stats(report);
    if (!report->measured || !report->ok || !after)
        return;
    const ol_model_stats *before = &report->input_stats;
    char a[32], b[32], ga[32], gb[32];
    grouped(before->file_bytes, b, sizeof b);
    grouped(after->file_bytes, a, sizeof a);
    grouped(before->gzip_bytes, gb, sizeof gb);
    grouped(after->gzip_bytes, ga, sizeof ga);
    fprintf(out, "size: %s -> %s bytes (%.3gx)", b, a,
            before->file_bytes ? (double)after->file_bytes / (double)before->file_bytes : 1.0);
    /* Compressed sizes are measured for pipelines with a lossy pass only (manager.c). */
    if (after->gzip_bytes && before->gzip_bytes)
        fprintf(out, ", gzip %s -> %s (%.3gx)", gb, ga,
                (double)after->gzip_bytes / (double)before->gzip_bytes);
    fprintf(out, "\n");
}

void ol_pipeline_report_print(const ol_pipeline_report *report, FILE *out)
{
    int width = (int)strlen("(input)");
    for (size_t i = 0; i < report->n_steps; i++)
        if ((int)strlen(report->steps[i].pass->name) > width)
            width = (int)strlen(report->steps[i].pass->name);
    fprintf(out, "pipeline: %s\n", report->pipeline && *report->pipeline ? report->pipeline : "(no passes)");
    fprintf(out, "  %-*s %5s %10s  %-14s %-20s %-22s %s\n", width, "pass", "runs", "time", "nodes",
            "parameters", "weight bytes", "MACs");
    if (report->measured) {
        fprintf(out, "  %-*s %5s %10s", width, "(input)", "", "");
        stats_cells(&report->input_stats, NULL, out);
        fprintf(out, "\n");
    }
    bool limit_hit = false;
    double pass_seconds = 0;
    const ol_model_stats *before = report->measured ? &report->input_stats : NULL;
    for (size_t i = 0; i < report->n_steps; i++) {
        const ol_pass_step *step = &report->steps[i];
        char runs[16], time[32];
        snprintf(runs, sizeof runs, "%u%s", step->iterations, step->hit_iteration_limit ? "*" : "");
        duration(step->run_seconds, time, sizeof time);
        limit_hit = limit_hit || step->hit_iteration_limit;
        pass_seconds += step->run_seconds;
        fprintf(out, "  %-*s %5s %10s", width, step->pass->name, runs, time);
        if (step->failed)
            fprintf(out, "  FAILED");
        else if (step->measured)
            stats_cells(&step->after, before, out);
        fprintf(out, "\n");
        if (step->measured)
            before = &step->after;
    }
    char total[32], passes[32];
    duration(report->seconds, total, sizeof total);
    duration(pass_seconds, passes, sizeof passes);
    fprintf(out, "total %s (passes %s; the rest is statistics, shape inference and the verifier)\n",
            total, passes);
    if (limit_hit)
        fprintf(out, "* still changing the model after %u runs: stopped at the bound (the model is valid "
                "but may not be fully simplified)\n", report->max_iterations);
    print_sizes(report, out);
    for (size_t i = 0; i < report->n_notes; i++) {
        const ol_pass_note *note = &report->notes[i];
        fprintf(out, "%s: %s%s\n", note->pass, note->kind == OL_NOTE_WARNING ? "warning: " : "",
                note->message);
    }
}

static void print_outputs(const ol_verify_result *result, FILE *out)
{
    int width = (int)strlen("output");
    for (size_t i = 0; i < result->n_outputs; i++)
        if ((int)strlen(result->outputs[i].name) > width)
            width = (int)strlen(result->outputs[i].name);
    fprintf(out, "  %-*s  %12s  %12s\n", width, "output", "max abs err", "max rel err");
    for (size_t i = 0; i < result->n_outputs; i++) {
        const ol_output_error *e = &result->outputs[i];
        fprintf(out, "  %-*s  %12.3g  %12.3g  %s%s%s\n", width, e->name, e->max_abs_error, e->max_rel_error,
                e->ok ? "ok" : "FAIL", e->reason[0] ? ": " : "", e->reason);
    }
}

void ol_pipeline_report_print_verification(const ol_pipeline_report *report, FILE *out)
{
    if (!report->verified)
        return;
    const ol_verify_options *vo = &report->verify_options;
    char batch[48];
    if (vo->batch > 0)
        snprintf(batch, sizeof batch, "batch %lld", (long long)vo->batch);
    else
        snprintf(batch, sizeof batch, "symbolic dims 1");
    if (vo->data)
        fprintf(out, "verify: %zu input set(s) from %s, %s; error relative to each output's largest "
                "magnitude, tolerance %g\n", vo->samples, vo->data->path, batch, vo->tolerance);
    else
        fprintf(out, "verify: %zu random input set(s), %s, seed %llu; error relative to each output's "
                "largest magnitude, tolerance %g\n", vo->samples, batch, (unsigned long long)vo->seed,
                vo->tolerance);
    print_outputs(&report->verification, out);
    const ol_bisection *bis = &report->bisection;
    if (!bis->ran)
        return;
    if (!bis->found) {
        fprintf(out, "verify-each: the model verified after every pass when checked one by one; the "
                "failure does not reproduce pass by pass\n");
        return;
    }
    fprintf(out, "verify-each: the first pass whose output diverges is #%zu %s\n", bis->step + 1,
            bis->pass_text);
    print_outputs(&bis->result, out);
}
