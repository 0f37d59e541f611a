#include "pass/context.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pass/options.h"
#include "util/mem.h"

ol_pass_context *ol_pass_context_of(const ol_option_values *values)
{
    return values ? values->context : NULL;
}

void ol_pass_context_note(ol_pass_context *context, ol_pass_note_kind kind, const char *fmt, ...)
{
    if (!context || !OL_RESERVE(context->notes, context->cap_notes, context->n_notes + 1))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *message = NULL;
    int len = vasprintf(&message, fmt, ap);
    va_end(ap);
    char *pass = ol_strdup(context->current_pass ? context->current_pass : "");
    if (len < 0 || !pass) {
        free(pass);
        if (len >= 0)
            free(message);
        return;
    }
    context->notes[context->n_notes++] = (ol_pass_note){.pass = pass, .kind = kind, .message = message};
}

void ol_pass_context_take_notes(ol_pass_context *context, ol_pass_note **notes, size_t *n)
{
    *notes = context->notes;
    *n = context->n_notes;
    context->notes = NULL;
    context->n_notes = context->cap_notes = 0;
}

void ol_pass_notes_free(ol_pass_note *notes, size_t n)
{
    for (size_t i = 0; notes && i < n; i++) {
        free(notes[i].pass);
        free(notes[i].message);
    }
    free(notes);
}

void ol_pass_context_clear(ol_pass_context *context)
{
    ol_pass_notes_free(context->notes, context->n_notes);
    context->notes = NULL;
    context->n_notes = context->cap_notes = 0;
}

#define BAR_WIDTH 30

void ol_pass_context_progress(const ol_pass_context *context, const char *label, size_t done, size_t total)
{
    if (!context || !context->progress)
        return;
    int filled = total ? (int)((double)done / (double)total * BAR_WIDTH) : BAR_WIDTH;
    if (filled > BAR_WIDTH)
        filled = BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[BAR_WIDTH] = '\0';
    /* \r and erase-to-end-of-line: the bar is redrawn in place. */
    fprintf(stderr, "\r%s [%s] %zu/%zu\033[K", label, bar, done, total);
    fflush(stderr);
}

void ol_pass_context_progress_done(const ol_pass_context *context)
{
    if (!context || !context->progress)
        return;
    fputc('\n', stderr);
    fflush(stderr);
}

ol_status ol_pass_context_open_calibration_data(const ol_pass_context *context, const ol_graph *graph,
                                                ol_dataset **out, ol_error *err)
{
    const ol_value **fed = calloc(graph->n_inputs + 1, sizeof *fed);
    if (!fed)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < graph->n_inputs; i++)
        if (!graph->inputs[i]->constant)
            fed[n++] = graph->inputs[i];
    ol_dataset_options options = context->data;
    options.limit = context->calibration_samples;
    ol_status st = ol_dataset_open(&options, fed, n, out, err);
    free(fed);
    return st;
}
