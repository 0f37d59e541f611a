/* The pass context: what a built-in pass may need from the command that runs it beyond the model
 * and its options: the data set given to `optimize` (--data, --labels, --preprocess, how many
 * calibration samples), the executor's thread count, whether a progress bar may be drawn, and a
 * place to leave notes and warnings for the report.
 *
 * It travels inside ol_option_values (pass/options.h), which plugins only see as an opaque
 * pointer, so the plugin ABI of onnxlite/pass.h does not change: built-in passes reach it with
 * ol_pass_context_of(options). A pass run without one (unit tests of other passes, `-O1`) gets NULL
 * and must say what it is missing.
 *
 * Notes are collected in the context while the pipeline runs, each attributed to the pass that
 * was running; the pass manager moves them into the pipeline report, which prints them under the
 * table and writes them to the JSON report. */
#ifndef OL_PASS_CONTEXT_H
#define OL_PASS_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "data/dataset.h"
#include "onnxlite/pass.h"

typedef enum ol_pass_note_kind {
    OL_NOTE_INFO = 0,      /* what the pass decided (layers kept in float, calibration figures) */
    OL_NOTE_WARNING = 1,   /* something the user should act on (a group that runs in float) */
} ol_pass_note_kind;

typedef struct ol_pass_note {
    char *pass;            /* name of the pass that left it */
    ol_pass_note_kind kind;
    char *message;
} ol_pass_note;

typedef struct ol_pass_context {
    /* The data set (--data ...; data.path NULL when none was given). data.limit is not used for
     * calibration: calibration_samples is. */
    ol_dataset_options data;
    size_t calibration_samples;   /* samples a calibrating pass reads; 0: all of them */
    int threads;                  /* executor threads; 0: the BLAS/OpenMP default */
    bool progress;                /* a progress bar may be drawn on stderr (it is a terminal) */

    /* Filled while the pipeline runs; the manager takes them into the report. */
    const char *current_pass;     /* set by the manager before each pass runs */
    ol_pass_note *notes;
    size_t n_notes, cap_notes;
} ol_pass_context;

/* The context of the command running the pass, or NULL when it gave none. */
ol_pass_context *ol_pass_context_of(const ol_option_values *values);

/* Records a note under the current pass. Out of memory drops the note (notes are advisory). */
void ol_pass_context_note(ol_pass_context *context, ol_pass_note_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Takes the notes out of the context (the caller frees them with ol_pass_notes_free). */
void ol_pass_context_take_notes(ol_pass_context *context, ol_pass_note **notes, size_t *n);
void ol_pass_notes_free(ol_pass_note *notes, size_t n);

/* Frees the notes still held. The data set options are borrowed and left alone. */
void ol_pass_context_clear(ol_pass_context *context);

/* Opens the data set for `graph`'s fed inputs (the inputs that are not initializers), reading at
 * most calibration_samples samples: what a calibrating pass runs the model over. The context must
 * have a data set (data.path set). */
ol_status ol_pass_context_open_calibration_data(const ol_pass_context *context, const ol_graph *graph,
                                                ol_dataset **out, ol_error *err);

/* A progress bar on stderr, redrawn in place: "label [=====>    ] done/total". Drawn only when
 * context->progress is set; finish() ends the line. Cheap to call for every batch. */
void ol_pass_context_progress(const ol_pass_context *context, const char *label, size_t done, size_t total);
void ol_pass_context_progress_done(const ol_pass_context *context);

#endif
