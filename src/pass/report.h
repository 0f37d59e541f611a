/* What a pipeline run did: per pass its canonical text, iterations, time, the IR verifier and model
 * statistics after it; then the numerical verification and, when it failed, the first pass whose
 * output diverges. The manager, the verifier and the bisection fill it; the CLI prints it as a short
 * table (report_table.c) and writes it as JSON (report_json.c). */
#ifndef OL_PASS_REPORT_H
#define OL_PASS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis/model_stats.h"
#include "onnxlite/pass.h"
#include "pass/context.h"
#include "pass/verify.h"

typedef struct ol_pass_step {
    char *text;                  /* canonical text of this pass instance */
    const ol_pass_def *pass;
    unsigned iterations;         /* runs: more than one only for OL_PASS_FIXPOINT passes */
    bool changed;                /* some run reported a change */
    bool hit_iteration_limit;    /* a fixpoint pass still changed the model on its last allowed run */
    bool inferred_shapes;        /* shape inference ran for it (OL_PASS_NEEDS_SHAPES) */
    bool verified;               /* the IR verifier ran after each of its runs and passed */
    bool failed;                 /* the pass, the shape inference before it or the verifier failed */
    bool measured;               /* `after` holds statistics */
    double run_seconds;          /* the pass itself, all iterations */
    double shape_seconds;        /* shape inference for it */
    double verify_seconds;       /* IR verifier after it */
    ol_model_stats after;        /* statistics after the pass (see measure.h) */
} ol_pass_step;

/* The first pass after which the numerical verification fails. */
typedef struct ol_bisection {
    bool ran;
    bool found;              /* false: every prefix verified (a non-deterministic failure) */
    size_t step;             /* index in the pipeline */
    char *pass_text;
    ol_verify_result result; /* the failing comparison after that pass */
} ol_bisection;

typedef struct ol_pipeline_report {
    char *pipeline;              /* canonical text of the whole pipeline */
    unsigned max_iterations;     /* the bound for fixpoint passes */
    bool measured;               /* input_stats and each step's `after` are filled */
    ol_model_stats input_stats;
    ol_pass_step *steps;
    size_t n_steps;              /* passes that ran (up to and including one that failed) */
    double seconds;              /* the whole pipeline, statistics and verifier included */
    bool ok;
    char error[OL_ERROR_MESSAGE_SIZE];   /* why not ok */

    bool verified;               /* numerical verification ran */
    ol_verify_options verify_options;
    ol_verify_result verification;
    ol_bisection bisection;

    ol_pass_note *notes;         /* what passes noted (context.h), in the order they noted it */
    size_t n_notes;
} ol_pipeline_report;

/* Statistics of the output model: those after the last pass, or of the input when none ran. */
const ol_model_stats *ol_pipeline_report_output_stats(const ol_pipeline_report *report);

void ol_pipeline_report_clear(ol_pipeline_report *report);

/* The short terminal table: the pipeline, then one line per pass with its runs, time and the
 * statistics after it (changes in parentheses), then the totals. */
void ol_pipeline_report_print(const ol_pipeline_report *report, FILE *out);
/* The numerical verification (and the bisection, when it ran), one line per output. */
void ol_pipeline_report_print_verification(const ol_pipeline_report *report, FILE *out);

/* The report as one JSON document, written atomically to `path`. `input` and `output` are the
 * model paths (output NULL when nothing was written). The keys are listed in report_json.c. */
ol_status ol_pipeline_report_write_json(const ol_pipeline_report *report, const char *input,
                                        const char *output, const char *path, ol_error *err);

#endif
