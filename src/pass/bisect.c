#include "pass/bisect.h"

#include <stdlib.h>

typedef struct bisect_state {
    const ol_pipeline *pipeline;
    ol_verifier *verifier;
    ol_bisection *out;
} bisect_state;

static ol_status check_after_pass(void *user, size_t index, const ol_model *model, bool *stop,
                                  ol_error *err)
{
    bisect_state *bs = user;
    ol_verify_result result;
    ol_status st = ol_verifier_check(bs->verifier, model, &result, err);
    if (st != OL_OK) {
        ol_error_prefix(err, "verifying after pass #%zu '%s': ", index + 1,
                        bs->pipeline->entries[index].pass->name);
        return st;
    }
    if (result.ok) {
        ol_verify_result_clear(&result);
        return OL_OK;
    }
    bs->out->found = true;
    bs->out->step = index;
    bs->out->result = result;
    if (!(bs->out->pass_text = ol_pipeline_entry_text(&bs->pipeline->entries[index])))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    *stop = true;
    return OL_OK;
}

ol_status ol_pipeline_bisect(const ol_pipeline *pipeline, ol_model *model, ol_verifier *verifier,
                             const ol_pass_manager_options *options, ol_bisection *out, ol_error *err)
{
    *out = (ol_bisection){.ran = true};
    bisect_state bs = {.pipeline = pipeline, .verifier = verifier, .out = out};
    ol_pass_manager_options checked = options ? *options : (ol_pass_manager_options){0};
    checked.measure = false;
    checked.after_pass = check_after_pass;
    checked.user = &bs;
    return ol_pass_manager_run(pipeline, model, &checked, NULL, err);
}
