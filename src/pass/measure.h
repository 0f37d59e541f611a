/* Model statistics for the pass manager's before/after figures. */
#ifndef OL_PASS_MEASURE_H
#define OL_PASS_MEASURE_H

#include <stdbool.h>

#include "analysis/model_stats.h"
#include "onnxlite/ir.h"

/* Statistics of `model` computed as `onnx-lite inspect` does: symbolic and unknown input dims are
 * taken as 1 and shapes are inferred, so that MACs are known for models with a symbolic batch. That
 * happens on the model itself, whose value types are then put back as they were, so none of those
 * assumptions stays in the model being optimized; no weights are copied. out->file_bytes is the
 * size of the serialization (inline data); with `gzip`, out->gzip_bytes is its size gzip-compressed
 * at gzip's default level, within 0.2% of what `gzip FILE` gives (1 MiB blocks deflated apart, in
 * parallel; the same figure for any thread count), which costs a compression of the whole model.
 * out->costs is left empty. */
ol_status ol_pass_measure(ol_model *model, bool gzip, ol_model_stats *out, ol_error *err);

#endif
