#include "pass/report.h"

#include <stdlib.h>

const ol_model_stats *ol_pipeline_report_output_stats(const ol_pipeline_report *report)
{
    for (size_t i = report->n_steps; i-- > 0;)
        if (report->steps[i].measured)
            return &report->steps[i].after;
    return report->measured ? &report->input_stats : NULL;
}

void ol_pipeline_report_clear(ol_pipeline_report *report)
{
    for (size_t i = 0; report->steps && i < report->n_steps; i++) {
        free(report->steps[i].text);
        ol_model_stats_free(&report->steps[i].after);
    }
    free(report->steps);
    free(report->pipeline);
    ol_model_stats_free(&report->input_stats);
    ol_verify_result_clear(&report->verification);
    free(report->bisection.pass_text);
    ol_verify_result_clear(&report->bisection.result);
    ol_pass_notes_free(report->notes, report->n_notes);
    *report = (ol_pipeline_report){0};
}
