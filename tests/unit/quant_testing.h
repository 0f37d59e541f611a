/* Helpers for the quantization tests: calibration data written to a temporary folder (the quantize
 * pass reads its data set from files, as `optimize --data` gives it), running a pipeline with a
 * pass context, and finding what the rewrite produced. Like ir_builders.h, every helper fails the
 * running test instead of returning an error. */
#ifndef OL_TESTS_QUANT_TESTING_H
#define OL_TESTS_QUANT_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "pass/report.h"

typedef struct qt_data {
    char *dir;        /* the temporary folder, removed by qt_data_remove */
    char *samples;    /* dir/samples: one .npy holding every sample, batch first */
    char *labels;     /* dir/labels.npy, or NULL */
} qt_data;

/* Writes float32 samples of shape `dims` (dims[0] samples) and, when `labels` is not NULL, one
 * int64 label per sample. */
qt_data qt_data_write(int rank, const int64_t *dims, const float *samples, const int64_t *labels);
void qt_data_remove(qt_data *data);

/* Runs `pipeline` (text) over `model` as `optimize --data ... --calibration-samples N` does, with
 * the IR verifier after each pass. Returns the status; the run (with the passes' notes) is left in
 * *report (cleared first; the caller clears it) and a failure's message in *err. */
ol_status qt_run(ol_model *model, const char *pipeline, const qt_data *data, size_t samples,
                 ol_pipeline_report *report, ol_error *err);
/* qt_run that must succeed. */
void qt_quantize(ol_model *model, const char *pipeline, const qt_data *data, ol_pipeline_report *report);

/* The first note whose message contains `text`, or NULL. */
const ol_pass_note *qt_note(const ol_pipeline_report *report, const char *text);

/* Uniform floats in [lo, hi) from a fixed-seed generator. */
void qt_uniform(float *x, size_t n, uint64_t seed, float lo, float hi);

/* The live node reading `value` as input `index`, failing when there is not exactly one reader. */
ol_node *qt_reader(const ol_value *value);
/* The value of a float32 scalar constant (a scale). */
float qt_scalar(const ol_value *value);

#endif
