/* The pass manager: runs a pipeline over a model.
 *
 * Before a pass flagged OL_PASS_NEEDS_SHAPES it runs shape inference, unless the shapes are still
 * valid: inference ran and every pass since either changed nothing or is flagged
 * OL_PASS_PRESERVES_SHAPES. A pass flagged OL_PASS_FIXPOINT is rerun while it reports a change, at
 * most `max_iterations` times; hitting the bound is recorded, not an error (the model is valid, just
 * perhaps not fully simplified). After each run the erased nodes and values are compacted away and,
 * with `verify_each`, the IR verifier checks the model. The input model is verified before the first
 * pass and the result after the last, always.
 *
 * Any failure (a pass, shape inference, the verifier) stops the pipeline with a message that names
 * the pass (and the pass's or verifier's message names the node); the model is then in an
 * unspecified state and must be discarded. */
#ifndef OL_PASS_MANAGER_H
#define OL_PASS_MANAGER_H

#include <stdbool.h>
#include <stddef.h>

#include "pass/context.h"
#include "pass/pipeline.h"
#include "pass/report.h"

#define OL_PASS_DEFAULT_MAX_ITERATIONS 16

typedef struct ol_pass_manager_options {
    bool verify_each;          /* IR verifier after every run of every pass (tests always set it) */
    unsigned max_iterations;   /* bound for fixpoint passes; 0: OL_PASS_DEFAULT_MAX_ITERATIONS */
    bool measure;              /* model statistics before the first pass and after each (after a
                                  pass that reported no change, a copy of those before it) */
    /* Called after each pass once it is verified and measured; an error stops the pipeline with
     * it, and *stop = true stops it without one (the rest of the passes do not run). */
    ol_status (*after_pass)(void *user, size_t index, const ol_model *model, bool *stop, ol_error *err);
    void *user;
    /* What the command gives built-in passes (the data set, ...; see context.h), or NULL. The
     * notes passes leave there are moved into the report. */
    ol_pass_context *context;
} ol_pass_manager_options;

/* Runs `pipeline` over `model` in place and fills `report` (which may be NULL), also on failure. */
ol_status ol_pass_manager_run(const ol_pipeline *pipeline, ol_model *model,
                              const ol_pass_manager_options *options, ol_pipeline_report *report,
                              ol_error *err);

#endif
