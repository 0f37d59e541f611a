/* Finding the pass that breaks numerical verification (`optimize --verify --verify-each`). */
#ifndef OL_PASS_BISECT_H
#define OL_PASS_BISECT_H

#include "pass/manager.h"
#include "pass/report.h"
#include "pass/verify.h"

/* Runs `pipeline` over `model` (a fresh copy of the input, changed in place) and checks it against
 * `verifier` after each pass, stopping at the first pass whose output diverges. Only the model
 * statistics are left out of `options` (the IR verifier runs if they ask for it). An error means
 * the run itself failed; a pass that diverges is a result in *out. */
ol_status ol_pipeline_bisect(const ol_pipeline *pipeline, ol_model *model, ol_verifier *verifier,
                             const ol_pass_manager_options *options, ol_bisection *out, ol_error *err);

#endif
