/* Class labels for evaluation, one integer per sample: an IDX file of integers (read entry by entry,
 * like the samples) or a .npy file of integers (small: read whole). */
#ifndef OL_DATA_LABELS_H
#define OL_DATA_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "onnxlite/status.h"

typedef struct ol_labels ol_labels;

/* A .npy path is read as NumPy, anything else as IDX. Labels have rank 1 (or [n, 1]) and an
 * integer dtype. */
ol_status ol_labels_open(const char *path, ol_labels **out, ol_error *err);
/* Labels held in memory (copied). */
ol_status ol_labels_from_values(const int64_t *values, size_t n, ol_labels **out, ol_error *err);
void ol_labels_close(ol_labels *labels);
size_t ol_labels_count(const ol_labels *labels);
const char *ol_labels_path(const ol_labels *labels);
/* The next n labels (out NULL: skip them). */
ol_status ol_labels_next(ol_labels *labels, size_t n, int64_t *out, ol_error *err);
ol_status ol_labels_rewind(ol_labels *labels, ol_error *err);

#endif
