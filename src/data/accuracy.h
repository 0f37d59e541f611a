/* Top-1 / top-5 accuracy of a classifier over a labelled data set, run in the reference executor:
 * `onnx-lite eval`, and whatever else needs a model's accuracy (quantization's float fallback). */
#ifndef OL_DATA_ACCURACY_H
#define OL_DATA_ACCURACY_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "exec/session.h"

typedef struct ol_accuracy {
    size_t samples;
    size_t classes;
    size_t top1, top5;   /* samples whose label ranks first / among the first five */
    double seconds;      /* wall time of ol_accuracy_measure: reading, preprocessing and running */
} ol_accuracy;

/* Counts one batch: logits [n, classes] (any numeric dtype) against labels[0..n). A label's rank is
 * the number of classes scoring higher, ties going to the lower index as in argmax; a NaN score
 * never ranks first. A label outside 0..classes-1 is an error naming the sample (by its index in
 * the whole set) and the class count. */
ol_status ol_accuracy_add(ol_accuracy *acc, const ol_ktensor *logits, const int64_t *labels, size_t n,
                          ol_error *err);

/* Rewinds `data` and runs `session` over all of it in batches of up to `batch`, scoring output 0,
 * which must be [batch, classes]. `data` must feed the session's inputs that have no initializer, in
 * order (ol_dataset_open with those inputs), and have labels. */
ol_status ol_accuracy_measure(ol_session *session, ol_dataset *data, size_t batch, ol_accuracy *out,
                              ol_error *err);

/* The session's inputs a data set feeds (those without an initializer), in order, in out[] (room for
 * ol_session_input_count); returns their count. */
size_t ol_accuracy_data_inputs(const ol_session *session, const ol_value **out);

/* 100 * part / whole, 0 for an empty set. */
double ol_accuracy_percent(size_t part, size_t whole);

#endif
