/* Calibration: runs a float model in the reference executor over a data set and feeds every value
 * of the tensors to observe into their histograms (histogram.h).
 *
 * The model is not touched: a private copy lists the observed values among its graph outputs,
 * which the executor then materializes (and never fuses away), and runs batch by batch, lending
 * them from its arena (ol_session_run_borrowed): nothing is copied or allocated per batch once the
 * first has planned the arena. The observers of different tensors are fed in parallel. Memory is
 * the copy, one batch of inputs and observed tensors, and the fixed-size histograms: it does not
 * grow with the number of samples. */
#ifndef OL_QUANT_CALIBRATE_H
#define OL_QUANT_CALIBRATE_H

#include <stddef.h>

#include "data/dataset.h"
#include "onnxlite/ir.h"
#include "quant/histogram.h"

typedef struct ol_calibration_options {
    size_t batch;   /* samples per executor run (see ol_calibration_batch) */
    int threads;    /* executor threads; 0: the BLAS/OpenMP default */
    /* Called after each batch with the samples done so far and the data set's size (may be NULL). */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
} ol_calibration_options;

/* Reads the rest of `data` (opened for `model`'s inputs) and adds the values of each tensor
 * names[i] (a float32 value of the main graph: a graph input or a node output) to observers[i],
 * which the caller initialized. *samples (may be NULL) gets the number of samples read. */
ol_status ol_calibrate(const ol_model *model, ol_dataset *data, const char *const *names, size_t n,
                       const ol_calibration_options *options, ol_histogram *observers, size_t *samples,
                       ol_error *err);

/* The budget for ol_calibration_batch: observed tensors of one calibration run stay within it.
 * Smaller batches keep the arena the observed tensors live in warm in cache (squeezenet, 32 samples:
 * batches of 16 under 256 MiB took 0.67 s, of 1 under 8 MiB 0.39 s), but each batch is a run
 * with its hundreds of parallel regions, and on a busy machine each region's barrier waits for a
 * descheduled thread (mobilenet_v2 at load 6: batches of 1 took 21 s instead of 1.5 s). This
 * budget sits between the two. */
#define OL_CALIBRATION_BUDGET_BYTES ((size_t)32 << 20)

/* A batch size for calibrating `model` while observing `n` tensors: the fixed first dim of its
 * inputs when they have one, else as many samples as keep the observed tensors of one run within
 * `budget_bytes` (at least 1, at most 64), taking other open dims as 1. */
size_t ol_calibration_batch(const ol_model *model, const char *const *names, size_t n, size_t budget_bytes);

#endif
