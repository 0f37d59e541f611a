/* Model statistics for the pass manager's before/after figures. */
#ifndef OL_PASS_MEASURE_H
#define OL_PASS_MEASURE_H

#include "analysis/model_stats.h"
#include "onnxlite/ir.h"

/* Statistics of `model` computed as `onnx-lite inspect` does, on a copy: symbolic and unknown input
 * dims are taken as 1 and shapes are inferred, so that MACs are known for models with a symbolic
 * batch, without writing those assumptions into the model being optimized. The copy is a
 * serialization round trip (cost: one write and one read of the model in memory, weights
 * included). out->costs is left empty, since its nodes belong to the copy. */
ol_status ol_pass_measure(const ol_model *model, ol_model_stats *out, ol_error *err);

#endif
